// views/system.js — the System view: the daemon's status (GET
// /api/status), liveness and readiness (GET /health, /health/ready), and
// its metrics (GET /api/metrics?format=json) drawn as inline SVG charts
// (js/chart.js).  It samples every few seconds and keeps a short history
// in the page (module state, so it survives a switch of view); a lost
// connection shows in the banner and sampling goes on when it is back.

import { h, clear, emptyState } from '../js/dom.js';
import { lineChart, barChart, latest, fmtNum } from '../js/chart.js';

const EVERY_MS = 5000;
const KEEP = 120; // samples: ten minutes at 5 s
const history = []; // [{t, requests, errors, events, running, queued, sse, ws}]

function uptime(ms) {
  let s = Math.floor((ms || 0) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const hr = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  return (d ? d + 'd ' : '') + (d || hr ? hr + 'h ' : '') + m + 'm ' + s + 's';
}

// One sample of the metrics, as numbers.
function sample(m) {
  let requests = 0, errors = 0;
  for (const row of m.http || []) {
    requests += row.count;
    if (row.status === 'other' || row.status >= 400) errors += row.count;
  }
  return { t: Date.now(), requests, errors, events: m.events_published || 0,
    running: m.agents?.running || 0, queued: m.agents?.queued || 0,
    sse: m.sse_clients || 0, ws: m.ws_clients || 0 };
}

// Per-second rates between successive samples of a counter.
function rate(key) {
  const out = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1], b = history[i];
    const dt = (b.t - a.t) / 1000;
    if (dt > 0 && b[key] >= a[key]) out.push([b.t, (b[key] - a[key]) / dt]);
  }
  return out;
}

function field(label, value, test) {
  return [h('dt', {}, label), h('dd', { 'data-test': test }, value)];
}

