// views/personas.js — the Personas view: every persona (GET
// /api/personas) with its role, model, tools and traits, the default one
// marked; Use (PUT /api/personas/active: the default, an operator's),
// Edit (reads one back into the form), Delete (DELETE
// /api/personas/{id}: a custom one, or a shipped one's edits) and the
// form that creates (POST) or saves (PUT /api/personas/{id}) one, an
// admin's.  Reloaded every 10 s and on the persona.changed event.

import { seg } from '../js/api.js';
import { h, clear, emptyState } from '../js/dom.js';
import { table, refresher, act as actThen } from '../js/datatable.js';

// "a, b, c" as a list without empty entries.
function words(text) {
  return text.split(/[,\n]/).map((w) => w.trim()).filter((w) => w);
}

export async function mount(root, ctx) {
  const { api } = ctx;
  const list = h('div', { 'data-test': 'persona-list' });
  const current = h('p', { 'data-test': 'persona-default' });

  const f = {
    name: h('input', { id: 'persona-name', name: 'name', required: true, 'data-test': 'persona-name',
      autocomplete: 'off', size: 16, placeholder: 'Pirate' }),
    role: h('input', { id: 'persona-role', name: 'role', 'data-test': 'persona-role', size: 20 }),
    description: h('input', { id: 'persona-description', name: 'description', size: 40,
      'data-test': 'persona-description' }),
    model: h('input', { id: 'persona-model', name: 'model', 'data-test': 'persona-model', size: 24,
      placeholder: 'the run\u2019s (provider/model)' }),
    tools: h('input', { id: 'persona-tools', name: 'tools', 'data-test': 'persona-tools', size: 30,
      placeholder: 'all (or: read, ls, grep)' }),
    traits: h('input', { id: 'persona-traits', name: 'traits', 'data-test': 'persona-traits', size: 30 }),
    template: h('select', { id: 'persona-template', name: 'template', 'data-test': 'persona-template' },
      ['', 'minimal', 'worker', 'standard', 'trusted', 'supervisor'].map((t) =>
        h('option', { value: t }, t || 'security.default_template'))),
    prompt: h('textarea', { id: 'persona-prompt', name: 'prompt', rows: 5, cols: 60, required: true,
      'data-test': 'persona-prompt', spellcheck: 'true' }),
  };
  let editing = null; // the id being edited, or null: a new persona
  const field = (id, label, el) => h('label', { class: 'field', for: id }, label + ' ', el);
  const formTitle = h('h3', {}, 'New persona');
  const form = h('form', { class: 'persona-form', 'data-test': 'persona-form',
    'aria-label': 'Create or edit a persona',
    onsubmit: (ev) => { ev.preventDefault(); save(); } },
  formTitle,
  h('div', { class: 'toolbar' }, field('persona-name', 'Name', f.name), field('persona-role', 'Role', f.role),
    field('persona-model', 'Model', f.model)),
  h('div', { class: 'toolbar' }, field('persona-description', 'Description', f.description)),
  h('div', { class: 'toolbar' }, field('persona-tools', 'Tools', f.tools),
    field('persona-traits', 'Traits', f.traits),
    field('persona-template', 'Capability template', f.template)),
  field('persona-prompt', 'System prompt', f.prompt),
  h('div', { class: 'toolbar' },
    h('button', { type: 'submit', 'data-test': 'persona-save' }, 'Save persona'),
    h('button', { type: 'button', 'data-test': 'persona-new', onclick: () => reset() }, 'New')));

  // Choosing the default is an operator's; writing personas an admin's.
  const operator = !ctx.me || ctx.me.can('operator');
  const admin = !ctx.me || ctx.me.can('admin');
  const readonly = admin ? null : h('p', { class: 'hint', 'data-test': 'persona-readonly' },
    operator ? `Editing personas needs the admin role; this token is ${ctx.me.role}.`
      : `Read only: choosing a persona needs the operator role; this token is ${ctx.me.role}.`);

  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Personas'),
      h('button', { type: 'button', 'data-test': 'personas-refresh', onclick: () => live.refresh() }, 'Refresh')),
    current, readonly, list, admin ? form : null));

  const act = (what, fn) => actThen(ctx, live, what, fn);

  function reset() {
    editing = null;
    formTitle.textContent = 'New persona';
    f.name.disabled = false;
    for (const el of Object.values(f)) el.value = '';
  }

  function edit(p) {
    editing = p.id;
    formTitle.textContent = `Edit ${p.name}`;
    f.name.value = p.name;
    f.name.disabled = true;
    f.role.value = p.role || '';
    f.description.value = p.description || '';
    f.model.value = p.model || '';
    f.tools.value = (p.tools || []).join(', ');
    f.traits.value = (p.traits || []).join(', ');
    f.template.value = p.template || '';
    f.prompt.value = p.prompt || '';
    f.prompt.focus();
  }

  function save() {
    const name = f.name.value.trim();
    if (!name) { f.name.focus(); return; }
    const body = { name, prompt: f.prompt.value, role: f.role.value.trim(),
      description: f.description.value.trim(), traits: words(f.traits.value) };
    if (f.model.value.trim()) body.model = f.model.value.trim();
    if (words(f.tools.value).length) body.tools = words(f.tools.value);
    if (f.template.value) body.template = f.template.value;
    const id = editing;
    return act(id ? `Save ${name}` : `Create ${name}`, async () => {
      if (id) await api.put('/api/personas/' + seg(id), body);
      else await api.post('/api/personas', body);
      reset();
    });
  }

  function rowActions(p) {
    return h('span', { class: 'actions' },
      operator && !p.default ? h('button', { type: 'button', 'data-test': 'persona-use',
        'aria-label': `Make ${p.name} the default persona`,
        onclick: () => act(`Use ${p.name}`, () => api.put('/api/personas/active', { persona: p.name })) },
      'Use') : null,
      admin ? h('button', { type: 'button', 'data-test': 'persona-edit', 'aria-label': 'Edit ' + p.name,
        onclick: () => edit(p) }, 'Edit') : null,
      admin && (!p.builtin || p.edited) ? h('button', { type: 'button', class: 'danger',
        'data-test': 'persona-delete', 'aria-label': (p.builtin ? 'Undo the edits of ' : 'Delete ') + p.name,
        onclick: () => {
          const q = p.builtin ? `Bring back the shipped words of ${p.name}?` : `Delete the persona ${p.name}?`;
          if (window.confirm(q)) act(`Delete ${p.name}`, () => api.del('/api/personas/' + seg(p.id)));
        } }, p.builtin ? 'Undo edits' : 'Delete') : null);
  }

  async function load() {
    const r = await api.get('/api/personas');
    const rows = r.personas || [];
    const def = rows.find((p) => p.default);
    clear(current).append('A run takes --persona NAME, else its session\u2019s persona, else the default: ',
      h('strong', { 'data-test': 'persona-default-name' }, def ? def.name : 'Dev'), '.');
    clear(list);
    if (!rows.length) {
      list.append(emptyState('No personas.', 'Create one below.'));
      return;
    }
    list.append(table([
      { label: 'Persona', value: (p) => p.name + (p.default ? ' (default)' : '') },
      { label: 'Role', value: (p) => p.role || '' },
      { label: 'Model', value: (p) => p.model || 'the run\u2019s' },
      { label: 'Tools', value: (p) => (p.tools ? p.tools.join(', ') : 'all') },
      { label: 'Traits', value: (p) => (p.traits || []).join(', ') },
      { label: 'Kind', value: (p) => (p.builtin ? (p.edited ? 'shipped, edited' : 'shipped') : 'custom') },
      { label: '', value: rowActions },
    ], rows, { test: 'persona-table', rowAttrs: (p) => ({ 'data-test': 'persona-row', 'data-name': p.name,
      'data-default': p.default ? 'true' : 'false', title: p.description || '' }) }));
  }

  const live = refresher(ctx, 'personas', load, { blank: list, every: 10000,
    types: ['persona.', 'lost', 'daemon.started'] });
  await live.refresh();
  return live.stop;
}
