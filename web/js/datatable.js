// datatable.js — what the data views share: tables built from column
// descriptions (text only, never HTML), number/cost/size/duration formats,
// and a refresher that reloads a view on a timer, on the events it cares
// about and when the page or the connection comes back, keeping one error
// banner per view (replaced, not stacked; removed once a load succeeds).

import { h, clear, emptyState } from './dom.js';

// A <table>: columns [{ label, value(row) -> text or Node, class? }], rows;
// opts.rowAttrs(row) gives each <tr>'s attributes; opts.caption a caption.
export function table(columns, rows, opts) {
  opts = opts || {};
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)));
  const body = h('tbody', {}, rows.map((r) => h('tr', opts.rowAttrs ? opts.rowAttrs(r) : {},
    columns.map((c) => h('td', { class: c.class }, cell(c.value(r)))))));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data', 'data-test': opts.test },
      opts.caption ? h('caption', {}, opts.caption) : null,
      h('thead', {}, head), body));
}

function cell(v) {
  if (v === null || v === undefined || v === '') return '—';
  return v;
}

// 12345 -> "12,345"; null -> "—".
export function num(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 });
}

// A cost in USD: null is "not priced".
export function usd(n) {
  if (n === null || n === undefined) return 'not priced';
  const v = Number(n);
  return '$' + (v !== 0 && Math.abs(v) < 0.01 ? v.toFixed(4) : v.toFixed(2));
}

// Kibibytes, readably.
export function kib(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return n + ' KiB';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' MiB';
  return (n / 1024 / 1024).toFixed(2) + ' GiB';
}

// Milliseconds, readably.
export function ms(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1000) return Math.round(n) + ' ms';
  if (n < 60000) return (n / 1000).toFixed(1) + ' s';
  return Math.floor(n / 60000) + ' min ' + Math.round((n % 60000) / 1000) + ' s';
}

// The first 8 characters of an id, the whole in the title.
export function shortId(id) {
  return id ? h('code', { title: id }, String(id).slice(0, 8)) : '—';
}

// A labelled <select>: options [[value, text], ...].
export function select(id, label, options, value, onchange, test) {
  const s = h('select', { id, 'data-test': test, onchange: () => onchange(s.value) },
    options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return h('label', { class: 'field', for: id }, label + ' ', s);
}

// Reloads with load() (an async function that renders): every `every` ms
// (0: never), on an event whose type `types` has (a prefix ending in "."
// matches a family), when the tab is shown again, and at the first event
// after a failed load (the stream is back); a failed load is retried
// every 3 s.  opts.blank: an element that, still empty after a failed load,
// gets an empty state saying why.  Failures show one banner
// keyed `key`; a good load removes it.  Returns { refresh, stop }.
export function refresher(ctx, key, load, opts) {
  opts = opts || {};
  let timer = 0, soon = 0, retry = 0, busy = null, again = false, failed = false, stopped = false;
  async function refresh() {
    if (stopped) return;
    if (busy) { again = true; return busy; }
    busy = (async () => {
      try {
        await load();
        failed = false;
        document.querySelector(`#banners [data-key="${key}"]`)?.remove();
      } catch (e) {
        if (e && e.name === 'AbortError') return;
        if (e && e.status === 401) return; // the sign-in is back already
        failed = true;
        if (stopped) return;
        ctx.showError(e.message || String(e), key);
        // Never a blank view: an empty one says why.
        if (opts.blank && !opts.blank.firstChild) {
          opts.blank.append(emptyState('This could not be loaded.', e.message || String(e)));
        }
        clearTimeout(retry);
        retry = setTimeout(refresh, 3000); // until the daemon is back
      }
    })();
    await busy;
    busy = null;
    if (again) { again = false; return refresh(); }
  }
  function later() {
    clearTimeout(soon);
    soon = setTimeout(refresh, 250);
  }
  const types = opts.types || [];
  const unsub = ctx.events.subscribe((ev) => {
    if (failed || types.some((t) => t.endsWith('.') ? ev.type.startsWith(t) : ev.type === t)) later();
  });
  const onShow = () => { if (!document.hidden) refresh(); };
  document.addEventListener('visibilitychange', onShow);
  if (opts.every) timer = setInterval(() => { if (!document.hidden) refresh(); }, opts.every);
  return {
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      clearTimeout(retry);
      unsub();
      document.removeEventListener('visibilitychange', onShow);
      document.querySelector(`#banners [data-key="${key}"]`)?.remove();
    },
  };
}

// The detail of an item opened by id, in `detail`: load(id, fetch, gone)
// gives what fetch() gives, or null when the item is gone (404): then
// `gone` (an empty state) is shown once, and the same id is not asked
// again until forget() (another item opened).  Other errors are thrown
// for the refresher.
export function opener(detail) {
  let missing = null;
  return {
    async load(id, fetch, gone) {
      if (id === missing) return null; // said so already
      try {
        return await fetch();
      } catch (e) {
        if (e.status !== 404) throw e;
        missing = id;
        clear(detail).append(gone());
        return null;
      }
    },
    forget() { missing = null; },
  };
}

// A view's action: run fn(); a failure shows as a banner starting with
// `what`; the view reloads either way (live: its refresher).
export async function act(ctx, live, what, fn) {
  try {
    await fn();
  } catch (e) {
    ctx.showError(`${what}: ${e.message}`);
  }
  await live.refresh();
}
