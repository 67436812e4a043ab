// views/skills.js — the Skills view (docs/skills.md): every skill with
// its source, status and reason (GET /api/skills), the files skipped as
// malformed, a skill's content (GET /api/skills/{name}/content), and
// Enable / Disable (POST /api/skills/{name}/enable|disable) for
// operators.  Reloaded every 15 s and on the skills.changed event.

import { seg } from '../js/api.js';
import { h, clear, emptyState } from '../js/dom.js';
import { table, refresher, act as actThen } from '../js/datatable.js';

export async function mount(root, ctx) {
  const { api } = ctx;
  const list = h('div', { 'data-test': 'skills-list' });
  const errors = h('div', { 'data-test': 'skills-errors' });
  const detail = h('div', { 'data-test': 'skill-detail' });
  let open = null; // the skill whose content is shown

  // Enabling and disabling is an operator's (POST).
  const operator = !ctx.me || ctx.me.can('operator');
  const readonly = operator ? null : h('p', { class: 'hint', 'data-test': 'skills-readonly' },
    `Read only: enabling and disabling skills needs the operator role; this token is ${ctx.me.role}.`);

  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Skills'),
      h('button', { type: 'button', 'data-test': 'skills-refresh', onclick: () => live.refresh() }, 'Refresh')),
    h('p', { class: 'hint' }, 'Agents see the ready skills in their context and load one with the tool "skill".'),
    readonly, list, errors, detail));

  const act = (what, fn) => actThen(ctx, live, what, fn);

  function statusText(s) {
    return s.changed ? `${s.status} (changed)` : s.status;
  }

  function reasonText(s) {
    if (!s.reason) return '';
    return s.install ? `${s.reason} — install: ${s.install}` : s.reason;
  }

  function rowActions(s) {
    const view = h('button', { type: 'button', 'data-test': 'skill-view',
      'aria-label': 'Show the content of ' + s.name, onclick: () => { open = s.name; live.refresh(); } }, 'Content');
    if (!operator) return h('span', { class: 'actions' }, view);
    const on = !s.enabled;
    return h('span', { class: 'actions' }, view,
      h('button', { type: 'button', 'data-test': on ? 'skill-enable' : 'skill-disable',
        'aria-label': (on ? 'Enable ' : 'Disable ') + s.name,
        onclick: () => act(`${on ? 'Enable' : 'Disable'} ${s.name}`,
          () => api.post('/api/skills/' + seg(s.name) + (on ? '/enable' : '/disable'))) },
      on ? 'Enable' : 'Disable'));
  }

  async function showDetail(rows) {
    clear(detail);
    if (open && !rows.some((s) => s.name === open)) open = null; // gone
    if (!open) return;
    let s;
    try {
      s = await api.get('/api/skills/' + seg(open) + '/content');
    } catch (e) {
      if (e.status !== 404) throw e;
      open = null;
      return;
    }
    detail.append(h('h3', {}, s.name),
      h('p', { 'data-test': 'skill-meta' }, `${s.source} · ${statusText(s)} · ${s.dir}`),
      h('pre', { class: 'skill-body', 'data-test': 'skill-body' }, s.body),
      h('button', { type: 'button', 'data-test': 'skill-close', onclick: () => { open = null; clear(detail); } },
        'Close'));
  }

  async function load() {
    const r = await api.get('/api/skills');
    clear(list);
    const rows = r.skills || [];
    if (!rows.length) {
      list.append(emptyState('No skills.', 'Put a folder with a SKILL.md in $OXIOS_HOME/skills/ or skills/ of the workspace.'));
    } else {
      list.append(table([
        { label: 'Skill', value: (s) => s.name },
        { label: 'Source', value: (s) => s.source },
        { label: 'Status', value: statusText },
        { label: 'Description', value: (s) => s.description },
        { label: 'Reason', value: reasonText },
        { label: '', value: rowActions },
      ], rows, { test: 'skills-table', rowAttrs: (s) => ({ 'data-test': 'skill-row', 'data-name': s.name,
        'data-status': s.status }) }));
    }
    clear(errors);
    if ((r.errors || []).length) {
      errors.append(h('h3', {}, 'Skipped (malformed)'),
        h('ul', {}, r.errors.map((e) => h('li', { 'data-test': 'skill-error' }, e.error))));
    }
    await showDetail(rows);
  }

  const live = refresher(ctx, 'skills', load, { blank: list, every: 15000,
    types: ['skills.changed', 'lost', 'daemon.started', 'config.reloaded'] });
  await live.refresh();
  return live.stop;
}
