// views/seeds.js — the Seeds view: the spec-first (Ouroboros) runs' seeds
// (GET /api/seeds) and, for one (#/seeds/<id>), its specification (GET
// /api/seeds/{id}) and its lineage (GET /api/seeds/{id}/evolution): every
// generation with its criteria's results and scores, its verdicts, and
// why the run stopped.

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { table, num, shortId, refresher, opener } from '../js/datatable.js';

let active = null;

export function update(params) {
  if (active) active.open(params[0] || null);
}

function score(v) {
  return v === null || v === undefined ? '' : Number(v).toFixed(2);
}

function verdict(passed) {
  if (passed === null || passed === undefined) return h('span', { class: 'state' }, 'not judged');
  return h('span', { class: 'state ' + (passed ? 'state-passed' : 'state-failed'),
    'data-test': 'verdict' }, passed ? 'passed' : 'failed');
}

function list(title, items, text) {
  if (!items || !items.length) return null;
  return h('div', {}, h('h4', {}, title), h('ul', {}, items.map((x) => h('li', {}, text(x)))));
}

function results(rs) {
  if (!rs || !rs.length) return '';
  return h('ul', { class: 'results' }, rs.map((r) => h('li', {},
    r.stage ? h('span', { class: 'hint' }, r.stage + ': ') : null,
    r.passed === false ? 'failed' : r.passed ? 'passed' : '',
    r.score !== undefined && r.score !== null ? ' (' + score(r.score) + ')' : '',
    r.detail ? h('code', { class: 'detail' }, ' ' + JSON.stringify(r.detail)) : null)));
}

function generation(g) {
  const s = g.seed || {};
  return h('section', { class: 'generation', 'data-test': 'generation',
    'data-generation': String(g.generation), 'aria-label': 'Generation ' + g.generation },
  h('header', { class: 'toolbar' },
    h('h4', {}, 'Generation ' + g.generation),
    verdict(g.passed),
    h('span', { 'data-test': 'generation-score' }, 'score ' + (score(g.score) || '—')),
    h('span', { class: 'hint' }, (g.status || '') + (g.stop_reason ? ' · ' + g.stop_reason : '')),
    s.id ? h('a', { href: '#/seeds/' + encodeURIComponent(s.id) }, shortId(s.id)) : null),
  s.rationale ? h('p', { class: 'hint' }, 'Why this generation: ' + s.rationale) : null,
  (g.criteria || []).length ? table([
    { label: 'Criterion', value: (c) => c.id },
    { label: 'Description', value: (c) => c.description },
    { label: 'Result', value: (c) => verdict(c.passed) },
    { label: 'Score', class: 'n', value: (c) => score(c.score) },
    { label: 'Checks', value: (c) => results(c.results) },
  ], g.criteria, { test: 'criteria', rowAttrs: (c) => ({ 'data-test': 'criterion',
    'data-id': c.id, 'data-passed': String(c.passed) }) }) : h('p', { class: 'hint' }, 'No criteria results.'),
  (g.verdicts || []).length ? h('p', { class: 'hint' }, 'Overall verdicts: ',
    g.verdicts.map((v) => `${v.stage || 'verdict'} ${v.passed ? 'passed' : 'failed'}` +
      (v.score !== undefined && v.score !== null ? ` (${score(v.score)})` : '')).join('; ')) : null);
}

export async function mount(root, ctx) {
  const { api } = ctx;
  let openId = null;
  const listEl = h('div', { class: 'view-body', 'data-test': 'seeds-list' });
  const detail = h('div', { class: 'seed-detail', 'data-test': 'seed-detail' });
  const seen = opener(detail);
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Seeds'),
      h('button', { type: 'button', 'data-test': 'seeds-refresh', onclick: () => live.refresh() }, 'Refresh')),
    listEl, detail));

  async function loadList() {
    const r = await api.get('/api/seeds?limit=100');
    const seeds = r.seeds || [];
    clear(listEl);
    if (!seeds.length) {
      listEl.append(emptyState('No seeds yet.',
        'A seed is written when a message runs with Spec first (Chat) or `oxios chat --spec`.'));
      return;
    }
    listEl.append(table([
      { label: 'Goal', value: (s) => h('a', { href: '#/seeds/' + encodeURIComponent(s.id),
        'data-test': 'seed-open' }, s.goal || s.id) },
      { label: 'Generation', class: 'n', value: (s) => num(s.generation) },
      { label: 'Status', value: (s) => s.status },
      { label: 'Stop reason', value: (s) => s.stop_reason },
      { label: 'Type', value: (s) => s.task_type },
      { label: 'Ambiguity', class: 'n', value: (s) => score(s.ambiguity) + (s.degraded ? ' (degraded)' : '') },
      { label: 'Created', value: (s) => when(s.created_at) },
    ], seeds, { test: 'seeds-table', caption: r.total > seeds.length ? `The newest ${seeds.length} of ${r.total}` : null,
      rowAttrs: (s) => ({ 'data-test': 'seed-row', 'data-id': s.id, 'aria-current': s.id === openId ? 'true' : null }) }));
  }

  async function loadDetail() {
    if (!openId) { clear(detail); return; }
    const id = openId;
    const got = await seen.load(id, async () => [
      await api.get('/api/seeds/' + seg(id)),
      await api.get('/api/seeds/' + seg(id) + '/evolution')],
    () => emptyState('No seed ' + id + '.', 'Choose one above.'));
    if (!got) return;
    const [seed, evo] = got;
    if (openId !== id) return;
    const gens = evo.generations || [];
    const last = gens[gens.length - 1] || {};
    clear(detail).append(
      h('div', { class: 'toolbar' },
        h('h3', { 'data-test': 'seed-goal' }, seed.goal || id),
        h('a', { href: '#/seeds', class: 'button', 'data-test': 'seed-close' }, 'Close')),
      h('p', { 'data-test': 'seed-stop' }, h('strong', {}, 'Outcome: '),
        (last.status || seed.status || 'unknown') +
        (last.stop_reason || seed.stop_reason ? ' — ' + (last.stop_reason || seed.stop_reason) : '') +
        ` (${gens.length} generation${gens.length === 1 ? '' : 's'})`),
      h('details', { class: 'spec', 'data-test': 'seed-spec' },
        h('summary', {}, `Specification of generation ${seed.generation} (${seed.task_type || 'task'})`),
        list('Constraints', seed.constraints, (x) => x),
        list('Acceptance criteria', seed.acceptance_criteria, (c) =>
          [`${c.id}: ${c.description}`, c.verify_command
            ? [' — checked by ', h('code', {}, c.verify_command)] : null]),
        list('Evaluation principles', seed.evaluation_principles, (p) =>
          p.name + (p.weight !== undefined ? ` (weight ${p.weight})` : '')),
        list('Exit conditions', seed.exit_conditions, (x) => x),
        list('Assumptions', seed.assumptions, (x) => x)),
      h('h3', {}, 'Lineage'),
      gens.length ? h('div', { 'data-test': 'lineage' }, gens.map(generation))
        : emptyState('No generations recorded.'));
  }

  async function load() {
    await loadList();
    await loadDetail();
  }

  function open(id) {
    openId = id;
    seen.forget();
    live.refresh();
  }

  const live = refresher(ctx, 'seeds', load, { blank: listEl, every: 15000,
    types: ['ouroboros.phase', 'agent.exited', 'lost', 'daemon.started'] });
  active = { open };
  openId = ctx.params[0] || null;
  await live.refresh();
  return () => { active = null; live.stop(); };
}
