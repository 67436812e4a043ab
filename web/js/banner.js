// banner.js — the messages above every view: errors of failed requests
// (dismissable, never a blank page) and one "connection lost" banner per
// stream while it is down (removed when it is back).

import { h } from './dom.js';

const lost = new Map(); // source -> element

function area() { return document.getElementById('banners'); }

// An error banner; it stays until dismissed or replaced by the same key.
export function showError(message, key) {
  const a = area();
  if (key) a.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
  const el = h('div', { class: 'banner banner-error', role: 'alert',
    'data-test': 'error-banner', dataset: key ? { key } : undefined },
    h('span', { class: 'banner-text' }, message),
    h('button', { type: 'button', class: 'banner-close',
      'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'));
  a.append(el);
  return el;
}

export function clearErrors() {
  area().querySelectorAll('.banner-error').forEach((e) => e.remove());
}

// A stream (`source`: "events", "chat") is down, or (up) back.
export function connection(source, down, detail) {
  const old = lost.get(source);
  if (!down) {
    if (old) old.remove();
    lost.delete(source);
    return;
  }
  const text = `Connection lost (${source}): reconnecting…` +
    (detail ? ` (${detail})` : '');
  if (old) {
    old.firstChild.textContent = text;
    return;
  }
  const el = h('div', { class: 'banner banner-warn', role: 'status',
    'data-test': 'connection-banner' }, h('span', {}, text));
  lost.set(source, el);
  area().append(el);
}
