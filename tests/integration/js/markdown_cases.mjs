// markdown_cases.mjs — renders each Markdown input of the JSON array in
// argv[2] with web/js/markdown.js (under dom_shim.mjs) and prints, per
// input, its HTML serialisation, its elements and its text.
import { html, elements } from './dom_shim.mjs';
import fs from 'node:fs';

const { renderMarkdown } = await import(process.argv[3]);
const inputs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = inputs.map((src) => {
  const f = renderMarkdown(src);
  const wrap = document.createElement('div');
  wrap.append(f);
  return { html: html(wrap), elements: elements(wrap).slice(1), text: wrap.textContent };
});
process.stdout.write(JSON.stringify(out));
