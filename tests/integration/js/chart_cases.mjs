// chart_cases.mjs — draws each chart of the JSON array in argv[2]
// ({kind: "line"|"bar", opts}) with web/js/chart.js (argv[3]) under
// dom_shim.mjs (plus createElementNS) and prints, per chart, its
// elements ({tag, attrs, text}) and the root's attributes.
import { elements } from './dom_shim.mjs';
import fs from 'node:fs';

document.createElementNS = (ns, tag) => {
  const el = document.createElement(tag);
  el.namespaceURI = ns;
  return el;
};
const chart = await import(process.argv[3]);
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function walk(n, out = []) {
  if (n.tagName) {
    out.push({ tag: n.tagName.toLowerCase(), ns: n.namespaceURI || null,
      attrs: Object.fromEntries(n.attrs), text: n.textContent });
  }
  for (const c of n.childNodes) walk(c, out);
  return out;
}

const out = cases.map((c) => {
  const svg = c.kind === 'line' ? chart.lineChart(c.opts) : chart.barChart(c.opts);
  return { elements: walk(svg), count: elements(svg).length };
});
process.stdout.write(JSON.stringify(out));
