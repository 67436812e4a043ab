// views/resources.js — the Resources view: the resource monitor's last
// sample (GET /api/resources: CPU, memory, load, disk, each running
// agent's workers), whether new runs are paused and the limits (GET
// /api/resources/overload), and the samples the daemon keeps (GET
// /api/resources/history) drawn as inline SVG charts.  It reloads every
// 10 s and on the Refresh button; a failed load keeps what was shown and
// says why in a banner.

import { h, clear, emptyState, when } from '../js/dom.js';
import { lineChart, latest, fmtNum } from '../js/chart.js';

const EVERY_MS = 10000;
const LIMITS = [['60', 'the last 60 samples'], ['360', 'the last 360 samples'], ['1000', 'all kept (up to 1000)']];

function pct(v) { return v === null || v === undefined ? 'unknown' : fmtNum(v) + ' %'; }

export async function mount(root, ctx) {
  const { api } = ctx;
  const now = h('dl', { class: 'facts', 'data-test': 'resources-now' });
  const overload = h('p', { class: 'health', 'data-test': 'resources-overload', role: 'status' });
  const agents = h('div', { 'data-test': 'resources-agents' });
  const charts = h('div', { class: 'charts', 'data-test': 'resources-charts' });
  const range = h('select', { id: 'resources-range', 'data-test': 'resources-range',
    onchange: () => load(true) },
  LIMITS.map(([v, label]) => h('option', { value: v }, label)));
  const updated = h('span', { class: 'hint', 'aria-live': 'polite', 'data-test': 'resources-updated' });
  root.append(h('div', { class: 'page' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Resources'),
      h('label', { for: 'resources-range' }, 'History '), range,
      h('button', { type: 'button', 'data-test': 'resources-refresh', onclick: () => load(true) }, 'Refresh'),
      updated),
    overload,
    h('div', { class: 'cols' },
      h('section', { 'aria-label': 'Last sample' }, h('h3', {}, 'Last sample'), now),
      h('section', { 'aria-label': 'Agents' }, h('h3', {}, "Agents' workers"), agents)),
    h('h3', {}, 'History'), charts));

  let banner = null, timer = null, stopped = false, busy = false;

  function showNow(r) {
    clear(now);
    if (!r.sampled) {
      now.append(h('dd', {}, 'No sample yet: the monitor samples every monitor.interval_secs.'));
      return;
    }
    const rows = [
      ['Sampled', when(r.sampled_at)],
      ['CPU', pct(r.cpu_percent) + ` of ${r.cpus} CPU(s)`],
      ['Memory', pct(r.memory_percent) + ` in use (${fmtNum(r.memory_available_kb / 1024)} of ${fmtNum(r.memory_total_kb / 1024)} MB free)`],
      ['Load', `${r.load['1m']} / ${r.load['5m']} / ${r.load['15m']} (1, 5, 15 min)`],
      ['Disk', r.disk_free_mb === null ? 'unknown' : `${fmtNum(r.disk_free_mb)} MB free of ${fmtNum(r.disk_total_mb)} MB`],
    ];
    for (const [k, v] of rows) now.append(h('dt', {}, k), h('dd', { 'data-test': 'now-' + k.toLowerCase() }, v));
    clear(agents);
    const list = r.agents || [];
    if (list.length === 0) {
      agents.append(emptyState('No agent is running.', 'Running agents show here with their worker processes.'));
      return;
    }
    agents.append(h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Agent', 'PID', 'Processes', 'CPU time', 'Memory']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map((a) => h('tr', { 'data-test': 'agent-row' },
        h('td', {}, a.id), h('td', {}, String(a.pid)), h('td', {}, String(a.processes)),
        h('td', {}, fmtNum(a.cpu_ms / 1000) + ' s'), h('td', {}, fmtNum(a.rss_kb / 1024) + ' MB'))))));
  }

  function showOverload(o) {
    const l = o.limits || {};
    const off = (v, unit) => (v ? fmtNum(v) + unit : 'off');
    overload.textContent = (o.overloaded ? 'Overloaded: new runs are paused (' + o.reason + ').' :
      'Not overloaded: new runs are admitted.') +
      `  Limits: CPU ${off(l.max_cpu_percent, ' %')}, memory ${off(l.max_memory_percent, ' %')}, ` +
      `free disk at least ${off(l.min_disk_mb, ' MB')}.`;
    overload.dataset.overloaded = o.overloaded ? 'yes' : 'no';
    overload.classList.toggle('bad', !!o.overloaded);
  }

  function showHistory(hist) {
    clear(charts);
    const s = hist.samples || [];
    const t = (x) => Date.parse(x.sampled_at);
    const usage = [{ name: 'CPU %', points: s.map((x) => [t(x), x.cpu_percent]) },
      { name: 'memory %', points: s.map((x) => [t(x), x.memory_percent]) }];
    const load = [{ name: 'load 1m', points: s.map((x) => [t(x), x.load?.['1m']]) },
      { name: 'load 5m', points: s.map((x) => [t(x), x.load?.['5m']]) }];
    const disk = [{ name: 'free MB', points: s.map((x) => [t(x), x.disk_free_mb]) }];
    const workers = [{ name: 'agents', points: s.map((x) => [t(x), (x.agents || []).length]) }];
    const none = 'No samples kept yet (one every monitor.interval_secs).';
    charts.append(
      h('p', { class: 'hint' }, `${s.length} sample(s) of ${hist.capacity} kept.`),
      box(lineChart({ title: 'CPU and memory use', test: 'chart-usage', series: usage, yMin: 0, yMax: 100,
        yLabel: 'percent', xLabel: 'time', none, desc: 'Percent in use. Latest: ' + latest(usage) })),
      box(lineChart({ title: 'Load average', test: 'chart-load', series: load, yLabel: 'load',
        xLabel: 'time', none, desc: 'System load average. Latest: ' + latest(load) })),
      box(lineChart({ title: 'Free disk', test: 'chart-disk', series: disk, yLabel: 'MB',
        xLabel: 'time', none, desc: 'Free megabytes on the disk of the Oxios home. Latest: ' + latest(disk) })),
      box(lineChart({ title: 'Running agents', test: 'chart-agents', series: workers, yLabel: 'agents',
        xLabel: 'time', none, desc: 'Agents with workers at each sample. Latest: ' + latest(workers) })));
  }

  function box(svg) { return h('figure', { class: 'chart-box' }, svg); }

  async function load(loud) {
    if (busy || stopped) return;
    busy = true;
    try {
      const [r, o, hist] = await Promise.all([api.get('/api/resources'),
        api.get('/api/resources/overload'),
        api.get('/api/resources/history?limit=' + range.value)]);
      if (stopped) return;
      showNow(r);
      showOverload(o);
      showHistory(hist);
      updated.textContent = 'Updated ' + new Date().toLocaleTimeString();
      banner?.remove(); // the daemon answers again
      banner = null;
    } catch (e) {
      if (loud || !now.firstChild) banner = ctx.showError('Resources: ' + e.message, 'resources');
      updated.textContent = 'Last attempt failed: ' + e.message;
    } finally {
      busy = false;
    }
  }

  await load(true);
  timer = setInterval(() => load(false), EVERY_MS);
  return () => { stopped = true; clearInterval(timer); };
}
