// views/chat.js — the Chat view: a conversation with the agent over the
// chat WebSocket (js/chatsock.js): the answer streams in and is rendered
// as safe Markdown (js/markdown.js), tool calls fold (details/summary)
// with their inputs and results, a run can be cancelled; the session list
// (GET /api/sessions) resumes an earlier conversation (#/chat/<id>); the
// model picker; the Ouroboros spec switch, whose interview questions are
// answered in the conversation and whose phases show as they come; a tool
// call that waits for a human approval shows as a card (Allow once, Allow
// always, Deny), and "/approve ID [always]" or "/reject ID" typed in the
// input answers any pending approval (POST /api/approvals/{id}/...).

import { seg } from '../js/api.js';
import { ChatSocket } from '../js/chatsock.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { renderMarkdown } from '../js/markdown.js';

let active = null; // the mounted view, for update()

export function update(params) {
  if (active) active.open(params[0] || null);
}

export async function mount(root, ctx) {
  const { api, showError } = ctx;
  let sessionId = null, run = null; // run: the answer being streamed

  // ---- the layout ----
  const sessionList = h('ul', { class: 'session-list', 'data-test': 'session-list' });
  const newChat = h('button', { type: 'button', 'data-test': 'new-chat',
    onclick: () => {
      if (location.hash === '#/chat' || location.hash === '') open(null);
      else location.hash = '#/chat';
    } }, 'New chat');
  const log = h('div', { class: 'chat-log', id: 'chat-log', role: 'log',
    'aria-live': 'polite', 'aria-label': 'Conversation', 'data-test': 'messages' });
  const input = h('textarea', { id: 'chat-input', name: 'message', rows: 3,
    'data-test': 'chat-input', required: true,
    placeholder: 'Message your agent (Enter sends, Shift+Enter adds a line)' });
  const models = h('datalist', { id: 'chat-models' });
  const model = h('input', { id: 'chat-model', name: 'model', list: 'chat-models',
    'data-test': 'model-picker', placeholder: 'default', autocomplete: 'off',
    spellcheck: 'false', size: 22 });
  const spec = h('input', { id: 'chat-spec', type: 'checkbox', name: 'spec',
    'data-test': 'spec-switch' });
  const send = h('button', { type: 'submit', id: 'chat-send', 'data-test': 'send' }, 'Send');
  const cancel = h('button', { type: 'button', id: 'chat-cancel', 'data-test': 'cancel',
    disabled: true, onclick: () => {
      try { sock.send({ type: 'cancel' }); cancel.disabled = true; } catch (e) { showError(e.message); }
    } }, 'Cancel');
  const status = h('span', { class: 'chat-status', 'data-test': 'chat-status', role: 'status' });
  const form = h('form', { class: 'chat-form', 'data-test': 'chat-form' },
    h('label', { for: 'chat-input', class: 'sr-only' }, 'Message'),
    input,
    h('div', { class: 'chat-controls' },
      h('label', { for: 'chat-model' }, 'Model '), model, models,
      h('label', { class: 'check', for: 'chat-spec',
        title: 'Run the message through the Ouroboros protocol: an interview, a seed, evaluation' },
      spec, ' Spec first'),
      status, cancel, send));
  root.append(h('div', { class: 'chat' },
    h('aside', { class: 'sessions', 'aria-label': 'Sessions' },
      h('h2', {}, 'Sessions'), newChat, sessionList),
    h('div', { class: 'chat-main' }, log, form)));

  // A viewer reads sessions but cannot chat (no ticket, no POST /api/chat).
  const canChat = !ctx.me || ctx.me.can('operator');
  if (!canChat) {
    input.disabled = true;
    input.placeholder = `Read only: chatting needs the operator role; this token is ${ctx.me.role}.`;
    form.dataset.readonly = 'true';
  }

  // ---- the socket ----
  const sock = new ChatSocket(onMessage, (state) => {
    status.textContent = state === 'open' ? '' : 'offline';
    if (state !== 'open' && run) {
      endRun('The connection was lost during the answer.');
    }
    syncButtons();
  });
  if (canChat) sock.start();
  else status.textContent = 'read only';
  syncButtons();

  function syncButtons() {
    send.disabled = run !== null || !canChat;
    cancel.disabled = run === null;
  }

  // ---- messages ----
  function message(role) {
    const body = h('div', { class: 'msg-body' });
    const el = h('article', { class: 'msg msg-' + role, 'data-test': 'message',
      'data-role': role }, h('header', { class: 'msg-role' }, role === 'user' ? 'You' : 'Agent'), body);
    log.querySelector('.empty')?.remove();
    log.append(el);
    return { el, body };
  }

  function userMessage(text) {
    message('user').body.append(renderMarkdown(text));
  }

  function toolFold(into, name, input) {
    const result = h('pre', { class: 'tool-result', 'data-test': 'tool-result' }, '…');
    const fold = h('details', { class: 'tool', 'data-test': 'tool-fold', 'data-tool': name },
      h('summary', {}, h('span', { class: 'tool-name' }, name),
        h('span', { class: 'tool-state', 'data-test': 'tool-state' }, 'running')),
      h('div', { class: 'tool-part' }, h('h4', {}, 'Input'),
        h('pre', { class: 'tool-input', 'data-test': 'tool-input' }, pretty(input))),
      h('div', { class: 'tool-part' }, h('h4', {}, 'Result'), result));
    into.append(fold);
    return { fold, name, result, done: false };
  }

  function toolDone(t, value, isError) {
    t.result.textContent = pretty(value);
    t.fold.querySelector('.tool-state').textContent = isError ? 'failed' : 'done';
    if (isError) t.fold.classList.add('tool-error');
    t.done = true;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  // The answer being streamed: text segments between tool folds.
  function startRun() {
    const m = message('assistant');
    run = { m, text: '', seg: h('div', { class: 'md' }), tools: [], frame: 0, questions: null };
    m.body.append(run.seg);
    m.el.classList.add('streaming');
    syncButtons();
  }

  // A block (a tool fold, a phase, questions) in the answer's order: before
  // the text segment still empty, else after it, with a new segment.
  function addBlock(el) {
    if (!run.text) {
      run.m.body.insertBefore(el, run.seg);
      return el;
    }
    clear(run.seg).append(renderMarkdown(run.text));
    run.m.body.append(el);
    run.seg = h('div', { class: 'md' });
    run.text = '';
    run.m.body.append(run.seg);
    return el;
  }

  function paint() {
    if (!run || run.frame) return;
    run.frame = requestAnimationFrame(() => {
      if (!run) return;
      run.frame = 0;
      clear(run.seg).append(renderMarkdown(run.text));
      scroll();
    });
  }

  function endRun(error, done) {
    if (!run) return;
    const r = run;
    run = null;
    cancelAnimationFrame(r.frame);
    r.m.el.classList.remove('streaming');
    if (done && !r.streamed && done.reply) r.text = done.reply;
    clear(r.seg).append(renderMarkdown(r.text));
    if (r.questions) r.questions.remove();
    for (const c of (r.cards || new Map()).values()) clearInterval(c.timer);
    if (error) r.m.body.append(h('p', { class: 'msg-error', 'data-test': 'message-error', role: 'alert' }, error));
    if (done) {
      const bits = [];
      if (done.duration_ms !== undefined) bits.push((done.duration_ms / 1000).toFixed(1) + ' s');
      if (done.stop_reason) bits.push(done.stop_reason);
      if (done.ouroboros_stop)
        bits.push('Ouroboros: ' + done.ouroboros_stop + (done.generations ? ' after ' +
          done.generations + ' generation' + (done.generations > 1 ? 's' : '') : ''));
      if (done.usage && done.usage.output_tokens !== undefined)
        bits.push(done.usage.input_tokens + ' in / ' + done.usage.output_tokens + ' out tokens');
      if (bits.length) r.m.body.append(h('p', { class: 'msg-meta' }, bits.join(' · ')));
    }
    syncButtons();
    scroll();
    loadSessions();
  }

  function onMessage(msg) {
    switch (msg.type) {
    case 'started':
      if (msg.session_id && msg.session_id !== sessionId) {
        sessionId = msg.session_id;
        history.replaceState(null, '', '#/chat/' + encodeURIComponent(sessionId));
      }
      break;
    case 'delta':
      if (!run) return;
      run.text += msg.text || '';
      run.streamed = true;
      paint();
      break;
    case 'reset':
      if (!run) return;
      run.text = '';
      paint();
      break;
    case 'tool_start':
      if (!run) return;
      {
        const box = addBlock(h('div', { class: 'tool-box' }));
        run.tools.push(toolFold(box, msg.name, msg.input));
      }
      scroll();
      break;
    case 'tool_end': {
      if (!run) return;
      const t = run.tools.find((x) => !x.done && x.name === msg.name);
      if (t) toolDone(t, msg.result, msg.result && msg.result.ok === false);
      break;
    }
    case 'questions':
      if (run) askQuestions(msg);
      break;
    case 'approval':
      if (run) approvalCard(msg);
      break;
    case 'phase':
      if (run) {
        addBlock(h('p', { class: 'phase', 'data-test': 'phase' },
          'Phase: ' + msg.phase + (msg.generation ? ' (generation ' + msg.generation + ')' : '')));
      }
      break;
    case 'retry':
      // A call to the model failed and is tried again: say so, and why.
      if (run) {
        addBlock(h('p', { class: 'phase', 'data-test': 'retry' },
          'Retrying in ' + ((msg.wait_ms || 0) / 1000).toFixed(1) + ' s (attempt ' +
          msg.attempt + ' failed): ' + (msg.reason || '')));
        scroll();
      }
      break;
    case 'done':
      endRun(null, msg);
      break;
    case 'error':
      // An answer to an approval that lost (decided elsewhere, expired):
      // said, and the run goes on.
      if (msg.code === 'conflict' || msg.code === 'not_found' ||
          (run && run.cards && run.cards.size && msg.code === 'bad_request')) {
        showError(msg.message || msg.code, 'chat-approval');
        break;
      }
      if (run && run.questions && (msg.code === 'bad_request' || msg.code === 'not_asked')) {
        showError(msg.message || msg.code, 'chat-answers');
        break;
      }
      if (run && msg.code === 'cancelled') endRun('Cancelled.');
      else if (run) endRun((msg.message || msg.code || 'the run failed') +
        (msg.code ? ' [' + msg.code + ']' : ''));
      else showError(msg.message || msg.code || 'chat error', 'chat');
      break;
    default:
      break;
    }
  }

  // A tool call waits for a human: the card, with a countdown to its denial.
  const DECISIONS = [['once', 'Allow once', 'Allowed once.'], ['always', 'Allow always', 'Allowed always (an allow rule was added).'],
    ['deny', 'Deny', 'Denied.']];
  function approvalCard(msg) {
    run.cards = run.cards || new Map();
    const left = h('span', { class: 'approval-left', 'data-test': 'approval-left' });
    const expires = Date.parse(msg.expires_at);
    const tick = () => {
      const s = Math.max(0, Math.round((expires - Date.now()) / 1000));
      left.textContent = isNaN(expires) ? '' : ` (denied in ${s} s unless answered)`;
    };
    tick();
    const timer = setInterval(tick, 1000);
    const card = h('div', { class: 'approval', role: 'group', 'aria-label': 'Approval of ' + msg.tool,
      'data-test': 'approval-card', 'data-id': msg.id },
    h('p', {}, 'Approval needed: ', h('strong', {}, msg.tool || ''), ' ', h('code', {}, msg.summary || ''), left),
    h('p', { class: 'approval-reason' }, msg.reason || ''),
    h('div', { class: 'chat-controls' }, DECISIONS.map(([d, label]) => h('button', {
      type: 'button', class: d === 'deny' ? 'danger' : null, 'data-test': 'approval-' + d,
      onclick: () => {
        try {
          sock.send({ type: 'approve', id: msg.id, decision: d });
          settleCard(msg.id, DECISIONS.find((x) => x[0] === d)[2]);
        } catch (e) { showError(e.message, 'chat-approval'); }
      } }, label))));
    run.cards.set(msg.id, { card, timer });
    addBlock(card);
    scroll();
  }

  // An approval answered (here, by a typed command, or elsewhere).
  function settleCard(id, text) {
    const c = run && run.cards && run.cards.get(id);
    if (!c) return;
    clearInterval(c.timer);
    c.card.replaceWith(h('p', { class: 'phase', 'data-test': 'approval-answered', 'data-id': id }, text));
    run.cards.delete(id);
  }

  // "/approve ID [always]" or "/reject ID": over REST, for any approval.
  async function typedAnswer(text) {
    const m = /^\/(approve|reject)\s+(\S+)(?:\s+(always|once))?\s*$/.exec(text);
    if (!m) {
      showError('Use /approve ID [always] or /reject ID', 'chat-approval');
      return;
    }
    const [, verb, id, scope] = m;
    const note = (t) => log.append(h('p', { class: 'phase', 'data-test': 'approval-note' }, t));
    try {
      const r = await api.post('/api/approvals/' + seg(id) + '/' + verb,
        verb === 'approve' ? { scope: scope || 'once' } : {});
      const t = `${r.tool} ${r.summary}: ${r.state}${r.scope ? ' (' + r.scope + ')' : ''}`;
      note(t);
      settleCard(id, t);
    } catch (e) {
      showError(`${verb} ${id}: ${e.message}`, 'chat-approval');
    }
    scroll();
  }

  // A round of interview questions: each with its default; empty keeps it.
  function askQuestions(msg) {
    if (run.questions) run.questions.remove();
    const fields = (msg.questions || []).map((q, i) => {
      const id = `q-${msg.round}-${i}`;
      return { input: h('input', { id, type: 'text', 'data-test': 'question-answer',
        placeholder: q.default ? 'default: ' + q.default : '' }),
      label: h('label', { for: id }, q.question) };
    });
    const answer = (go) => {
      try {
        const answers = fields.map((f) => f.input.value.trim() || null);
        sock.send({ type: 'answers', go: go || undefined, answers });
        // What was answered stays in the conversation.
        box.replaceWith(h('ul', { class: 'answered', 'data-test': 'answered' },
          (msg.questions || []).map((q, i) => h('li', {}, q.question + ' ',
            h('strong', {}, answers[i] ?? (q.default || '')),
            answers[i] === null ? ' (default)' : ''))));
        if (go) addBlock(h('p', { class: 'phase' }, 'Interview ended.'));
        run.questions = null;
      } catch (e) { showError(e.message); }
    };
    const box = h('form', { class: 'questions', 'data-test': 'questions',
      onsubmit: (ev) => { ev.preventDefault(); answer(false); } },
    h('p', {}, 'The agent asks (round ' + msg.round + '); leave an answer empty to take its default:'),
    fields.map((f) => h('div', { class: 'question' }, f.label, f.input)),
    h('div', { class: 'chat-controls' },
      h('button', { type: 'submit', 'data-test': 'answers-send' }, 'Answer'),
      h('button', { type: 'button', 'data-test': 'answers-go', onclick: () => answer(true) },
        'Go with these')));
    run.questions = box;
    addBlock(box);
    fields[0]?.input.focus();
    scroll();
  }

  // ---- sending ----
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (/^\/(approve|reject)\b/.test(text)) {
      input.value = '';
      typedAnswer(text);
      return;
    }
    if (!text || run) return;
    const req = { type: 'message', content: text };
    if (sessionId) req.session_id = sessionId;
    if (model.value.trim()) req.model = model.value.trim();
    if (spec.checked) req.spec = true;
    try {
      sock.send(req);
    } catch (e) {
      showError(e.message, 'chat');
      return;
    }
    userMessage(text);
    input.value = '';
    startRun();
    scroll();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  // ---- sessions ----
  async function loadSessions() {
    let r;
    try {
      r = await api.get('/api/sessions?limit=50');
    } catch (e) {
      if (e.status !== 401) showError('Sessions: ' + e.message, 'sessions');
      return;
    }
    clear(sessionList);
    const seen = new Set();
    for (const s of r.sessions || []) {
      if (s.model) seen.add(s.model);
      sessionList.append(h('li', {}, h('a', { href: '#/chat/' + encodeURIComponent(s.id),
        class: 'session', 'data-test': 'session-item', 'data-id': s.id,
        onclick: (ev) => { // the open one again: no hashchange, reload it
          if (ev.currentTarget.getAttribute('href') === location.hash) open(s.id);
        },
        'aria-current': s.id === sessionId ? 'true' : null },
      h('span', { class: 'session-title' }, s.title || s.id),
      h('span', { class: 'session-when' }, when(s.updated_at) + ' · ' + s.messages + ' msgs'))));
    }
    if (!sessionList.firstChild) sessionList.append(h('li', { class: 'hint' }, 'No sessions yet.'));
    for (const m of seen) addModel(m);
  }

  function addModel(m) {
    if (!m || [...models.options].some((o) => o.value === m)) return;
    models.append(h('option', { value: m }));
  }

  async function loadModels() {
    try {
      const r = await api.get('/api/config');
      const def = r.config && r.config.engine && r.config.engine.default_model;
      if (def) { model.placeholder = def + ' (default)'; addModel(def); }
    } catch (e) {
      if (e.status !== 401) showError('Models: ' + e.message, 'models');
    }
  }

  // Open a session (#/chat/<id>), or a new conversation (null).
  async function open(id) {
    if (run) endRun('Left while the answer was running.');
    sessionId = id;
    clear(log);
    for (const a of sessionList.querySelectorAll('a'))
      a.setAttribute('aria-current', a.dataset.id === id ? 'true' : 'false');
    if (!id) {
      log.append(emptyState('Start a conversation.',
        'Type a message below; answers stream in as the agent writes them.'));
      input.focus();
      return;
    }
    let s;
    try {
      s = await api.get('/api/sessions/' + seg(id));
    } catch (e) {
      log.append(emptyState('This session cannot be shown.', e.message));
      return;
    }
    if (sessionId !== id) return;
    renderHistory(s.messages || []);
    if (s.model) model.value = s.model;
    scroll();
  }

  function renderHistory(messages) {
    const pending = new Map(); // tool_use_id -> fold
    let last = null; // the assistant message to add to
    for (const m of messages) {
      const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content || [];
      const texts = blocks.filter((b) => b.type === 'text' && b.text);
      if (m.role === 'assistant') {
        last = message('assistant');
        for (const b of blocks) {
          if (b.type === 'text' && b.text) last.body.append(h('div', { class: 'md' }, renderMarkdown(b.text)));
          else if (b.type === 'tool_use') pending.set(b.id, toolFold(last.body, b.name, b.input));
        }
        continue;
      }
      for (const b of blocks) {
        if (b.type !== 'tool_result') continue;
        const t = pending.get(b.tool_use_id);
        if (t) toolDone(t, b.content, b.is_error);
      }
      if (m.role === 'user' && texts.length) {
        userMessage(texts.map((b) => b.text).join('\n\n'));
        last = null;
      }
    }
    for (const t of pending.values()) if (!t.done) t.fold.querySelector('.tool-state').textContent = 'no result';
    if (!messages.length) log.append(emptyState('This session has no messages yet.'));
  }

  active = { open };
  loadModels();
  loadSessions();
  open(ctx.params[0] || null);

  return () => {
    active = null;
    sock.stop();
  };
}

function pretty(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  try { return JSON.stringify(v, null, 2); } catch { return String(v); }
}
