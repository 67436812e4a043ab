// dom_shim.mjs — just enough of the DOM for web/js/markdown.js and
// web/js/dom.js to run under Node (tests/integration/test_dashboard.py):
// elements, text, fragments, attributes; html() serialises a tree.

class Node {
  constructor() { this.childNodes = []; this.parentNode = null; }
  get firstChild() { return this.childNodes[0] || null; }
  append(...items) {
    for (const c of items) {
      const n = typeof c === 'string' ? new Text(c) : c;
      if (n instanceof Fragment) {
        for (const k of [...n.childNodes]) this.append(k);
        n.childNodes = [];
        continue;
      }
      if (n.parentNode) n.remove();
      n.parentNode = this;
      this.childNodes.push(n);
    }
  }
  remove() {
    const p = this.parentNode;
    if (p) p.childNodes = p.childNodes.filter((x) => x !== this);
    this.parentNode = null;
  }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(v) { this.childNodes = []; this.append(new Text(String(v))); }
}
class Text extends Node {
  constructor(t) { super(); this.data = String(t); }
  get textContent() { return this.data; }
}
class Fragment extends Node {}
class Element extends Node {
  constructor(tag) { super(); this.tagName = tag.toUpperCase(); this.attrs = new Map(); this.dataset = {}; }
  setAttribute(k, v) { this.attrs.set(String(k), String(v)); }
  getAttribute(k) { return this.attrs.has(k) ? this.attrs.get(k) : null; }
  removeAttribute(k) { this.attrs.delete(k); }
  set className(v) { this.setAttribute('class', v); }
  addEventListener() {}
}

globalThis.Node = Node;
globalThis.document = {
  createElement: (t) => new Element(t),
  createTextNode: (t) => new Text(t),
  createDocumentFragment: () => new Fragment(),
};

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function html(n) {
  if (n instanceof Text) return esc(n.data);
  const inner = n.childNodes.map(html).join('');
  if (n instanceof Fragment) return inner;
  const tag = n.tagName.toLowerCase();
  const attrs = [...n.attrs].map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  return `<${tag}${attrs}>${inner}</${tag}>`;
}

// Every element of a tree: [{tag, attrs}].
export function elements(n, out = []) {
  if (n instanceof Element) out.push({ tag: n.tagName.toLowerCase(), attrs: Object.fromEntries(n.attrs) });
  for (const c of n.childNodes) elements(c, out);
  return out;
}
