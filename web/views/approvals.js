// views/approvals.js — the Approvals view, an inbox: the tool calls that
// wait for a human (GET /api/approvals), each with the tool and its input
// summarised, the agent (its profile, a link to the agents view), its
// task (the session's title, a link to the session), why it waits, a
// countdown to its denial, and Allow once, Allow always (an allow rule
// for the same call) and Deny with an optional reason the agent reads
// (POST /api/approvals/{id}/approve|reject);
// below, the latest decided approvals and the allow rules in force
// (GET /api/security/rules), each revocable (DELETE
// /api/security/rules/{id}), and a form that makes one before any call
// waits (POST /api/security/rules).  Reloaded on the approval.* and
// permissions.changed events and every 10 s; the countdowns tick.

import { seg } from '../js/api.js';
import { h, clear, emptyState } from '../js/dom.js';
import { table, shortId, refresher, act as actThen } from '../js/datatable.js';

function stamp(msv) {
  return msv ? new Date(msv).toLocaleString() : '';
}

function left(expires) {
  const s = Math.max(0, Math.round((expires - Date.now()) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

export async function mount(root, ctx) {
  const { api } = ctx;
  const titles = new Map(); // session id -> its title (a promise)
  // Answering and revoking rules is an operator's (or an admin's).
  const operator = !ctx.me || ctx.me.can('operator');
  const inbox = h('div', { 'data-test': 'approvals-inbox' });
  const recent = h('div', { 'data-test': 'approvals-recent' });
  const rules = h('div', { 'data-test': 'approvals-rules' });
  // An allow rule made before any call waits (runs nobody can answer:
  // cron, `oxios run`): POST /api/security/rules.
  const rf = {
    principal: h('input', { id: 'rule-principal', name: 'principal', value: 'default', size: 12,
      'data-test': 'rule-principal' }),
    tool: h('input', { id: 'rule-tool', name: 'tool', size: 10, placeholder: 'write', 'data-test': 'rule-tool' }),
    args: h('input', { id: 'rule-args', name: 'args', size: 40, placeholder: '{"path": "notes.txt", "content": "..."}',
      'data-test': 'rule-args' }),
  };
  const field = (id, label, el) => h('label', { class: 'field', for: id }, label + ' ', el);
  const ruleForm = h('form', { class: 'toolbar', 'data-test': 'rule-form',
    'aria-label': 'Make an allow rule for one exact call', onsubmit: (ev) => { ev.preventDefault(); addRule(); } },
  field('rule-principal', 'Agent profile', rf.principal), field('rule-tool', 'Tool', rf.tool),
  field('rule-args', 'Arguments (JSON)', rf.args),
  h('button', { type: 'submit', 'data-test': 'rule-add' }, 'Add rule'));
  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Approvals'),
      h('button', { type: 'button', 'data-test': 'approvals-refresh', onclick: () => live.refresh() }, 'Refresh')),
    operator ? null : h('p', { class: 'hint', 'data-test': 'approvals-readonly' },
      `Read only: answering needs the operator role; this token is ${ctx.me.role}.`),
    inbox, h('h3', {}, 'Decided lately'), recent, h('h3', {}, 'Allow rules'), operator ? ruleForm : null, rules));

  const act = (what, fn) => actThen(ctx, live, what, fn);

  function answer(a, verb, body) {
    return act(`${verb} ${a.tool} ${a.summary}`,
      () => api.post('/api/approvals/' + seg(a.id) + '/' + verb, body));
  }

  function addRule() {
    let args;
    try {
      args = JSON.parse(rf.args.value || '{}');
    } catch (e) {
      rf.args.setCustomValidity('not JSON: ' + e.message);
      rf.args.reportValidity();
      return;
    }
    rf.args.setCustomValidity('');
    const body = { principal: rf.principal.value.trim(), tool: rf.tool.value.trim(), args };
    return act(`Allow ${body.tool} for ${body.principal}`, () => api.post('/api/security/rules', body));
  }

  function task(a) {
    if (!a.session_id) return '';
    if (!titles.has(a.session_id)) {
      titles.set(a.session_id, api.get('/api/sessions/' + seg(a.session_id))
        .then((s) => s.title || '', () => ''));
    }
    const link = h('a', { href: '#/sessions/' + encodeURIComponent(a.session_id), 'data-test': 'approval-task' },
      shortId(a.session_id));
    titles.get(a.session_id).then((t) => { if (t) link.textContent = t; });
    return link;
  }

  function actions(a) {
    if (!operator) return null;
    return h('span', { class: 'actions' },
      h('button', { type: 'button', 'data-test': 'approval-once', 'aria-label': 'Allow once: ' + a.summary,
        onclick: () => answer(a, 'approve', { scope: 'once' }) }, 'Allow once'),
      h('button', { type: 'button', 'data-test': 'approval-always',
        'aria-label': 'Allow always (the same call runs without asking): ' + a.summary,
        onclick: () => answer(a, 'approve', { scope: 'always' }) }, 'Allow always'),
      h('button', { type: 'button', class: 'danger', 'data-test': 'approval-deny', 'aria-label': 'Deny: ' + a.summary,
        onclick: () => answer(a, 'reject', reasonOf(a)) }, 'Deny'),
      h('input', { type: 'text', maxlength: 1024, placeholder: 'reason (optional, the agent reads it)',
        'data-test': 'approval-reason', 'data-id': a.id, 'aria-label': 'Reason for a denial: ' + a.summary }));
  }

  // The reason typed beside a call's Deny button, if any.
  function reasonOf(a) {
    const el = inbox.querySelector(`[data-test="approval-reason"][data-id="${CSS.escape(a.id)}"]`);
    const reason = el ? el.value.trim() : '';
    return reason ? { reason } : {};
  }

  async function loadInbox() {
    const r = await api.get('/api/approvals?state=pending');
    const rows = r.approvals || [];
    clear(inbox);
    if (!rows.length) {
      inbox.append(emptyState('No tool call waits for an approval.',
        'Calls wait here when security.approval or a tool\'s own policy asks for a human.'));
      return;
    }
    inbox.append(table([
      { label: 'Call', value: (a) => h('span', {}, h('strong', {}, a.tool), ' ', h('code', { 'data-test': 'approval-summary' }, a.summary)) },
      { label: 'Agent', value: (a) => h('span', {}, a.principal, ' ',
        a.agent_id ? h('a', { href: '#/agents', 'data-test': 'approval-agent' }, shortId(a.agent_id)) : '') },
      { label: 'Task', value: task },
      { label: 'Why', value: (a) => a.reason },
      { label: 'Denied in', class: 'n', value: (a) => h('span', { 'data-test': 'approval-left', 'data-expires': a.expires_at },
        left(a.expires_at)) },
      { label: '', value: actions },
    ], rows, { test: 'approvals-table', rowAttrs: (a) => ({ 'data-test': 'approval-row', 'data-id': a.id,
      'data-tool': a.tool }) }));
  }

  async function loadRecent() {
    const r = await api.get('/api/approvals?state=all&limit=20');
    const rows = (r.approvals || []).filter((a) => a.state !== 'pending');
    clear(recent);
    if (!rows.length) {
      recent.append(emptyState('Nothing decided yet.'));
      return;
    }
    recent.append(table([
      { label: 'Call', value: (a) => h('span', {}, h('strong', {}, a.tool), ' ', h('code', {}, a.summary)) },
      { label: 'Agent', value: (a) => a.principal },
      { label: 'State', value: (a) => a.state + (a.scope ? ` (${a.scope})` : '') },
      { label: 'By', value: (a) => a.decided_by || '' },
      { label: 'Reason', value: (a) => a.note || '' },
      { label: 'When', value: (a) => stamp(a.decided_at) },
    ], rows, { test: 'approvals-decided', rowAttrs: (a) => ({ 'data-test': 'decided-row', 'data-id': a.id,
      'data-state': a.state }) }));
  }

  async function loadRules() {
    const r = await api.get('/api/security/rules');
    const rows = r.rules || [];
    clear(rules);
    if (!rows.length) {
      rules.append(emptyState('No allow rules.', 'Allow always adds one: the same call then runs without asking.'));
      return;
    }
    rules.append(table([
      { label: 'Tool', value: (x) => x.tool },
      { label: 'Agent', value: (x) => x.principal },
      { label: 'The call', value: (x) => h('code', {}, x.match) },
      { label: 'Since', value: (x) => stamp(x.created_at) },
      { label: '', value: (x) => !operator ? null : h('button', { type: 'button', class: 'danger', 'data-test': 'rule-revoke',
        'aria-label': 'Revoke the rule for ' + x.tool, onclick: () => {
          if (window.confirm(`Revoke this rule? The same ${x.tool} call will ask again.`)) {
            act('Revoke rule ' + x.id, () => api.del('/api/security/rules/' + seg(x.id)));
          }
        } }, 'Revoke') },
    ], rows, { test: 'rules-table', rowAttrs: (x) => ({ 'data-test': 'rule-row', 'data-id': String(x.id) }) }));
  }

  async function load() {
    await Promise.all([loadInbox(), loadRecent(), loadRules()]);
  }

  // The countdowns tick between loads.
  const ticker = setInterval(() => {
    for (const el of inbox.querySelectorAll('[data-test=approval-left]')) {
      el.textContent = left(Number(el.dataset.expires));
    }
  }, 1000);
  const live = refresher(ctx, 'approvals', load, { blank: inbox, every: 10000,
    types: ['approval.', 'permissions.changed', 'lost', 'daemon.started'] });
  await live.refresh();
  return () => { clearInterval(ticker); live.stop(); };
}