export async function mount(root, ctx) {
  const { api, events } = ctx;
  const statusBox = h('dl', { class: 'facts', 'data-test': 'system-status' });
  const health = h('p', { class: 'health', 'data-test': 'system-health', role: 'status' });
  const providers = h('div', { 'data-test': 'system-providers' });
  const charts = h('div', { class: 'charts', 'data-test': 'system-charts' });
  const updated = h('span', { class: 'hint', 'data-test': 'system-updated', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', 'data-test': 'system-refresh',
    onclick: () => tick(true) }, 'Refresh now');
  root.append(h('div', { class: 'page' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'System'), refresh, updated),
    health,
    h('div', { class: 'cols' },
      h('section', { 'aria-label': 'Status' }, h('h3', {}, 'Status'), statusBox),
      h('section', { 'aria-label': 'Providers' }, h('h3', {}, 'LLM providers'), providers)),
    h('h3', {}, 'Metrics'),
    h('p', { class: 'hint' }, `Sampled every ${EVERY_MS / 1000} s; the page keeps the last ${KEEP}.`),
    charts));

  let banner = null, timer = null, busy = false, stopped = false, lastMetrics = null;

  function showStatus(st) {
    clear(statusBox);
    statusBox.append(
      ...field('Status', st.status, 'status-state'),
      ...field('Version', st.version, 'status-version'),
      ...field('PID', String(st.pid), 'status-pid'),
      ...field('Uptime', uptime(st.uptime_ms), 'status-uptime'),
      ...field('Listening on', st.listen, 'status-listen'),
      ...field('Agents', `${st.agents?.running ?? 0} running, ${st.agents?.queued ?? 0} queued`, 'status-agents'),
      ...field('Warm workers', String(st.warm_workers ?? 0), 'status-warm'),
      ...field('Chats', String(st.chats ?? 0), 'status-chats'),
      ...field('Streams', `${st.sse_clients ?? 0} event, ${st.ws_clients ?? 0} WebSocket`, 'status-streams'),
      ...field('Configuration', st.config || '', 'status-config'));
    clear(providers);
    const list = st.providers || [];
    if (list.length === 0) {
      providers.append(emptyState('No provider called yet.', 'Their circuit breakers show here once used.'));
      return;
    }
    providers.append(h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Provider', 'State', 'Failures', 'Calls', 'Reason']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map((p) => h('tr', { 'data-test': 'provider-row', dataset: { provider: p.provider } },
        h('td', {}, p.provider), h('td', {}, p.state), h('td', {}, String(p.failures ?? 0)),
        h('td', {}, `${p.window_calls ?? 0} (${p.window_failures ?? 0} failed)`),
        h('td', {}, p.reason || ''))))));
  }

  async function showHealth() {
    let live = 'not answering', ready = null;
    try {
      const hl = await api.get('/health');
      live = hl.status;
    } catch (e) { live = e.message; }
    try {
      ready = await api.get('/health/ready', { quiet: true });
    } catch (e) {
      ready = { ready: false, why: e.message };
    }
    const checks = ready.checks ? Object.entries(ready.checks)
      .map(([k, v]) => `${k} ${v ? 'ok' : 'FAILING'}`).join(', ') : ready.why;
    health.textContent = `Health: ${live}.  Ready: ${ready.ready ? 'yes' : 'no'} (${checks}).`;
    health.dataset.ready = ready.ready ? 'yes' : 'no';
  }

  function showCharts() {
    clear(charts);
    const reqs = [{ name: 'requests/s', points: rate('requests') },
      { name: 'errors/s', points: rate('errors') },
      { name: 'events/s', points: rate('events') }];
    const agents = [{ name: 'running', points: history.map((x) => [x.t, x.running]) },
      { name: 'queued', points: history.map((x) => [x.t, x.queued]) }];
    const streams = [{ name: 'event streams', points: history.map((x) => [x.t, x.sse]) },
      { name: 'WebSockets', points: history.map((x) => [x.t, x.ws]) }];
    charts.append(
      chartBox(lineChart({ title: 'HTTP requests and events per second', test: 'chart-requests',
        desc: 'Per second over the last samples. Latest: ' + latest(reqs), series: reqs,
        yLabel: 'per second', xLabel: 'time', none: 'Two samples are needed for a rate.' })),
      chartBox(lineChart({ title: 'Agents', test: 'chart-agents', series: agents,
        desc: 'Agents running and queued. Latest: ' + latest(agents), yLabel: 'agents', xLabel: 'time' })),
      chartBox(lineChart({ title: 'Open streams', test: 'chart-streams', series: streams,
        desc: 'Event streams and chat WebSockets open. Latest: ' + latest(streams),
        yLabel: 'clients', xLabel: 'time' })));
    const lat = Object.entries(lastMetrics?.latency || {})
      .filter(([, v]) => v && v.count > 0 && v.p90 !== undefined)
      .sort((a, b) => b[1].p90 - a[1].p90).slice(0, 8);
    charts.append(chartBox(barChart({ title: 'Slowest routes (p90 latency)', test: 'chart-latency',
      desc: lat.map(([r, v]) => `${r}: ${fmtNum(v.p90 * 1000)} ms`).join('; ') || 'No requests timed yet.',
      bars: lat.map(([r, v]) => ({ label: r.replace(/^\/api\//, ''), value: v.p90 * 1000 })),
      yLabel: 'ms', oneColour: true, none: 'No requests timed yet.' })));
  }

  function chartBox(svg) { return h('figure', { class: 'chart-box' }, svg); }

  async function tick(now) {
    if (busy || stopped) return;
    busy = true;
    try {
      const [st, m] = await Promise.all([api.get('/api/status'), api.get('/api/metrics?format=json')]);
      if (stopped) return;
      showStatus(st);
      lastMetrics = m;
      history.push(sample(m));
      while (history.length > KEEP) history.shift();
      showCharts();
      await showHealth();
      updated.textContent = 'Updated ' + new Date().toLocaleTimeString();
      banner?.remove(); // the daemon answers again
      banner = null;
    } catch (e) {
      if (now || !statusBox.firstChild) banner = ctx.showError('System: ' + e.message, 'system');
      updated.textContent = 'Last attempt failed: ' + e.message;
    } finally {
      busy = false;
    }
  }

  await tick(true);
  timer = setInterval(() => tick(false), EVERY_MS);
  // The stream is back after a loss: sample at once.
  const unsub = events.subscribe((ev) => { if (ev.type === 'config.reloaded') tick(false); });
  const onOnline = () => tick(false);
  window.addEventListener('online', onOnline);
  return () => {
    stopped = true;
    clearInterval(timer);
    unsub();
    window.removeEventListener('online', onOnline);
  };
}
