// views/permissions.js — the Permissions view: the capability templates
// and the default one (GET /api/security/permissions), every agent
// profile with permissions of its own (template and grants), with Set
// (PUT /api/permissions/{agent}: a template and grants, one
// RESOURCE=RIGHTS per line), Edit (reads a profile back into the form)
// and Reset (DELETE /api/permissions/{agent}: back to the default); and
// the live allow rules, read only.  Reloaded every 10 s and on the
// permissions.changed event.

import { seg } from '../js/api.js';
import { h, clear, emptyState } from '../js/dom.js';
import { table, refresher, act as actThen } from '../js/datatable.js';

const TEMPLATES = ['minimal', 'worker', 'standard', 'trusted', 'supervisor'];

function stamp(msv) {
  return msv ? new Date(msv).toLocaleString() : '';
}

// "exec:git=x path:src/**=rw", or "none".
function grantsText(gs, sep = ' ') {
  return gs && gs.length ? gs.map((g) => `${g.resource}=${g.rights}`).join(sep) : '';
}

// The form's lines as grants; throws naming a bad line.
function parseGrants(text) {
  const out = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.lastIndexOf('=');
    if (eq <= 0 || eq === line.length - 1) {
      throw new Error(`'${line}': one RESOURCE=RIGHTS per line, e.g. exec:git=x`);
    }
    out.push({ resource: line.slice(0, eq).trim(), rights: line.slice(eq + 1).trim() });
  }
  return out;
}

export async function mount(root, ctx) {
  const { api } = ctx;
  const overview = h('div', { 'data-test': 'perm-default' });
  const principals = h('div', { 'data-test': 'perm-principals' });
  const templates = h('div', { 'data-test': 'perm-templates' });
  const rules = h('div', { 'data-test': 'perm-rules' });

  // ---- the Set form ----
  const f = {
    agent: h('input', { id: 'perm-agent', name: 'agent', required: true, 'data-test': 'perm-agent',
      placeholder: 'default', autocomplete: 'off', size: 14 }),
    template: h('select', { id: 'perm-template', name: 'template', 'data-test': 'perm-template' },
      TEMPLATES.map((t) => h('option', { value: t }, t))),
    grants: h('textarea', { id: 'perm-grants', name: 'grants', rows: 3, cols: 36, 'data-test': 'perm-grants',
      placeholder: 'exec:git=x\npath:docs/**=rw', spellcheck: 'false' }),
  };
  const field = (id, label, el) => h('label', { class: 'field', for: id }, label + ' ', el);
  const form = h('form', { class: 'perm-form toolbar', 'data-test': 'perm-form',
    'aria-label': 'Set the permissions of an agent profile',
    onsubmit: (ev) => { ev.preventDefault(); save(); } },
  field('perm-agent', 'Agent profile', f.agent), field('perm-template', 'Template', f.template),
  field('perm-grants', 'Grants (RESOURCE=RIGHTS, one a line; rights r w x d)', f.grants),
  h('button', { type: 'submit', 'data-test': 'perm-save' }, 'Set permissions'));

  // Setting and resetting permissions is an admin's (PUT, DELETE).
  const admin = !ctx.me || ctx.me.can('admin');
  const readonly = admin ? null : h('p', { class: 'hint', 'data-test': 'perm-readonly' },
    `Read only: changing permissions needs the admin role; this token is ${ctx.me.role}.`);

  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Permissions'),
      h('button', { type: 'button', 'data-test': 'permissions-refresh', onclick: () => live.refresh() }, 'Refresh')),
    overview, readonly, h('h3', {}, 'Agent profiles'), admin ? form : null, principals,
    h('h3', {}, 'Templates'), templates, h('h3', {}, 'Allow rules'), rules));

  const act = (what, fn) => actThen(ctx, live, what, fn);

  function save() {
    const name = f.agent.value.trim();
    if (!name) { f.agent.focus(); return; }
    let grants;
    try {
      grants = parseGrants(f.grants.value);
    } catch (e) {
      ctx.showError(`Set permissions of ${name}: ${e.message}`);
      return;
    }
    return act(`Set permissions of ${name}`, () => api.put('/api/permissions/' + seg(name),
      { template: f.template.value, grants }));
  }

  function edit(p) {
    f.agent.value = p.agent;
    f.template.value = p.template;
    f.grants.value = grantsText(p.grants, '\n');
    f.template.focus();
  }

  function rowActions(p) {
    if (!admin) return null;
    return h('span', { class: 'actions' },
      h('button', { type: 'button', 'data-test': 'perm-edit', 'aria-label': 'Edit the permissions of ' + p.agent,
        onclick: () => edit(p) }, 'Edit'),
      h('button', { type: 'button', class: 'danger', 'data-test': 'perm-reset',
        'aria-label': 'Reset the permissions of ' + p.agent, onclick: () => {
          if (window.confirm(`Give ${p.agent} the default template again? Its grants are dropped.`)) {
            act(`Reset ${p.agent}`, () => api.del('/api/permissions/' + seg(p.agent)));
          }
        } }, 'Reset'));
  }

  async function load() {
    const s = await api.get('/api/security/permissions');
    clear(overview).append(h('p', {},
      'A profile without permissions of its own has the template ',
      h('strong', { 'data-test': 'perm-default-template' }, s.default_template),
      ' (security.default_template). Grants add to the template; a sub-agent never has more than its parent.'));
    clear(principals);
    const rows = s.principals || [];
    if (!rows.length) {
      principals.append(emptyState('No agent profile has permissions of its own.',
        'Every profile has the default template; set one above.'));
    } else {
      principals.append(table([
        { label: 'Agent profile', value: (p) => p.agent },
        { label: 'Template', value: (p) => p.template },
        { label: 'Grants', value: (p) => grantsText(p.grants) || 'none' },
        { label: 'Updated', value: (p) => `${stamp(p.updated_at)} by ${p.updated_by}` },
        { label: '', value: rowActions },
      ], rows, { test: 'perm-table', rowAttrs: (p) => ({ 'data-test': 'perm-row', 'data-agent': p.agent,
        'data-template': p.template }) }));
    }
    clear(templates).append(table([
      { label: 'Template', value: (t) => t.name },
      { label: 'Extends', value: (t) => t.extends || '' },
      { label: 'Adds', value: (t) => grantsText(t.rights) },
    ], s.templates || [], { test: 'perm-templates-table',
      rowAttrs: (t) => ({ 'data-test': 'perm-template-row', 'data-name': t.name }) }));
    clear(rules);
    if (!(s.rules || []).length) {
      rules.append(emptyState('No allow rules.', 'An "allow always" answer to an approval makes one.'));
    } else {
      rules.append(table([
        { label: 'Id', class: 'n', value: (r) => String(r.id) },
        { label: 'Agent profile', value: (r) => r.principal },
        { label: 'Tool', value: (r) => r.tool },
        { label: 'Match', value: (r) => JSON.stringify(r.match) },
        { label: 'Created', value: (r) => `${stamp(r.created_at)} by ${r.created_by}` },
      ], s.rules, { test: 'perm-rules-table', rowAttrs: (r) => ({ 'data-test': 'perm-rule-row' }) }));
    }
  }

  const live = refresher(ctx, 'permissions', load, { blank: overview, every: 10000,
    types: ['permissions.', 'lost', 'daemon.started', 'config.reloaded'] });
  await live.refresh();
  return live.stop;
}
