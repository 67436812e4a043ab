// views/agents.js — the Agents view: every agent (GET /api/agents) as a
// tree of groups (a root agent and its sub-agents, by parent_id) with its
// state, model, tokens, cost and its worker's CPU time and memory (GET
// /api/resources); Kill on a running or queued agent (POST
// /api/agents/{id}/kill).  Live: the agent.* events reload it, the
// agent.delta and tool.* events show what each is doing, and it is
// reloaded every 3 s for the workers' figures.

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { table, num, usd, kib, ms, shortId, select, refresher } from '../js/datatable.js';

const STATES = [['', 'All'], ['running', 'Running'], ['queued', 'Queued'],
  ['exited', 'Exited'], ['killed', 'Killed'], ['failed', 'Failed'], ['zombie', 'Zombie']];

// The agents in tree order: each root (no parent among the rows), then
// its sub-agents under it, depth first; each with `level` (1 for roots).
export function treeOrder(agents) {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const kids = new Map();
  const roots = [];
  for (const a of agents) {
    if (a.parent_id && byId.has(a.parent_id) && a.parent_id !== a.id) {
      if (!kids.has(a.parent_id)) kids.set(a.parent_id, []);
      kids.get(a.parent_id).push(a);
    } else roots.push(a);
  }
  const out = [];
  const seen = new Set();
  const walk = (a, level) => {
    if (seen.has(a.id)) return;
    seen.add(a.id);
    out.push(Object.assign({}, a, { level, children: (kids.get(a.id) || []).length }));
    for (const k of (kids.get(a.id) || []).slice().reverse()) walk(k, level + 1);
  };
  for (const r of roots) walk(r, 1);
  return out;
}

// What a running agent is doing, from its events: writing (the streamed
// characters), a tool call under way, or the last tool's outcome.
function activityText(x) {
  if (!x) return '';
  if (x.tool) return x.done ? `${x.tool}: ${x.ok ? 'done' : 'failed'}` : `calling ${x.tool}…`;
  return `writing · ${num(x.chars)} chars`;
}

