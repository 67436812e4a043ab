// views/scheduler.js — the Scheduler view: per provider its calls in
// flight and queued, rates against their limits, the Retry-After block
// and the circuit breaker (GET /api/scheduler/stats, the breakers' detail
// from GET /api/status), per priority class the queue and its waits, the
// calls waiting or running (GET /api/scheduler/tasks) and each agent's
// fair share.  Reloaded every 2 s and on breaker.changed.

import { h, clear, emptyState } from '../js/dom.js';
import { table, num, ms, shortId, refresher } from '../js/datatable.js';

function limit(now, max) {
  return num(now) + ' / ' + (max ? num(max) : '∞');
}

function breaker(state, detail) {
  const d = detail || {};
  const why = [];
  if (d.failures) why.push(d.failures + ' failures');
  if (d.reason) why.push(d.reason);
  if (d.window_calls) why.push(`${d.window_failures || 0} of ${d.window_calls} calls failed`);
  if (state !== 'closed' && d.next_probe_ms) why.push('probe in ' + ms(d.next_probe_ms));
  return h('span', {}, h('span', { class: 'state breaker-' + (state || 'unknown'),
    'data-test': 'breaker-state' }, state || 'unknown'),
  why.length ? h('span', { class: 'hint' }, ' ' + why.join(', ')) : null);
}

export async function mount(root, ctx) {
  const { api } = ctx;
  const body = h('div', { class: 'view-body', 'data-test': 'scheduler' });
  const stamp = h('span', { class: 'hint', role: 'status', 'data-test': 'scheduler-updated' });
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Scheduler'), stamp,
      h('button', { type: 'button', 'data-test': 'scheduler-refresh', onclick: () => live.refresh() }, 'Refresh')),
    body));

  async function load() {
    const [stats, tasks, status] = await Promise.all([api.get('/api/scheduler/stats'),
      api.get('/api/scheduler/tasks'), api.get('/api/status').catch(() => null)]);
    const details = new Map(((status && status.providers) || []).map((p) => [p.provider, p]));
    const providers = stats.providers || [];
    clear(body);
    stamp.textContent = 'updated ' + new Date().toLocaleTimeString();
    if (!providers.length && !(tasks.tasks || []).length) {
      body.append(emptyState('No provider has been called yet.',
        'Queues, rates and breakers show once an agent calls a model.'));
      return;
    }
    body.append(h('h3', {}, 'Providers'), table([
      { label: 'Provider', value: (p) => p.provider },
      { label: 'Breaker', value: (p) => breaker(p.breaker, details.get(p.provider)) },
      { label: 'In flight', class: 'n', value: (p) => limit(p.in_flight, p.max_concurrent) },
      { label: 'Queued', class: 'n', value: (p) => num(p.queued) },
      { label: 'Admitted', class: 'n', value: (p) => num(p.admitted) },
      { label: 'Rate limited', class: 'n', value: (p) => num(p.rate_limited) },
      { label: 'Requests/min', class: 'n', value: (p) => p.rpm ? limit(p.rpm.now, p.rpm.limit) : '' },
      { label: 'Tokens/min', class: 'n', value: (p) => p.tpm ? limit(p.tpm.now, p.tpm.limit) : '' },
      { label: 'Blocked', class: 'n', value: (p) => p.blocked_ms ? ms(p.blocked_ms) : 'no' },
    ], providers, { test: 'providers', rowAttrs: (p) => ({ 'data-test': 'provider-row',
      'data-provider': p.provider, 'data-breaker': p.breaker || '' }) }));

    const classes = [];
    for (const p of providers) {
      for (const [name, c] of Object.entries(p.classes || {})) classes.push(Object.assign({ provider: p.provider, name }, c));
    }
    if (classes.length) {
      body.append(h('h3', {}, 'Priority classes'), table([
        { label: 'Provider', value: (c) => c.provider },
        { label: 'Class', value: (c) => c.name },
        { label: 'Queued', class: 'n', value: (c) => num(c.queued) },
        { label: 'In flight', class: 'n', value: (c) => num(c.in_flight) },
        { label: 'Admitted', class: 'n', value: (c) => num(c.admitted) },
        { label: 'Admitted/s (1 min)', class: 'n', value: (c) => num(c.admitted_per_sec) },
        { label: 'Wait p50', class: 'n', value: (c) => ms(c.wait_p50_ms) },
        { label: 'Wait p95', class: 'n', value: (c) => ms(c.wait_p95_ms) },
      ], classes, { test: 'classes' }));
    }

    const models = [];
    for (const p of providers) for (const m of p.models || []) models.push(Object.assign({ provider: p.provider }, m));
    if (models.length) {
      body.append(h('h3', {}, 'Models'), table([
        { label: 'Provider', value: (m) => m.provider },
        { label: 'Model', value: (m) => m.model },
        { label: 'Queued', class: 'n', value: (m) => num(m.queued) },
        { label: 'In flight', class: 'n', value: (m) => limit(m.in_flight, m.max_concurrent) },
        { label: 'RPM limit', class: 'n', value: (m) => m.rpm_limit ? num(m.rpm_limit) : '∞' },
        { label: 'TPM limit', class: 'n', value: (m) => m.tpm_limit ? num(m.tpm_limit) : '∞' },
      ], models, { test: 'models' }));
    }

    const t = tasks.tasks || [];
    body.append(h('h3', {}, 'Calls waiting and running'), t.length ? table([
      { label: 'State', value: (x) => x.state },
      { label: 'Provider', value: (x) => x.provider },
      { label: 'Model', value: (x) => x.model },
      { label: 'Agent', value: (x) => shortId(x.agent_id) },
      { label: 'Principal', value: (x) => x.principal },
      { label: 'Class', value: (x) => x.effective_class && x.effective_class !== x.class
        ? `${x.class} → ${x.effective_class}` : x.class },
      { label: 'Waited', class: 'n', value: (x) => ms(x.waited_ms) },
    ], t, { test: 'tasks', rowAttrs: (x) => ({ 'data-test': 'task-row', 'data-state': x.state }) })
      : h('p', { class: 'hint', 'data-test': 'no-tasks' }, 'No call is waiting or running.'));

    const agents = stats.agents || [];
    const waits = new Map((stats.queue_by_agent || []).map((q) => [q.agent_id, q]));
    if (agents.length || waits.size) {
      const ids = [...new Set([...agents.map((a) => a.agent_id), ...waits.keys()])];
      const byId = new Map(agents.map((a) => [a.agent_id, a]));
      body.append(h('h3', {}, 'Agents (fair share)'), table([
        { label: 'Agent', value: (id) => shortId(id) },
        { label: 'Share tokens', class: 'n', value: (id) => num(byId.get(id)?.tokens) },
        { label: 'Queued', class: 'n', value: (id) => num(byId.get(id)?.queued) },
        { label: 'Running', class: 'n', value: (id) => num(byId.get(id)?.running) },
        { label: 'Calls', class: 'n', value: (id) => num(waits.get(id)?.calls) },
        { label: 'Time queued', class: 'n', value: (id) => ms(waits.get(id)?.queue_ms) },
      ], ids, { test: 'fair-share' }));
    }
  }

  const live = refresher(ctx, 'scheduler', load, { blank: body, every: 2000,
    types: ['breaker.changed', 'lost', 'daemon.started', 'config.reloaded'] });
  await live.refresh();
  return live.stop;
}
