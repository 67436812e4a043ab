// views/audit.js — the Audit view: the tamper-evident log's entries,
// oldest first, filtered by action, actor and resource and paged by
// sequence number (GET /api/audit/entries), a check of the whole log
// (GET /api/audit/verify: every hash, root and signature) with its
// result, signing a tree head now (POST /api/audit/flush), and an entry's
// inclusion proof in the newest signed head (GET /api/audit/proof/{seq}).

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';

const PAGE = 50;

export async function mount(root, ctx) {
  const { api, events } = ctx;
  // What a control starts: a failure is a banner, never an uncaught error.
  const safe = (fn) => (...a) => Promise.resolve().then(() => fn(...a))
    .catch((e) => ctx.showError('Audit: ' + e.message, 'audit'));
  const input = (id, label, ph, extra) => {
    const el = h('input', Object.assign({ id: 'audit-' + id, 'data-test': 'audit-' + id, placeholder: ph,
      autocomplete: 'off', size: 14 }, extra || {}));
    return [h('label', { for: 'audit-' + id }, label + ' '), el];
  };
  const [actionL, action] = input('action', 'Action', 'any, e.g. memory_write');
  const [actorL, actor] = input('actor', 'Actor', 'any, e.g. user');
  const [resL, resource] = input('resource', 'Resource', 'any, e.g. memory:1');
  const [afterL, after] = input('after', 'After seq', '0', { type: 'number', min: 0, size: 6 });
  const filters = h('form', { class: 'toolbar', 'data-test': 'audit-filters',
    onsubmit: (ev) => { ev.preventDefault(); starts.length = 0; safe(load)(Number(after.value) || 0); } },
  actionL, action, actorL, actor, resL, resource, afterL, after,
  h('button', { type: 'submit', 'data-test': 'audit-apply' }, 'Show'));
  const verifyBtn = h('button', { type: 'button', 'data-test': 'audit-verify', onclick: safe(verify) }, 'Verify the log');
  const flushBtn = h('button', { type: 'button', 'data-test': 'audit-flush', onclick: safe(flush) }, 'Sign a head now');
  const verdict = h('div', { class: 'result', 'data-test': 'audit-verify-result', role: 'status', 'aria-live': 'polite' });
  const table = h('div', { 'data-test': 'audit-entries' });
  const prev = h('button', { type: 'button', 'data-test': 'audit-prev', disabled: true,
    onclick: safe(() => load(starts.pop() || 0)) }, '← Earlier');
  const next = h('button', { type: 'button', 'data-test': 'audit-next', disabled: true,
    onclick: safe(() => { starts.push(from); return load(lastSeq); }) }, 'Later →');
  const pageInfo = h('span', { class: 'hint', 'data-test': 'audit-page' });
  root.append(h('div', { class: 'page' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Audit log'), verifyBtn, flushBtn), verdict,
    filters, table, h('div', { class: 'toolbar' }, prev, pageInfo, next)));

  let from = 0, lastSeq = 0;
  const starts = []; // where the earlier pages began

  function detailText(d) {
    if (d === null || d === undefined) return '';
    return typeof d === 'string' ? d : JSON.stringify(d);
  }

  async function load(start) {
    from = start;
    after.value = start ? String(start) : '';
    const q = new URLSearchParams({ after: String(start), limit: String(PAGE) });
    if (action.value.trim()) q.set('action', action.value.trim());
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (resource.value.trim()) q.set('resource', resource.value.trim());
    let r;
    try {
      r = await api.get('/api/audit/entries?' + q);
    } catch (e) {
      clear(table);
      table.append(emptyState('The entries cannot be shown.', e.message));
      throw e;
    }
    const list = r.entries || [];
    clear(table);
    lastSeq = list.length ? list[list.length - 1].seq : start;
    prev.disabled = starts.length === 0;
    next.disabled = list.length < PAGE;
    pageInfo.textContent = list.length ? `entries ${list[0].seq} to ${lastSeq}` : '';
    if (list.length === 0) {
      table.append(emptyState(start ? 'No entries after #' + start + ' with these filters.' :
        'No audit entries with these filters.', 'Actions (config changes, memory writes, runs) are recorded as they happen.'));
      return;
    }
    table.append(h('table', { class: 'table audit' },
      h('thead', {}, h('tr', {}, ['Seq', 'Time', 'Actor', 'Action', 'Resource', 'Detail', 'Proof']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.flatMap((e) => row(e)))));
  }

  function row(e) {
    const proofRow = h('tr', { class: 'proof-row', hidden: true }, h('td', { colspan: 7 }));
    const btn = h('button', { type: 'button', class: 'link', 'data-test': 'audit-proof',
      'aria-expanded': 'false', 'aria-label': 'Inclusion proof of entry ' + e.seq,
      onclick: safe(() => proof(e.seq, btn, proofRow)) }, 'Proof');
    return [h('tr', { 'data-test': 'audit-entry', dataset: { seq: String(e.seq), action: e.action } },
      h('td', {}, String(e.seq)), h('td', {}, when(e.time)), h('td', {}, e.actor),
      h('td', {}, e.action), h('td', {}, e.resource || ''),
      h('td', { class: 'mono clip' }, detailText(e.detail)), h('td', {}, btn)), proofRow];
  }

  async function proof(seq, btn, proofRow) {
    if (!proofRow.hidden) {
      proofRow.hidden = true;
      btn.setAttribute('aria-expanded', 'false');
      return;
    }
    const cell = clear(proofRow.firstChild);
    proofRow.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    try {
      const p = await api.get('/api/audit/proof/' + seg(seq));
      cell.append(h('dl', { class: 'facts mono', 'data-test': 'audit-proof-body' },
        h('dt', {}, 'Leaf'), h('dd', {}, `${p.leaf} (index ${p.leaf_index})`),
        h('dt', {}, 'Tree'), h('dd', {}, `size ${p.size}, root ${p.root}`),
        h('dt', {}, 'Path'), h('dd', {}, p.inclusion.length ? p.inclusion.join(' ') :
          '(empty: the leaf is the root)'),
        h('dt', {}, 'Signed head'), h('dd', {}, `${when(p.head?.time)}: signature ${p.head?.signature}`),
        h('dt', {}, 'Public key'), h('dd', {}, p.head?.public_key || '')));
    } catch (e) {
      cell.append(h('p', { class: 'bad', 'data-test': 'audit-proof-error' },
        'No proof: ' + e.message + (e.status === 404 || e.status === 409 ?
          '  (An entry is provable once a head covering it is signed: Sign a head now.)' : '')));
    }
  }

  async function verify() {
    verifyBtn.disabled = true;
    clear(verdict);
    try {
      const v = await api.get('/api/audit/verify');
      verdict.dataset.ok = v.ok ? 'yes' : 'no';
      verdict.append(h('p', { class: v.ok ? 'good' : 'bad', 'data-test': 'audit-verdict' },
        v.ok ? `The log verifies: ${v.entries} entries, ${v.heads} signed head(s)` +
          (v.unsigned ? `, ${v.unsigned} entries not yet under a signed head.` : '.') :
          `The log does NOT verify: ${v.problem || 'a problem'}` +
          (v.first_bad_seq ? ` (first bad entry #${v.first_bad_seq})` : '') +
          (v.first_bad_head ? ` (first bad head ${v.first_bad_head})` : '') + '.'),
      h('p', { class: 'hint' }, 'Checked ' + new Date().toLocaleTimeString()));
    } finally {
      verifyBtn.disabled = false;
    }
  }

  async function flush() {
    flushBtn.disabled = true;
    try {
      const r = await api.post('/api/audit/flush', {});
      clear(verdict);
      verdict.append(h('p', { class: 'good', 'data-test': 'audit-flushed' },
        `Signed a head over ${r.size} entries at ${when(r.time)} (root ${String(r.root).slice(0, 16)}…).`));
    } finally {
      flushBtn.disabled = false;
    }
  }

  await load(0);
  // New entries come with events; reload the page shown if it is the last.
  let pending = null;
  const unsub = events.subscribe((ev) => {
    if (ev.type === 'agent.delta' || !next.disabled) return;
    if (table.querySelector('.proof-row:not([hidden])')) return; // being read
    clearTimeout(pending);
    pending = setTimeout(() => load(from).catch(() => {}), 1000);
  });
  return () => { clearTimeout(pending); unsub(); };
}
