// views/budgets.js — the Budgets view: the global limits and what their
// windows spent (GET /api/budget), each principal's (agent profile's)
// limits, spend and holds, with Set limits (POST /api/budget/{agent}),
// Reset (POST /api/budget/{agent}/reset) and Remove limits (DELETE
// /api/budget/{agent}); and the usage report (GET /api/usage?by=&since=):
// calls, tokens and cost grouped by phase, model, principal, class, kind
// or day.  Reloaded every 10 s and on the budget.* events.

import { seg } from '../js/api.js';
import { h, clear, emptyState } from '../js/dom.js';
import { table, num, usd, select, refresher, act as actThen } from '../js/datatable.js';

const BY = [['phase', 'Phase'], ['model', 'Model'], ['principal', 'Principal'],
  ['class', 'Priority class'], ['kind', 'Kind'], ['day', 'Day']];
const SINCE = [['', 'All time'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days']];

function stamp(msv) {
  return msv ? new Date(msv).toLocaleString() : '';
}

function spent(s) {
  if (!s) return '';
  return `${usd(s.usd)} · ${num(s.tokens)} tokens · ${num(s.calls)} call${s.calls === 1 ? '' : 's'}`;
}

// "spent / limit" of one kind, "" when it has no limit.
function against(used, max, fmt) {
  return max ? `${fmt(used || 0)} / ${fmt(max)}` : `${fmt(used || 0)} (no limit)`;
}

export async function mount(root, ctx) {
  const { api } = ctx;
  let by = 'phase', since = '';
  const global = h('div', { 'data-test': 'budget-global' });
  const agents = h('div', { 'data-test': 'budget-agents' });
  const usage = h('div', { 'data-test': 'usage' });

  // ---- the Set limits form ----
  const f = {
    agent: h('input', { id: 'budget-agent', name: 'agent', required: true, 'data-test': 'budget-agent',
      placeholder: 'default', autocomplete: 'off', size: 14 }),
    tokens: h('input', { id: 'budget-tokens', name: 'tokens', type: 'number', min: 0, step: 1,
      'data-test': 'budget-tokens', placeholder: '0 = none', size: 10 }),
    calls: h('input', { id: 'budget-calls', name: 'calls', type: 'number', min: 0, step: 1,
      'data-test': 'budget-calls', placeholder: '0 = none', size: 8 }),
    usd: h('input', { id: 'budget-usd', name: 'usd', type: 'number', min: 0, step: 'any',
      'data-test': 'budget-usd', placeholder: '0 = none', size: 8 }),
    window: h('select', { id: 'budget-window', name: 'window', 'data-test': 'budget-window' },
      [['day', 'Day'], ['month', 'Month'], ['lifetime', 'Lifetime']].map(([v, t]) => h('option', { value: v }, t))),
  };
  const field = (id, label, el) => h('label', { class: 'field', for: id }, label + ' ', el);
  const form = h('form', { class: 'budget-form toolbar', 'data-test': 'budget-form',
    'aria-label': 'Set the limits of a principal', onsubmit: (ev) => { ev.preventDefault(); save(); } },
  field('budget-agent', 'Principal', f.agent), field('budget-tokens', 'Tokens', f.tokens),
  field('budget-calls', 'Calls', f.calls), field('budget-usd', 'USD', f.usd),
  field('budget-window', 'Window', f.window),
  h('button', { type: 'submit', 'data-test': 'budget-save' }, 'Set limits'));

  // Setting, resetting and removing limits is an admin's.
  const admin = !ctx.me || ctx.me.can('admin');
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Budgets'),
      h('button', { type: 'button', 'data-test': 'budgets-refresh', onclick: () => live.refresh() }, 'Refresh')),
    global, h('h3', {}, 'Principals'), admin ? form : null, agents,
    h('div', { class: 'toolbar' }, h('h3', {}, 'Usage'),
      select('usage-by', 'Group by', BY, by, (v) => { by = v; live.refresh(); }, 'usage-by'),
      select('usage-since', 'Since', SINCE, since, (v) => { since = v; live.refresh(); }, 'usage-since')),
    usage));

  const act = (what, fn) => actThen(ctx, live, what, fn);

  function save() {
    const name = f.agent.value.trim();
    if (!name) { f.agent.focus(); return; }
    const body = { window: f.window.value };
    for (const k of ['tokens', 'calls', 'usd']) {
      if (f[k].value !== '') body[k] = Number(f[k].value);
    }
    return act(`Set limits of ${name}`, () => api.post('/api/budget/' + seg(name), body));
  }

  function edit(a) {
    const l = a.limits || {};
    f.agent.value = a.agent;
    f.tokens.value = l.tokens || ''; // 0 is no limit: left empty
    f.calls.value = l.calls || '';
    f.usd.value = l.usd || '';
    f.window.value = l.window || a.window || 'day';
    f.tokens.focus();
  }

  function rowActions(a) {
    if (!admin) return '';
    return h('span', { class: 'actions' },
      h('button', { type: 'button', 'data-test': 'budget-edit', 'aria-label': 'Edit the limits of ' + a.agent,
        onclick: () => edit(a) }, 'Edit'),
      h('button', { type: 'button', 'data-test': 'budget-reset', 'aria-label': 'Reset the window of ' + a.agent,
        onclick: () => {
          if (window.confirm(`Start the budget window of ${a.agent} anew? Its spend so far stops counting.`)) {
            act(`Reset ${a.agent}`, () => api.post('/api/budget/' + seg(a.agent) + '/reset'));
          }
        } }, 'Reset'),
      a.limits ? h('button', { type: 'button', class: 'danger', 'data-test': 'budget-remove',
        'aria-label': 'Remove the limits of ' + a.agent, onclick: () => {
          if (window.confirm(`Remove the limits of ${a.agent}? Its spend stays in the ledger.`)) {
            act(`Remove limits of ${a.agent}`, () => api.del('/api/budget/' + seg(a.agent)));
          }
        } }, 'Remove limits') : null);
  }

  async function loadBudget() {
    const b = await api.get('/api/budget');
    const g = b.global || {};
    const win = (w) => w ? against(w.spent && w.spent.usd, w.usd, usd) +
      (w.reserved && w.reserved.usd ? ` (+${usd(w.reserved.usd)} held)` : '') : '';
    clear(global).append(table([
      { label: 'Window', value: (r) => r[0] },
      { label: 'Spent / limit', value: (r) => r[1] },
      { label: 'Detail', value: (r) => r[2] },
    ], [
      ['Today (all principals)', win(g.daily), g.daily ? spent(g.daily.spent) : ''],
      ['This month (all principals)', win(g.monthly), g.monthly ? spent(g.monthly.spent) : ''],
      ['Per run', g.per_run ? `${g.per_run.tokens ? num(g.per_run.tokens) + ' tokens' : 'no token limit'}, ` +
        `${g.per_run.calls ? num(g.per_run.calls) + ' calls' : 'no call limit'}` : '', ''],
      ['Per session', g.per_session ? `${g.per_session.tokens ? num(g.per_session.tokens) + ' tokens' : 'no token limit'}, ` +
        `${g.per_session.calls ? num(g.per_session.calls) + ' calls' : 'no call limit'}, ` +
        `${g.per_session.usd ? usd(g.per_session.usd) : 'no USD limit'}` : '', ''],
    ], { caption: 'Global limits', test: 'budget-global-table' }));
    const rows = b.agents || [];
    clear(agents);
    if (!rows.length) {
      agents.append(emptyState('No principal has limits or spend yet.',
        'Set limits above; spend is recorded as agents call models.'));
      return;
    }
    agents.append(table([
      { label: 'Principal', value: (a) => a.agent },
      { label: 'Window', value: (a) => a.window },
      { label: 'USD', class: 'n', value: (a) => against(a.spent?.usd, a.limits?.usd, usd) },
      { label: 'Tokens', class: 'n', value: (a) => against(a.spent?.tokens, a.limits?.tokens, num) },
      { label: 'Calls', class: 'n', value: (a) => against(a.spent?.calls, a.limits?.calls, num) },
      { label: 'Held', class: 'n', value: (a) => a.reserved && (a.reserved.tokens || a.reserved.usd)
        ? `${num(a.reserved.tokens)} tokens, ${usd(a.reserved.usd)}` : '' },
      { label: 'Window start', value: (a) => stamp(a.window_start) },
      { label: '', value: rowActions },
    ], rows, { test: 'budget-table', rowAttrs: (a) => ({ 'data-test': 'budget-row', 'data-agent': a.agent,
      'data-limited': a.limits ? 'true' : 'false' }) }));
  }

  async function loadUsage() {
    const r = await api.get('/api/usage?by=' + seg(by) + (since ? '&since=' + seg(since) : ''));
    const rows = r.rows || [];
    clear(usage);
    if (!rows.length) {
      usage.append(emptyState('No model calls recorded' + (since ? ' in this time.' : ' yet.')));
      return;
    }
    const label = BY.find((x) => x[0] === by)[1];
    const cost = (x) => usd(x.cost_usd) + (x.partial ? ` (${num(x.unpriced_calls)} not priced)` : '');
    const cols = [
      { label, value: (x) => x.key ?? '(none)' },
      { label: 'Calls', class: 'n', value: (x) => num(x.calls) },
      { label: 'Errors', class: 'n', value: (x) => num(x.errors) },
      { label: 'Input tokens', class: 'n', value: (x) => num(x.input_tokens) },
      { label: 'Output tokens', class: 'n', value: (x) => num(x.output_tokens) },
      { label: 'Cache read', class: 'n', value: (x) => num(x.cache_read_tokens) },
      { label: 'Cache write', class: 'n', value: (x) => num(x.cache_write_tokens) },
      { label: 'Cost', class: 'n', value: cost },
    ];
    const total = Object.assign({}, r.total || {}, { key: 'Total' });
    usage.append(table(cols, rows.concat(r.total ? [total] : []), { test: 'usage-table',
      rowAttrs: (x) => x === total ? { class: 'total', 'data-test': 'usage-total' }
        : { 'data-test': 'usage-row', 'data-key': String(x.key ?? '') } }));
  }

  async function load() {
    await Promise.all([loadBudget(), loadUsage()]);
  }

  const live = refresher(ctx, 'budgets', load, { blank: global, every: 10000,
    types: ['budget.', 'agent.exited', 'lost', 'daemon.started', 'config.reloaded'] });
  await live.refresh();
  return live.stop;
}
