// views/config.js — the Config view: a validated editor of the daemon's
// configuration.  Every key of the schema (GET /api/config/schema: type,
// default, range or choices, meaning, whether a change needs a restart)
// with its effective value and where it comes from (GET /api/config).
// Values are checked in the page first (type, range, choices), then by
// the daemon (PUT /api/config): a refused value shows its message at its
// field (error.key).  A save says what changed and what needs a restart.

import { h, clear, emptyState } from '../js/dom.js';

const REDACTED = '<redacted>';

// The value at a dotted key in the nested configuration, or undefined.
function lookup(tree, key) {
  let v = tree;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) return undefined;
    v = v[part];
  }
  return v;
}

function matches(pattern, key) {
  const p = pattern.split('.'), k = key.split('.');
  return p.length === k.length && p.every((s, i) => s === '*' || s === k[i]);
}

// What an input shows for a value.
function text(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

// A problem with what was typed for `row`, in the page; null if none.
function check(row, raw) {
  if (row.type === 'boolean' || raw === '') return null;
  if (row.type === 'integer' || row.type === 'float') {
    const n = Number(raw);
    if (raw.trim() === '' || !isFinite(n)) return `expected ${row.type === 'integer' ? 'an integer' : 'a number'}, got '${raw}'`;
    if (row.type === 'integer' && !Number.isInteger(n)) return `expected an integer, got '${raw}'`;
    if (row.min !== undefined && (n < row.min || n > row.max)) return `must be from ${row.min} to ${row.max}`;
  }
  if (row.choices && row.type === 'string' && !row.choices.split('|').includes(raw)) {
    return 'must be one of: ' + row.choices.split('|').join(', ');
  }
  return null;
}

export async function mount(root, ctx) {
  const { api, events } = ctx;
  const filter = h('input', { id: 'config-filter', type: 'search', 'data-test': 'config-filter',
    placeholder: 'gateway, memory.dream…', autocomplete: 'off', oninput: () => applyFilter() });
  const save = h('button', { type: 'submit', 'data-test': 'config-save', disabled: true }, 'Save changes');
  const revert = h('button', { type: 'button', 'data-test': 'config-revert', disabled: true,
    onclick: () => render() }, 'Discard changes');
  const result = h('div', { class: 'result', 'data-test': 'config-result', role: 'status', 'aria-live': 'polite' });
  const info = h('p', { class: 'hint', 'data-test': 'config-path' });
  const list = h('div', { class: 'config-list', 'data-test': 'config-list' });
  const form = h('form', { class: 'page', 'data-test': 'config-form', novalidate: true,
    onsubmit: (ev) => { ev.preventDefault(); submit(); } },
  h('div', { class: 'toolbar' }, h('h2', {}, 'Configuration'),
    h('label', { for: 'config-filter' }, 'Filter '), filter, revert, save),
  info, result, list);
  root.append(form);
  // Changing the configuration is an admin's (PUT /api/config).
  const admin = !ctx.me || ctx.me.can('admin');
  if (!admin) {
    save.hidden = true;
    info.after(h('p', { class: 'hint', 'data-test': 'config-readonly' },
      `Read only: changing the configuration needs the admin role; this token is ${ctx.me.role}.`));
  }

  let schema = [], cfg = null;
  const fields = new Map(); // key -> {row, input, error, initial, el}

  async function load() {
    const [s, c] = await Promise.all([api.get('/api/config/schema'), api.get('/api/config')]);
    schema = s.keys;
    cfg = c;
    render();
  }

  // The concrete keys to show: the schema's own, and those the
  // configuration holds under a wildcard entry (providers.NAME.base_url).
  function rows() {
    const out = [];
    for (const row of schema) {
      if (!row.key.includes('*')) { out.push({ ...row, name: row.key }); continue; }
      for (const key of Object.keys(cfg.sources || {})) {
        if (matches(row.key, key) && !schema.some((r) => r.key === key)) out.push({ ...row, name: key });
      }
    }
    return out;
  }

  function render() {
    clear(list);
    clear(result);
    fields.clear();
    info.textContent = `File: ${cfg.path}.  ` +
      ((cfg.warnings || []).length ? 'Warnings: ' + cfg.warnings.join('; ') : '');
    const all = rows();
    if (all.length === 0) {
      list.append(emptyState('No configuration keys.', 'The daemon gave an empty schema.'));
      return;
    }
    let section = null, box = null;
    for (const row of all) {
      const sec = row.name.split('.')[0];
      if (sec !== section) {
        section = sec;
        box = h('fieldset', { class: 'config-section', 'data-test': 'config-section', dataset: { section: sec } },
          h('legend', {}, '[' + sec + ']'));
        list.append(box);
      }
      box.append(fieldFor(row));
    }
    applyFilter();
    sync();
  }

  function fieldFor(row) {
    const id = 'cfg-' + row.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const value = lookup(cfg.config, row.name);
    const source = (cfg.sources || {})[row.name] || 'unset';
    let input;
    if (row.type === 'boolean') {
      input = h('input', { id, type: 'checkbox', checked: value === true });
    } else if (row.choices && row.type === 'string') {
      input = h('select', { id },
        value === undefined ? h('option', { value: '' }, '(unset)') : null,
        row.choices.split('|').map((c) => h('option', { value: c, selected: c === value }, c)));
    } else {
      const numeric = row.type === 'integer' || row.type === 'float';
      input = h('input', { id, type: row.secret ? 'password' : 'text',
        inputmode: numeric ? (row.type === 'integer' ? 'numeric' : 'decimal') : undefined,
        value: row.secret && value !== undefined ? '' : text(value), autocomplete: 'off', spellcheck: 'false',
        placeholder: row.secret ? (value !== undefined ? 'set (hidden); type to replace' : 'unset') :
          (row.default ?? '(unset)') });
    }
    input.dataset.test = 'config-input';
    input.dataset.key = row.name;
    const error = h('p', { class: 'field-error', id: id + '-err', 'data-test': 'config-error', hidden: true, role: 'alert' });
    input.setAttribute('aria-describedby', id + '-doc ' + id + '-err');
    const initial = row.type === 'boolean' ? String(value === true) : row.secret ? '' : text(value);
    const f = { row, input, error, initial };
    const reset = h('button', { type: 'button', class: 'link', 'data-test': 'config-reset',
      'aria-label': 'Reset ' + row.name + ' to its default', disabled: source === 'default' || source === 'unset',
      onclick: () => { f.unset = true; sync(); } }, 'Default');
    f.reset = reset;
    const meta = [row.type, row.default !== null && row.default !== undefined ? 'default ' + row.default : 'no default',
      row.min !== undefined ? `${row.min} to ${row.max}` : null,
      row.choices ? 'one of ' + row.choices.split('|').join(', ') : null,
      row.format || null, row.env ? 'env ' + row.env : null, 'source: ' + source].filter(Boolean).join(' · ');
    f.el = h('div', { class: 'config-field', 'data-test': 'config-field', dataset: { key: row.name } },
      h('label', { for: id, class: 'config-key' }, row.name,
        row.restart ? h('span', { class: 'tag', title: 'A change takes effect after a restart' }, 'restart') : null,
        row.planned ? h('span', { class: 'tag', title: 'Accepted, but nothing reads it yet' }, 'planned') : null),
      h('div', { class: 'config-control' }, input, reset),
      h('p', { class: 'hint', id: id + '-doc' }, row.doc + '.  ', h('span', { class: 'config-meta' }, meta)),
      error);
    input.addEventListener(row.type === 'boolean' || input.tagName === 'SELECT' ? 'change' : 'input', () => {
      f.unset = false;
      showFieldError(f, null);
      sync();
    });
    fields.set(row.name, f);
    return f.el;
  }

  function current(f) {
    return f.row.type === 'boolean' ? String(f.input.checked) : f.input.value;
  }

  function changed() {
    return [...fields.values()].filter((f) => f.unset || current(f) !== f.initial);
  }

  function sync() {
    const n = changed().length;
    save.disabled = n === 0 || !admin;
    revert.disabled = n === 0;
    save.textContent = n ? `Save ${n} change${n > 1 ? 's' : ''}` : 'Save changes';
    for (const f of fields.values()) {
      f.el.classList.toggle('dirty', !!f.unset || current(f) !== f.initial);
      f.reset.textContent = f.unset ? 'Default (on save)' : 'Default';
    }
  }

  function showFieldError(f, message) {
    f.error.textContent = message || '';
    f.error.hidden = !message;
    if (message) f.input.setAttribute('aria-invalid', 'true');
    else f.input.removeAttribute('aria-invalid');
  }

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const [key, f] of fields) {
      f.el.hidden = q !== '' && !key.toLowerCase().includes(q) && !f.row.doc.toLowerCase().includes(q);
    }
    for (const sec of list.querySelectorAll('fieldset')) {
      sec.hidden = [...sec.querySelectorAll('.config-field')].every((el) => el.hidden);
    }
  }

  async function submit() {
    clear(result);
    const body = {};
    let bad = null;
    for (const f of changed()) {
      if (f.unset) { body[f.row.name] = null; continue; }
      const raw = current(f);
      const problem = check(f.row, raw);
      showFieldError(f, problem);
      if (problem) { bad = bad || f; continue; }
      if (raw === '' && f.row.type !== 'string') { body[f.row.name] = null; continue; }
      body[f.row.name] = f.row.type === 'boolean' ? raw === 'true' : raw;
    }
    if (bad) {
      bad.input.focus();
      result.append(h('p', { class: 'bad' }, 'Not saved: fix the marked field(s).'));
      return;
    }
    save.disabled = true;
    try {
      const r = await api.put('/api/config', body);
      cfg = Object.assign(cfg, { config: r.config });
      const c = await api.get('/api/config');
      cfg = c;
      render();
      result.append(h('p', { class: 'good', 'data-test': 'config-saved' },
        r.changed.length ? 'Saved: ' + r.changed.join(', ') + '.' : 'Saved; nothing changed.'),
      r.restart_required.length ?
        h('p', { class: 'bad', 'data-test': 'config-restart' },
          'Takes effect after a restart (oxios stop, then oxios start): ' + r.restart_required.join(', ') + '.') :
        (r.changed.length ? h('p', { class: 'hint' }, 'Applied now, no restart needed.') : null));
    } catch (e) {
      const f = e.key ? fields.get(e.key) : null;
      if (f) {
        showFieldError(f, e.message);
        f.input.focus();
        result.append(h('p', { class: 'bad' }, 'Not saved: ' + e.key + ' was refused (nothing was written).'));
      } else {
        ctx.showError('Config: ' + e.message, 'config');
      }
      sync();
    }
  }

  await load();
  // Another client (or `oxios config set`) changed it: reload unless
  // there are edits here.
  const unsub = events.subscribe((ev) => {
    if (['config.reloaded', 'lost', 'daemon.started'].includes(ev.type) && changed().length === 0) load().catch((e) => ctx.showError('Config: ' + e.message, 'config'));
  });
  return unsub;
}
