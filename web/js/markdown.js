// markdown.js — a small, safe Markdown renderer: text in, DOM nodes out.
// Paragraphs, headings, block quotes, lists (bulleted and numbered),
// fenced code, code spans, **strong**, *emphasis*, and links whose URL is
// http(s) only (rel=noopener noreferrer).  It never parses HTML: whatever
// the model writes, <tags> included, ends up as text.

import { h } from './dom.js';

// The DOM of `src` (a string), as a DocumentFragment.
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (/^\s*$/.test(line)) { i++; continue; }
    if ((m = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line))) {
      const fence = m[1], body = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence)) body.push(lines[i++]);
      i++; // the closing fence (or the end: an unclosed block while streaming)
      const code = h('code', m[2] ? { class: 'lang-' + m[2], 'data-lang': m[2] } : {}, body.join('\n'));
      frag.append(h('pre', {}, code));
      continue;
    }
    if ((m = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      const level = Math.min(m[1].length + 2, 6); // h3..h6 inside a message
      frag.append(h('h' + level, {}, inline(m[2])));
      i++;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const body = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^ {0,3}> ?/, ''));
      frag.append(h('blockquote', {}, renderMarkdown(body.join('\n'))));
      continue;
    }
    if (/^ {0,3}([-*+]|\d{1,9}[.)])\s+/.test(line)) {
      i = list(lines, i, frag);
      continue;
    }
    if (/^ {0,3}([-*_])( *\1){2,}\s*$/.test(line)) {
      frag.append(h('hr'));
      i++;
      continue;
    }
    const para = [];
    while (i < lines.length && !/^\s*$/.test(lines[i]) &&
           !/^ {0,3}(`{3,}|~{3,}|#{1,6}\s|>|([-*+]|\d{1,9}[.)])\s+)/.test(lines[i]))
      para.push(lines[i++].trim());
    frag.append(h('p', {}, inline(para.join('\n'))));
  }
  return frag;
}

// A list from lines[i]; items may continue on indented lines.  Returns
// the index after it.
function list(lines, i, frag) {
  const ordered = /^ {0,3}\d/.test(lines[i]);
  const item = ordered ? /^ {0,3}(\d{1,9})[.)]\s+(.*)$/ : /^ {0,3}[-*+]\s+(.*)$/;
  const el = h(ordered ? 'ol' : 'ul');
  let first = true;
  while (i < lines.length) {
    const m = item.exec(lines[i]);
    if (!m) break;
    if (ordered && first && m[1] !== '1') el.setAttribute('start', String(parseInt(m[1], 10)));
    first = false;
    const body = [ordered ? m[2] : m[1]];
    i++;
    while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !item.test(lines[i])) body.push(lines[i++].trim());
    if (i < lines.length && /^\s*$/.test(lines[i]) && i + 1 < lines.length && item.test(lines[i + 1])) i++;
    const text = body.join('\n');
    el.append(h('li', {}, body.length === 1 ? inline(text) : renderMarkdown(text)));
  }
  frag.append(el);
  return i;
}

// Only absolute http(s) URLs become links.
export function safeUrl(s) {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

// Inline Markdown of one block's text: an array of nodes.
export function inline(text) {
  const out = [];
  let plain = '';
  const flush = () => { if (plain) { out.push(document.createTextNode(plain)); plain = ''; } };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!>~<]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (text[i + n] === '`') n++;
      const ticks = '`'.repeat(n);
      const end = text.indexOf(ticks, i + n);
      if (end > 0) {
        flush();
        let code = text.slice(i + n, end);
        if (/^ .* $/.test(code)) code = code.slice(1, -1);
        out.push(h('code', {}, code));
        i = end + n;
        continue;
      }
      plain += ticks;
      i += n;
      continue;
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = text.indexOf(c + c, i + 2);
      if (end > i + 2) {
        flush();
        out.push(h('strong', {}, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] && !/\s/.test(text[i + 1]) &&
        (c === '*' || i === 0 || /[\s(]/.test(text[i - 1]))) {
      const end = findCloser(text, c, i + 1);
      if (end > 0) {
        flush();
        out.push(h('em', {}, inline(text.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    if (c === '[') {
      const m = /^\[([^\]\n]*)\]\(\s*<?([^\s()<>]+)>?(?:\s+"[^"]*")?\s*\)/.exec(text.slice(i));
      if (m) {
        flush();
        const url = safeUrl(m[2]);
        if (url) {
          out.push(h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank' },
            inline(m[1] || m[2])));
        } else {
          out.push(...inline(m[1]), document.createTextNode(` (${m[2]})`));
        }
        i += m[0].length;
        continue;
      }
    }
    if (c === '\n') {
      flush();
      out.push(h('br'));
      i++;
      continue;
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}

// The closing single * or _ after `from` on the same block, or -1.
function findCloser(text, c, from) {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === c && text[j + 1] !== c && !/\s/.test(text[j - 1]) &&
        (c === '*' || j + 1 === text.length || /[\s.,;:!?)]/.test(text[j + 1])))
      return j;
  }
  return -1;
}
