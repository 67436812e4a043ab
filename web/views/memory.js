// views/memory.js — the Memory view: search (POST /api/memory/search,
// keyword or hybrid), storing a memory with its type, tags and protection
// (POST /api/memory), the memories of each tier with their protection
// (GET /api/memory/tiers), counts by tier, type and protection as SVG bar
// charts (GET /api/memory/stats), and the dream reports (GET
// /api/memory/dream/reports) with buttons to consolidate now (POST
// /api/memory/dream) and to compact now (POST /api/memory/compact).  A memory can be forgotten (DELETE
// /api/memory/{id}).  It reloads when a run ends, and after a gap in the
// event stream (lost) or a restart of the daemon.

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { barChart, fmtNum } from '../js/chart.js';

const TIERS = ['hot', 'warm', 'cold'];
const PROTECTIONS = ['none', 'low', 'medium', 'high', 'permanent'];
const TYPES = ['user_profile', 'preference', 'decision', 'knowledge', 'skill', 'fact', 'episode',
  'session', 'conversation', 'summary'];

export async function mount(root, ctx) {
  const { api, events } = ctx;
  // What a control starts: a failure is a banner, never an uncaught error.
  const safe = (fn) => (...a) => Promise.resolve().then(() => fn(...a))
    .catch((e) => ctx.showError('Memory: ' + e.message, 'memory'));

  // ---- search ----
  const query = h('input', { id: 'mem-query', type: 'search', required: true, 'data-test': 'memory-query',
    placeholder: 'what to look for', autocomplete: 'off' });
  const mode = h('select', { id: 'mem-mode', 'data-test': 'memory-mode' },
    h('option', { value: 'keyword' }, 'keyword (BM25)'), h('option', { value: 'hybrid' }, 'hybrid (keyword + vectors)'));
  const type = h('select', { id: 'mem-type', 'data-test': 'memory-type' },
    h('option', { value: '' }, 'any'), TYPES.map((x) => h('option', { value: x }, x)));
  const limit = h('input', { id: 'mem-limit', type: 'number', min: 1, max: 100, value: 20, 'data-test': 'memory-limit', size: 4 });
  const results = h('div', { 'data-test': 'memory-results', 'aria-live': 'polite' });
  const searchForm = h('form', { class: 'toolbar', 'data-test': 'memory-search',
    onsubmit: (ev) => { ev.preventDefault(); safe(search)(); } },
  h('label', { for: 'mem-query' }, 'Search '), query,
  h('label', { for: 'mem-mode' }, 'Mode '), mode,
  h('label', { for: 'mem-type' }, 'Type '), type,
  h('label', { for: 'mem-limit' }, 'At most '), limit,
  h('button', { type: 'submit', 'data-test': 'memory-search-go' }, 'Search'));

  // ---- remember ----
  const content = h('textarea', { id: 'mem-content', rows: 2, required: true, 'data-test': 'memory-content',
    placeholder: 'something the agent should remember' });
  const newType = h('select', { id: 'mem-new-type', 'data-test': 'memory-new-type' },
    h('option', { value: '' }, 'classify it'), TYPES.map((x) => h('option', { value: x }, x)));
  const newTags = h('input', { id: 'mem-new-tags', 'data-test': 'memory-new-tags', placeholder: 'a, b', size: 12 });
  const newProt = h('select', { id: 'mem-new-prot', 'data-test': 'memory-new-protection' },
    PROTECTIONS.map((x) => h('option', { value: x }, x)));
  const stored = h('span', { class: 'hint', 'data-test': 'memory-stored', role: 'status' });
  const remember = h('form', { class: 'remember', 'data-test': 'memory-remember',
    onsubmit: (ev) => { ev.preventDefault(); safe(store)(); } },
  h('label', { for: 'mem-content' }, 'Remember'), content,
  h('div', { class: 'toolbar' },
    h('label', { for: 'mem-new-type' }, 'Type '), newType,
    h('label', { for: 'mem-new-tags' }, 'Tags '), newTags,
    h('label', { for: 'mem-new-prot' }, 'Protection '), newProt,
    h('button', { type: 'submit', 'data-test': 'memory-store' }, 'Store'), stored));

  async function store() {
    const text = content.value.trim();
    if (!text) { content.focus(); return; }
    const body = { content: text, protection: newProt.value };
    if (newType.value) body.type = newType.value;
    const tags = newTags.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    const m = await api.post('/api/memory', body);
    content.value = '';
    stored.textContent = `Stored #${m.id} (${m.type}, ${m.tier}, protection ${m.protection}).`;
    await refresh(true);
  }

  // ---- the rest ----
  const stats = h('div', { class: 'charts', 'data-test': 'memory-stats' });
  const tierPick = h('select', { id: 'mem-tier', 'data-test': 'memory-tier', onchange: () => showTiers() },
    TIERS.map((t) => h('option', { value: t }, t)));
  const protPick = h('select', { id: 'mem-prot', 'data-test': 'memory-protection', onchange: () => showTiers() },
    h('option', { value: '' }, 'any'), PROTECTIONS.map((p) => h('option', { value: p }, p)));
  const tierList = h('div', { 'data-test': 'memory-tier-list' });
  const dream = h('button', { type: 'button', 'data-test': 'memory-dream', onclick: safe(dreamNow) }, 'Dream now');
  const compact = h('button', { type: 'button', 'data-test': 'memory-compact', onclick: safe(compactNow) },
    'Compact now');
  const compacted = h('p', { class: 'hint', 'data-test': 'memory-compact-result', 'aria-live': 'polite' });
  const reports = h('div', { 'data-test': 'memory-reports' });
  const topicList = h('div', { 'data-test': 'memory-topics' });
  const topicDetail = h('div', { 'data-test': 'memory-topic-detail', 'aria-live': 'polite' });

  root.append(h('div', { class: 'page' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Memory'),
      h('button', { type: 'button', 'data-test': 'memory-refresh', onclick: safe(() => refresh(true)) }, 'Refresh')),
    searchForm, results, remember,
    h('h3', {}, 'Counts'), stats,
    h('h3', {}, 'Topics'),
    h('p', { class: 'hint' }, 'What the memory knows, by topic (tags, else the type): the table of contents agents see.'),
    topicList, topicDetail,
    h('h3', {}, 'Tiers'),
    h('div', { class: 'toolbar' }, h('label', { for: 'mem-tier' }, 'Tier '), tierPick,
      h('label', { for: 'mem-prot' }, 'Protection '), protPick),
    tierList,
    h('div', { class: 'toolbar' }, h('h3', {}, 'Dream reports'), dream, compact),
    h('p', { class: 'hint' }, 'Dreaming consolidates: re-tiers, merges near-duplicates, compacts, prunes what decayed, '
      + 're-indexes. Compacting rolls closed days, weeks and months up into summaries through the model.'),
    compacted,
    reports));

  let tiers = { hot: [], warm: [], cold: [] };

  function memoryItem(m, score) {
    const forget = h('button', { type: 'button', class: 'link', 'data-test': 'memory-forget',
      'aria-label': 'Forget memory ' + m.id, onclick: safe(async () => {
        if (!confirm('Forget memory ' + m.id + '?')) return;
        await api.del('/api/memory/' + seg(m.id));
        refresh(false);
        if (results.firstChild && query.value) await search();
      }) }, 'Forget');
    return h('li', { class: 'card', 'data-test': 'memory-item', dataset: { id: String(m.id) } },
      h('p', { class: 'card-text' }, m.content),
      h('p', { class: 'hint' },
        `#${m.id} · ${m.type} · tier ${m.tier} · protection `,
        h('span', { 'data-test': 'memory-item-protection' }, m.protection),
        ` · importance ${fmtNum(m.importance)} · ${m.access_count} access(es) · ` +
        `retention ${fmtNum(m.retention)}` + (score !== undefined ? ` · score ${fmtNum(score)}` : '') +
        ((m.tags || []).length ? ' · tags ' + m.tags.join(', ') : '') + ' · ' + when(m.created_at), ' ', forget));
  }

  async function search() {
    const q = query.value.trim();
    if (!q) { query.focus(); return; }
    const body = { query: q, limit: Number(limit.value) || 20, mode: mode.value };
    if (type.value) body.type = type.value;
    const r = await api.post('/api/memory/search', body);
    clear(results);
    if (r.results.length === 0) {
      results.append(emptyState('Nothing found for "' + q + '".', 'Try other words, or the hybrid mode.'),
        recallHint(r.recall));
      return;
    }
    results.append(h('p', { class: 'hint' }, `${r.results.length} result(s), best first.`),
      h('ol', { class: 'cards' }, r.results.map((m) => memoryItem(m, m.score))), recallHint(r.recall));
  }

  // Which recall the search used, as `oxios memory search` says it:
  // "Recall: fts+vector (embedder tfidf:256), expanded: tabs spaces indent".
  function recallHint(rc) {
    if (!rc) return null;
    let t = 'Recall: ' + rc.how;
    if (rc.vector_failed) t = `Recall: fts (embedder ${rc.embedder} failed)`;
    else if (rc.how !== 'fts') t += ` (embedder ${rc.embedder})`;
    if (rc.terms && rc.terms.length > 0)
      t += `, expanded${rc.expansion === 'cached' ? ' (cached)' : ''}: ${rc.terms.join(' ')}`;
    else if (rc.why) t += `, not expanded: ${rc.why}`;
    return h('p', { class: 'hint', 'data-test': 'memory-recall' }, t);
  }

  function showStats(s, all) {
    clear(stats);
    const byProt = PROTECTIONS.map((p) => ({ label: p, value: all.filter((m) => m.protection === p).length }));
    stats.append(h('p', { class: 'hint', 'data-test': 'memory-total' },
      `${s.total} memories; embedder ${s.embedder} (${s.dim} dimensions); index ${s.index?.vectors ?? 0} vectors.`));
    const fig = (svg) => h('figure', { class: 'chart-box' }, svg);
    stats.append(
      fig(barChart({ title: 'Memories by tier', test: 'chart-tiers', width: 320,
        desc: TIERS.map((t) => `${t}: ${s.tiers?.[t] ?? 0}`).join('; '),
        bars: TIERS.map((t) => ({ label: t, value: s.tiers?.[t] ?? 0 })), yLabel: 'memories' })),
      fig(barChart({ title: 'Memories by type', test: 'chart-types', width: 420,
        desc: Object.entries(s.types || {}).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none',
        bars: Object.entries(s.types || {}).map(([k, v]) => ({ label: k, value: v })),
        yLabel: 'memories', none: 'No memories yet.' })),
      fig(barChart({ title: 'Memories by protection', test: 'chart-protection', width: 360,
        desc: byProt.map((b) => `${b.label}: ${b.value}`).join('; '),
        bars: byProt, yLabel: 'memories' })));
  }

  let openTopic = '';
  function showTopics(list) {
    clear(topicList);
    if (list.length === 0) {
      topicList.append(emptyState('No topics yet.', 'Topics are the tags of memories, or their type.'));
      return;
    }
    topicList.append(h('ul', { class: 'cards' }, list.map((t) =>
      h('li', { class: 'card', 'data-test': 'memory-topic', dataset: { topic: t.topic } },
        h('button', { type: 'button', class: 'link', 'data-test': 'memory-topic-open',
          'aria-label': 'Open topic ' + t.topic, onclick: safe(() => showTopic(t.topic)) }, t.topic),
        ' ', h('span', { 'data-test': 'memory-topic-count' }, String(t.count)),
        h('p', { class: 'hint' }, t.summary)))));
  }

  async function showTopic(name) {
    openTopic = name;
    const t = await api.get('/api/memory/topics/' + seg(name));
    if (stopped || openTopic !== name) return;
    // The topic's root summary (compaction), with the levels below it.
    const top = t.memories.find((m) => m.type === 'summary');
    const tree = top ? await api.get('/api/memory/' + top.id + '/tree') : null;
    if (stopped || openTopic !== name) return;
    clear(topicDetail);
    topicDetail.append(h('h4', { 'data-test': 'memory-topic-name' }, `${t.topic} (${t.count})`),
      tree && tree.level === 'root' ? h('div', { 'data-test': 'memory-topic-tree' },
        h('p', { class: 'hint' }, 'Compaction levels: root, monthly, weekly, daily, then the memories.'),
        h('ul', { class: 'tree' }, treeNode(tree, true))) : null,
      h('ul', { class: 'cards' }, t.memories.map((m) => memoryItem(m))));
  }

  // One node of the compaction tree: its level and period (or its type),
  // id and text; a summary folds its sources (details/summary).
  function treeNode(n, open) {
    const attrs = { 'data-test': 'memory-tree-node',
      dataset: { id: String(n.id), level: n.gone ? 'pruned' : (n.level || 'raw') } };
    if (n.gone) return h('li', attrs, `#${n.id} (pruned)`);
    const head = [h('span', { class: 'badge', 'data-test': 'memory-tree-level' },
      n.level ? `${n.level} ${n.period}` : n.type), ` #${n.id} `, n.content];
    const kids = n.children || [];
    if (kids.length === 0) return h('li', attrs, head);
    return h('li', attrs, h('details', { open },
      h('summary', { 'data-test': 'memory-tree-open' }, head),
      h('ul', { class: 'tree' }, kids.map((c) => treeNode(c, false)))));
  }

  function showTiers() {
    clear(tierList);
    const t = tierPick.value, p = protPick.value;
    const list = (tiers[t] || []).filter((m) => !p || m.protection === p);
    if (list.length === 0) {
      tierList.append(emptyState(`No ${t} memories` + (p ? ` with protection ${p}` : '') + '.',
        'Memories are stored by agents (the memory tool) or POST /api/memory.'));
      return;
    }
    tierList.append(h('ul', { class: 'cards' }, list.map((m) => memoryItem(m))));
  }

  function showReports(list) {
    clear(reports);
    if (list.length === 0) {
      reports.append(emptyState('No consolidation yet.', 'Dream now, or wait for memory.dream_interval_mins.'));
      return;
    }
    reports.append(h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['When', 'Why', 'Took', 'Before (hot/warm/cold)', 'After', 'Promoted', 'Demoted',
        'Merged', 'Pruned', 'Re-embedded'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map((r) => {
        const tt = (x) => x ? `${x.total} (${x.tiers?.hot ?? 0}/${x.tiers?.warm ?? 0}/${x.tiers?.cold ?? 0})` : '';
        return h('tr', { 'data-test': 'dream-report', dataset: { id: String(r.id) } },
          h('td', {}, when(r.started_at)), h('td', {}, r.reason), h('td', {}, `${r.duration_ms} ms`),
          h('td', {}, tt(r.orient)), h('td', {}, tt(r.after)),
          h('td', {}, String(r.signal?.promoted ?? 0)), h('td', {}, String(r.signal?.demoted ?? 0)),
          h('td', {}, String(r.consolidate?.merged ?? 0)), h('td', {}, String(r.prune?.pruned ?? 0)),
          h('td', {}, String(r.index?.reembedded ?? 0)));
      }))));
  }

  async function dreamNow() {
    dream.disabled = true;
    try {
      await api.post('/api/memory/dream', {});
      await refresh(true);
    } finally {
      dream.disabled = false;
    }
  }

  // A compaction now (POST /api/memory/compact): what it did, per level.
  async function compactNow() {
    compact.disabled = true;
    try {
      const r = await api.post('/api/memory/compact', {});
      const sum = (k) => Object.values(r.levels || {}).reduce((n, l) => n + (l[k] || 0), 0);
      compacted.textContent = `Compaction: ${sum('written')} written, ${sum('rewritten')} rewritten, `
        + `${sum('unchanged')} unchanged, ${sum('pending')} pending; ${r.calls} model calls, ${r.pruned} pruned.`
        // Why periods wait, as the daemon says it (and `oxios memory compact`).
        + (r.pending_why ? ' ' + r.pending_why[0].toUpperCase() + r.pending_why.slice(1) + '.' : '');
      await refresh(true);
    } finally {
      compact.disabled = false;
    }
  }

  let stopped = false;
  async function refresh(loud) {
    try {
      const [s, t, r, tp] = await Promise.all([api.get('/api/memory/stats'), api.get('/api/memory/tiers'),
        api.get('/api/memory/dream/reports'), api.get('/api/memory/topics')]);
      if (stopped) return;
      tiers = t;
      showTopics(tp.topics || []);
      if (openTopic && (tp.topics || []).some((x) => x.topic === openTopic)) await showTopic(openTopic);
      else { openTopic = ''; clear(topicDetail); }
      showStats(s, [...t.hot, ...t.warm, ...t.cold]);
      showTiers();
      showReports(r.reports || []);
    } catch (e) {
      if (loud) throw e;
      ctx.showError('Memory: ' + e.message, 'memory');
    }
  }

  await refresh(true);
  let pending = null;
  const unsub = events.subscribe((ev) => {
    // A run may have stored memories; after a gap in the stream (lost)
    // or a restart, what is shown may be stale.
    if (!['agent.exited', 'lost', 'daemon.started'].includes(ev.type)) return;
    clearTimeout(pending);
    pending = setTimeout(() => refresh(false), 300);
  });
  return () => { stopped = true; clearTimeout(pending); unsub(); };
}