export async function mount(root, ctx) {
  const { api } = ctx;
  let state = '';
  const activity = new Map(); // agent id -> { tool?, done?, ok?, chars }
  const summary = h('p', { class: 'view-summary', 'data-test': 'agents-summary', role: 'status' });
  const body = h('div', { class: 'view-body', 'data-test': 'agent-tree' });
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' },
      h('h2', {}, 'Agents'),
      select('agents-state', 'State', STATES, state, (v) => { state = v; live.refresh(); },
        'agent-state-filter'),
      h('button', { type: 'button', 'data-test': 'agents-refresh', onclick: () => live.refresh() },
        'Refresh')),
    summary, body));

  async function kill(a) {
    if (!window.confirm(`Kill agent ${a.id.slice(0, 8)} (${a.state}) and its sub-agents?`)) return;
    try {
      await api.post('/api/agents/' + seg(a.id) + '/kill');
    } catch (e) {
      ctx.showError(`Kill ${a.id.slice(0, 8)}: ${e.message}`);
    }
    live.refresh();
  }

  async function load() {
    const q = '/api/agents?limit=200' + (state ? '&state=' + seg(state) : '');
    const [list, res] = await Promise.all([api.get(q),
      api.get('/api/resources').catch(() => null)]);
    const workers = new Map(((res && res.agents) || []).map((w) => [w.id, w]));
    const rows = treeOrder(list.agents || []);
    clear(body);
    const running = rows.filter((a) => a.state === 'running').length;
    summary.textContent = `${rows.length} agent${rows.length === 1 ? '' : 's'}` +
      (rows.length ? `, ${running} running` : '') +
      (res && res.sampled_at ? ` · workers sampled ${when(res.sampled_at)}` : '');
    if (!rows.length) {
      body.append(emptyState(state ? `No ${state} agents.` : 'No agents yet.',
        'An agent starts when you send a message in Chat or run `oxios chat`.'));
      return;
    }
    const w = (a) => workers.get(a.id);
    body.append(table([
      { label: 'Agent', value: (a) => h('span', { class: 'tree-cell',
        dataset: { level: String(a.level) } },
      h('span', { class: 'tree-indent', 'aria-hidden': 'true' }, a.level > 1 ? '└ ' : ''),
      shortId(a.id), a.children ? h('span', { class: 'hint' }, ` (${a.children} sub)`) : null) },
      { label: 'State', value: (a) => h('span', { class: 'state state-' + a.state,
        'data-test': 'agent-state' }, a.state) },
      { label: 'Model', value: (a) => a.model || h('span', { class: 'hint' }, '(default)') },
      { label: 'Tokens in/out', class: 'n', value: (a) => num(a.input_tokens) + ' / ' + num(a.output_tokens) },
      { label: 'Cost', class: 'n', value: (a) => a.cost_usd === null &&
        !a.input_tokens && !a.output_tokens ? '' : usd(a.cost_usd) },
      { label: 'CPU', class: 'n', value: (a) => w(a)
        ? h('span', { 'data-test': 'agent-cpu' }, ms(w(a).cpu_ms)) : '' },
      { label: 'Memory', class: 'n', value: (a) => w(a)
        ? h('span', { 'data-test': 'agent-rss' }, kib(w(a).rss_kb)) : '' },
      { label: 'Activity', value: (a) => h('span', { class: 'activity', 'data-test': 'agent-activity',
        'aria-live': 'off' }, a.state === 'running' ? activityText(activity.get(a.id)) : '') },
      { label: 'Session', value: (a) => a.session_id
        ? h('a', { href: '#/sessions/' + encodeURIComponent(a.session_id) }, shortId(a.session_id)) : '' },
      { label: 'Started', value: (a) => when(a.started_at || a.created_at) },
      { label: 'Ended', value: (a) => a.ended_at ? when(a.ended_at) + (a.exit_reason ? ' · ' + a.exit_reason : '') : '' },
      { label: '', value: (a) => (a.state === 'running' || a.state === 'queued')
        ? h('button', { type: 'button', class: 'danger', 'data-test': 'agent-kill',
          'aria-label': 'Kill agent ' + a.id.slice(0, 8), onclick: () => kill(a) }, 'Kill') : '' },
    ], rows, { test: 'agents-table', rowAttrs: (a) => ({ 'data-test': 'agent-row',
      'data-id': a.id, 'data-state': a.state, 'data-parent': a.parent_id || '',
      'aria-level': String(a.level), class: 'level-' + Math.min(a.level, 6) }) }));
  }

  // The live part: each agent's activity, painted into its row at once.
  const unsub = ctx.events.subscribe((ev) => {
    const d = ev.data || {};
    if (!d.agent_id) return;
    const x = activity.get(d.agent_id) || { chars: 0 };
    if (ev.type === 'agent.delta') {
      x.chars += (d.text || '').length;
      delete x.tool;
    } else if (ev.type === 'tool.call') {
      Object.assign(x, { tool: d.name, done: false });
    } else if (ev.type === 'tool.result') {
      Object.assign(x, { tool: d.name, done: true, ok: d.ok });
    } else if (ev.type === 'agent.exited' || ev.type === 'agent.zombie') {
      activity.delete(d.agent_id);
      return;
    } else return;
    activity.set(d.agent_id, x);
    const tr = body.querySelector(`tr[data-id="${CSS.escape(d.agent_id)}"][data-state=running]`);
    const cell = tr && tr.querySelector('[data-test=agent-activity]');
    if (cell) cell.textContent = activityText(x);
  });

  const live = refresher(ctx, 'agents', load, { blank: body, every: 3000,
    types: ['agent.started', 'agent.exited', 'agent.zombie', 'lost', 'daemon.started'] });
  await live.refresh();
  return () => { unsub(); live.stop(); };
}
