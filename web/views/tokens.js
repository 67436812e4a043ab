// views/tokens.js — the Tokens view: who this dashboard is signed in as
// (GET /api/whoami), and for an admin the API tokens with roles (GET
// /api/tokens): make one (POST /api/tokens; the token is shown once,
// with a copy button) and revoke one (DELETE /api/tokens/{id}, after a
// confirmation).  Never a token after it was shown.

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { table, select, refresher } from '../js/datatable.js';

const ROLES = [['viewer', 'Viewer (reads)'], ['operator', 'Operator (also chats, runs agents)'],
  ['admin', 'Admin (also config, budgets, tokens)']];
const EXPIRES = [['', 'Never'], ['24h', 'In 24 hours'], ['7d', 'In 7 days'], ['30d', 'In 30 days'],
  ['90d', 'In 90 days']];

export async function mount(root, ctx) {
  const { api, me } = ctx;
  const who = h('p', { class: 'hint', 'data-test': 'tokens-whoami' });
  const shown = h('div', { 'data-test': 'token-shown', role: 'status', 'aria-live': 'polite' });
  const list = h('div', { 'data-test': 'tokens-list' });
  let role = 'viewer', expires = '';
  const name = h('input', { id: 'token-name', name: 'name', required: true, 'data-test': 'token-name',
    placeholder: 'grafana', autocomplete: 'off', size: 16, pattern: '[A-Za-z0-9._\\-]{1,63}' });
  const form = h('form', { class: 'toolbar', 'data-test': 'token-form', 'aria-label': 'Make a token',
    onsubmit: (ev) => { ev.preventDefault(); create(); } },
  h('label', { class: 'field', for: 'token-name' }, 'Name ', name),
  select('token-role', 'Role', ROLES, role, (v) => { role = v; }, 'token-role'),
  select('token-expires', 'Expires', EXPIRES, expires, (v) => { expires = v; }, 'token-expires'),
  h('button', { type: 'submit', 'data-test': 'token-create' }, 'Make token'));

  const admin = !me || me.can('admin');
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Tokens'),
      admin ? h('button', { type: 'button', 'data-test': 'tokens-refresh', onclick: () => live.refresh() },
        'Refresh') : null),
    who, admin ? [form, shown, list] : h('p', { class: 'hint', 'data-test': 'tokens-readonly' },
      'Tokens are managed by an admin (oxios token create, or this view signed in as one).')));
  who.textContent = me && me.name
    ? `Signed in as ${me.name}, role ${me.role}` + (me.expires_at ? `, until ${when(me.expires_at)}.` : '.')
    : 'Signed in.';

  async function create() {
    const n = name.value.trim();
    if (!n) { name.focus(); return; }
    const body = { name: n, role };
    if (expires) body.expires = expires;
    clear(shown);
    try {
      const t = await api.post('/api/tokens', body);
      showOnce(t);
      name.value = '';
    } catch (e) {
      ctx.showError(`Make token ${n}: ${e.message}`);
    }
    await live.refresh();
  }

  // The token, this once: a read-only field and a copy button.
  function showOnce(t) {
    const field = h('input', { id: 'token-value', readonly: true, value: t.token, size: 52,
      'data-test': 'token-value', 'aria-label': 'The new token', onfocus: (ev) => ev.target.select() });
    const copied = h('span', { class: 'hint', 'data-test': 'token-copied', role: 'status' });
    clear(shown).append(h('div', { class: 'result' },
      h('p', { class: 'good' }, `Token ${t.name} (${t.role}) made. This is the only time it is shown: store it now.`),
      h('div', { class: 'toolbar' }, field,
        h('button', { type: 'button', 'data-test': 'token-copy', onclick: async () => {
          try {
            await navigator.clipboard.writeText(t.token);
            copied.textContent = 'Copied.';
          } catch {
            field.focus();
            copied.textContent = 'Selected: copy it with Ctrl+C.';
          }
        } }, 'Copy'), copied,
        h('button', { type: 'button', 'data-test': 'token-dismiss', onclick: () => clear(shown) }, 'Done'))));
  }

  function revoke(t) {
    if (!window.confirm(`Revoke the token ${t.name}? Clients using it are refused at once.`)) return;
    (async () => {
      try {
        await api.del('/api/tokens/' + seg(t.id));
      } catch (e) {
        ctx.showError(`Revoke ${t.name}: ${e.message}`);
      }
      await live.refresh();
    })();
  }

  async function load() {
    if (!admin) return;
    const r = await api.get('/api/tokens');
    const rows = r.tokens || [];
    clear(list);
    if (!rows.length) {
      list.append(emptyState('No tokens with roles yet.',
        'Make one above for a script, a colleague or a dashboard that only reads.'));
      return;
    }
    list.append(table([
      { label: 'Name', value: (t) => t.name },
      { label: 'Role', value: (t) => t.role },
      { label: 'State', value: (t) => t.state },
      { label: 'Made', value: (t) => when(t.created_at) },
      { label: 'By', value: (t) => t.created_by },
      { label: 'Expires', value: (t) => t.expires_at ? when(t.expires_at) : 'never' },
      { label: 'Last used', value: (t) => when(t.last_used_at) },
      { label: '', value: (t) => t.state === 'active'
        ? h('button', { type: 'button', class: 'danger', 'data-test': 'token-revoke',
          'aria-label': 'Revoke the token ' + t.name, onclick: () => revoke(t) }, 'Revoke') : '' },
    ], rows, { test: 'tokens-table', rowAttrs: (t) => ({ 'data-test': 'token-row', 'data-name': t.name,
      'data-state': t.state }) }));
  }

  const live = refresher(ctx, 'tokens', load, { blank: list, every: 30000, types: ['daemon.started'] });
  await live.refresh();
  return live.stop;
}
