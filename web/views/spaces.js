// views/spaces.js — the Spaces view: the conversation contexts (GET
// /api/spaces) with their emoji, name, description, paths and tags and
// the session that is each one's conversation (a link to Sessions).  An
// operator creates one or edits one in the form (POST /api/spaces, PUT
// /api/spaces/{id}) and deletes one after a confirmation (DELETE
// /api/spaces/{id}); a viewer only reads.  docs/agents.md, "Spaces".

import { seg } from '../js/api.js';
import { h, clear, emptyState, when } from '../js/dom.js';
import { table, refresher, act, shortId } from '../js/datatable.js';

// "a, b c" as a list of the non-empty words.
function words(s) {
  return s.split(/[\s,]+/).map((w) => w.trim()).filter((w) => w);
}

export async function mount(root, ctx) {
  const { api, me } = ctx;
  const operator = !me || me.can('operator');
  const list = h('div', { 'data-test': 'spaces-list' });
  let editing = null; // the id of the space in the form, or null: a new one
  const field = (id, label, attrs) => {
    const input = h('input', Object.assign({ id, name: id, 'data-test': id, autocomplete: 'off' }, attrs));
    return [input, h('label', { class: 'field', for: id }, label + ' ', input)];
  };
  const [name, nameL] = field('space-name', 'Name', { required: true, size: 16, maxlength: 64,
    placeholder: 'Garden' });
  const [emoji, emojiL] = field('space-emoji', 'Emoji', { size: 3, maxlength: 16 });
  const [desc, descL] = field('space-description', 'Description', { size: 30, maxlength: 2000 });
  const [paths, pathsL] = field('space-paths', 'Paths', { size: 20, placeholder: 'garden/ src/*.c' });
  const [tags, tagsL] = field('space-tags', 'Tags', { size: 16, placeholder: 'plants, beds' });
  const save = h('button', { type: 'submit', 'data-test': 'space-save' }, 'Create space');
  const cancel = h('button', { type: 'button', 'data-test': 'space-cancel', hidden: true,
    onclick: () => reset() }, 'Cancel');
  const form = h('form', { class: 'toolbar', 'data-test': 'space-form', 'aria-label': 'A space',
    onsubmit: (ev) => { ev.preventDefault(); submit(); } },
  nameL, emojiL, descL, pathsL, tagsL, save, cancel);

  root.append(h('div', { class: 'view-pad' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Spaces'),
      h('button', { type: 'button', 'data-test': 'spaces-refresh', onclick: () => live.refresh() },
        'Refresh')),
    h('p', { class: 'hint' }, 'A message goes to the space it names by a path, a tag or the name; ' +
      'a space\'s runs continue its conversation.'),
    operator ? form : h('p', { class: 'hint', 'data-test': 'spaces-readonly' },
      'Spaces are made and changed by an operator (oxios space create).'),
    list));

  function reset() {
    editing = null;
    for (const i of [name, emoji, desc, paths, tags]) i.value = '';
    save.textContent = 'Create space';
    cancel.hidden = true;
  }

  function edit(s) {
    editing = s.id;
    name.value = s.name;
    emoji.value = s.emoji || '';
    desc.value = s.description || '';
    paths.value = (s.paths || []).join(' ');
    tags.value = (s.tags || []).join(' ');
    save.textContent = 'Save ' + s.name;
    cancel.hidden = false;
    name.focus();
  }

  async function submit() {
    const n = name.value.trim();
    if (!n) { name.focus(); return; }
    const body = { name: n, emoji: emoji.value.trim(), description: desc.value.trim(),
      paths: words(paths.value), tags: words(tags.value) };
    const id = editing;
    await act(ctx, live, id ? `Save ${n}` : `Create ${n}`, async () => {
      if (id) await api.put('/api/spaces/' + seg(id), body);
      else await api.post('/api/spaces', body);
      reset();
    });
  }

  function remove(s) {
    if (!window.confirm(`Delete the space ${s.name}? Its sessions stay, without a space.`)) return;
    act(ctx, live, `Delete ${s.name}`, () => api.del('/api/spaces/' + seg(s.id)));
  }

  async function load() {
    const rows = await api.get('/api/spaces');
    clear(list);
    if (!rows.length) {
      list.append(emptyState('No spaces yet.', operator
        ? 'Create one above: a name, and the paths or tags its messages name.'
        : 'An operator makes them (oxios space create NAME).'));
      return;
    }
    list.append(table([
      { label: '', value: (s) => s.emoji || '' },
      { label: 'Name', value: (s) => s.name },
      { label: 'Description', value: (s) => s.description },
      { label: 'Paths', value: (s) => (s.paths || []).join(' ') },
      { label: 'Tags', value: (s) => (s.tags || []).join(', ') },
      { label: 'Conversation', value: (s) => s.session_id
        ? h('a', { href: '#/sessions/' + seg(s.session_id), 'data-test': 'space-session' },
          shortId(s.session_id)) : '' },
      { label: 'Changed', value: (s) => when(s.updated_at) },
      { label: '', value: (s) => operator ? h('span', {},
        h('button', { type: 'button', 'data-test': 'space-edit', 'aria-label': 'Edit the space ' + s.name,
          onclick: () => edit(s) }, 'Edit'), ' ',
        h('button', { type: 'button', class: 'danger', 'data-test': 'space-delete',
          'aria-label': 'Delete the space ' + s.name, onclick: () => remove(s) }, 'Delete')) : '' },
    ], rows, { test: 'spaces-table', rowAttrs: (s) => ({ 'data-test': 'space-row', 'data-name': s.name,
      'data-id': s.id }) }));
  }

  const live = refresher(ctx, 'spaces', load, { blank: list, every: 30000, types: ['space.'] });
  await live.refresh();
  return live.stop;
}
