// views/sessions.js — the Sessions view: the conversations (GET
// /api/sessions), one opened with its messages, what it recalled from
// memory and the agents that ran in
// it (GET /api/sessions/{id}, address #/sessions/<id>), Continue in Chat
// (#/chat/<id>), and Delete after a confirmation (DELETE
// /api/sessions/{id}; refused while an agent runs in it).

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { renderMarkdown } from '../js/markdown.js';
import { table, num, shortId, refresher, opener } from '../js/datatable.js';

let active = null;

export function update(params) {
  if (active) active.open(params[0] || null);
}

// A message's content as blocks ([{type, ...}]).
function blocks(content) {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [];
}

function pretty(v) {
  if (typeof v === 'string') return v;
  try { return JSON.stringify(v, null, 2); } catch { return String(v); }
}

function renderMessage(m) {
  const body = h('div', { class: 'msg-body' });
  for (const b of blocks(m.content)) {
    if (b.type === 'text' && b.text) body.append(h('div', { class: 'md' }, renderMarkdown(b.text)));
    else if (b.type === 'tool_use') {
      body.append(h('details', { class: 'tool', 'data-test': 'session-tool', 'data-tool': b.name },
        h('summary', {}, h('span', { class: 'tool-name' }, b.name), h('span', { class: 'tool-state' }, 'call')),
        h('pre', {}, pretty(b.input))));
    } else if (b.type === 'tool_result') {
      body.append(h('details', { class: 'tool' + (b.is_error ? ' tool-error' : '') },
        h('summary', {}, h('span', { class: 'tool-name' }, 'result'),
          h('span', { class: 'tool-state' }, b.is_error ? 'failed' : 'done')),
        h('pre', {}, pretty(b.content))));
    }
  }
  const who = { user: 'You', assistant: 'Agent', tool: 'Tool results' }[m.role] || m.role;
  return h('article', { class: 'msg msg-' + m.role, 'data-test': 'session-message', 'data-role': m.role },
    h('header', { class: 'msg-role' }, who, m.created_at ? h('span', { class: 'hint' }, ' · ' + when(m.created_at)) : null),
    body);
}

export async function mount(root, ctx) {
  const { api } = ctx;
  let openId = null, sessions = [];
  const list = h('div', { class: 'view-body', 'data-test': 'sessions-list' });
  const detail = h('div', { class: 'session-detail', 'data-test': 'session-detail' });
  const seen = opener(detail);
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Sessions'),
      h('button', { type: 'button', 'data-test': 'sessions-refresh', onclick: () => live.refresh() }, 'Refresh')),
    list, detail));

  async function remove(s) {
    const name = s.title || s.id.slice(0, 8);
    if (!window.confirm(`Delete the session "${name}" and its ${s.messages ?? ''} messages? This cannot be undone.`)) return;
    try {
      await api.del('/api/sessions/' + seg(s.id));
    } catch (e) {
      ctx.showError(`Delete "${name}": ${e.message}`);
      return;
    }
    if (openId === s.id) location.hash = '#/sessions';
    await live.refresh();
  }

  function actions(s, inDetail) {
    return h('span', { class: 'actions' },
      inDetail ? null : h('a', { href: '#/sessions/' + encodeURIComponent(s.id), class: 'button',
        'data-test': 'session-open', 'aria-label': 'Open ' + (s.title || s.id) }, 'Open'),
      h('a', { href: '#/chat/' + encodeURIComponent(s.id), class: 'button',
        'data-test': 'session-continue', 'aria-label': 'Continue ' + (s.title || s.id) + ' in Chat' }, 'Continue in Chat'),
      h('button', { type: 'button', class: 'danger', 'data-test': 'session-delete',
        'aria-label': 'Delete ' + (s.title || s.id), onclick: () => remove(s) }, 'Delete'));
  }

  async function loadList() {
    const r = await api.get('/api/sessions?limit=200');
    sessions = r.sessions || [];
    clear(list);
    if (!sessions.length) {
      list.append(emptyState('No sessions yet.', 'A session is made by the first message in Chat.'));
      return;
    }
    list.append(table([
      { label: 'Title', value: (s) => s.title || '(untitled)' },
      { label: 'Model', value: (s) => s.model },
      { label: 'Messages', class: 'n', value: (s) => num(s.messages) },
      { label: 'Last used', value: (s) => when(s.updated_at) },
      { label: 'Started', value: (s) => when(s.created_at) },
      { label: '', value: (s) => actions(s, false) },
    ], sessions, { test: 'sessions-table', rowAttrs: (s) => ({ 'data-test': 'session-row',
      'data-id': s.id, 'aria-current': s.id === openId ? 'true' : null }) }));
  }

  async function loadDetail() {
    if (!openId) { clear(detail); return; }
    const id = openId;
    const s = await seen.load(id, () => api.get('/api/sessions/' + seg(id)),
      () => emptyState('No session ' + id + '.', 'It may have been deleted.'));
    if (!s) return;
    if (openId !== id) return;
    clear(detail);
    const msgs = s.messages || [];
    detail.append(
      h('div', { class: 'toolbar' },
        h('h3', { 'data-test': 'session-title' }, s.title || '(untitled)'),
        h('span', { class: 'hint' }, `${msgs.length} messages · tokens ${num(s.input_tokens)} in / ${num(s.output_tokens)} out`),
        actions(Object.assign({ messages: msgs.length }, s), true),
        h('a', { href: '#/sessions', class: 'button', 'data-test': 'session-close' }, 'Close')),
      msgs.length ? h('div', { class: 'chat-log session-log', 'data-test': 'session-messages' }, msgs.map(renderMessage))
        : emptyState('This session has no messages.'),
      (s.agents || []).length ? table([
        { label: 'Agent', value: (a) => shortId(a.id) },
        { label: 'Parent', value: (a) => a.parent_id ? shortId(a.parent_id) : '' },
        { label: 'State', value: (a) => a.state },
        { label: 'Model', value: (a) => a.model },
        { label: 'Iterations', class: 'n', value: (a) => num(a.iterations) },
        { label: 'Started', value: (a) => when(a.created_at) },
        { label: 'Ended', value: (a) => when(a.ended_at) + (a.exit_reason ? ' · ' + a.exit_reason : '') },
      ], s.agents, { caption: 'Agents that ran in it', test: 'session-agents' }) : null,
      recalled(s.recall));
  }

  // What the session recalled from memory (at its start, and when its
  // topic shifted): the topics, then the memories in the order recalled.
  function recalled(r) {
    const mems = (r && r.memories) || [];
    if (!mems.length) return null;
    const topics = (r.topics || []).filter((t) => t.recalled).map((t) => t.topic);
    return h('div', { 'data-test': 'session-recall' },
      h('p', { class: 'hint' }, 'Recalled from memory' + (topics.length ? ' on ' + topics.join(', ') : '') + ':'),
      table([
        { label: 'Memory', value: (m) => '#' + m.id },
        { label: 'Type', value: (m) => m.type || '(forgotten since)' },
        { label: 'Content', value: (m) => m.content || '' },
      ], mems, { test: 'session-recall-table', rowAttrs: (m) => ({ 'data-test': 'session-recall-row',
        'data-id': String(m.id) }) }));
  }

  async function load() {
    await loadList();
    await loadDetail();
  }

  function open(id) {
    openId = id;
    seen.forget();
    for (const tr of list.querySelectorAll('tr[data-id]')) {
      if (tr.dataset.id === id) tr.setAttribute('aria-current', 'true');
      else tr.removeAttribute('aria-current');
    }
    live.refresh();
  }

  const live = refresher(ctx, 'sessions', load, { blank: list, every: 15000,
    types: ['agent.started', 'agent.exited', 'lost', 'daemon.started'] });
  active = { open };
  openId = ctx.params[0] || null;
  await live.refresh();
  return () => { active = null; live.stop(); };
}
