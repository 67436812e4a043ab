// app.js — the dashboard's shell: theme, sign-in, navigation built from
// the view table (views.js), the hash router (#/view/rest...), the event
// stream shared by the views, and the error banners (a failed request or
// a view that throws shows a banner, never a blank page).

import { api, auth, me, onUnauthorized } from './api.js';
import { showError, clearErrors } from './banner.js';
import { h, clear, emptyState } from './dom.js';
import { events } from './events.js';
import { showSignin, takeLinkCode, redeem } from './signin.js';
import { views } from './views.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let current = null; // { view, unmount }
let signingIn = null;
let starting = false; // start() is asking who the token is

// ---- theme: the system's (prefers-color-scheme) unless toggled ----
const THEME = 'oxios.theme';
function applyTheme() {
  const t = localStorage.getItem(THEME);
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  const btn = document.getElementById('theme');
  const name = t === 'dark' ? 'Dark' : t === 'light' ? 'Light' : 'Auto';
  btn.textContent = 'Theme: ' + name;
  btn.title = 'Theme: ' + name + ' (click for the next: Auto, Dark, Light)';
}
document.getElementById('theme').addEventListener('click', () => {
  const t = localStorage.getItem(THEME);
  const next = t === null ? 'dark' : t === 'dark' ? 'light' : null;
  if (next) localStorage.setItem(THEME, next);
  else localStorage.removeItem(THEME);
  applyTheme();
});
applyTheme();

// ---- navigation ----
function buildNav() {
  clear(nav);
  const list = h('ul', { role: 'list' });
  for (const v of views) {
    list.append(h('li', {}, h('a', { href: '#/' + v.id, id: 'nav-' + v.id,
      'data-test': 'nav-' + v.id, 'aria-keyshortcuts': 'Alt+' + v.key.toUpperCase() },
    v.title)));
  }
  nav.append(list);
}
// Arrow keys move along the navigation; Alt+letter jumps to a view.
nav.addEventListener('keydown', (ev) => {
  const links = [...nav.querySelectorAll('a')];
  const i = links.indexOf(document.activeElement);
  if (i < 0) return;
  let j = -1;
  if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') j = (i + 1) % links.length;
  else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') j = (i - 1 + links.length) % links.length;
  else if (ev.key === 'Home') j = 0;
  else if (ev.key === 'End') j = links.length - 1;
  if (j >= 0) { ev.preventDefault(); links[j].focus(); }
});
document.addEventListener('keydown', (ev) => {
  if (!ev.altKey || ev.ctrlKey || ev.metaKey || signingIn) return;
  const v = views.find((x) => x.key === ev.key.toLowerCase());
  if (v) { ev.preventDefault(); location.hash = '#/' + v.id; }
});

// ---- the router ----
function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean)
    .map(decodeURIComponent);
  return { id: parts[0] || views[0].id, params: parts.slice(1) };
}

function unmount() {
  if (current && typeof current.unmount === 'function') {
    try { current.unmount(); } catch (e) { console.warn(e); }
  }
  current = null;
}

async function route() {
  if (signingIn || starting) return;
  const { id, params } = parseHash();
  const view = views.find((v) => v.id === id);
  if (current && current.view === view && view && view.module.update) {
    view.module.update(params);
    return;
  }
  unmount();
  clear(main);
  for (const a of nav.querySelectorAll('a')) {
    if (a.id === 'nav-' + id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!view) {
    main.append(emptyState('No view "' + id + '".', 'Choose one above.'));
    return;
  }
  document.title = view.title + ' — Oxios';
  const el = h('section', { class: 'view view-' + view.id, id: 'view-' + view.id,
    'data-test': 'view-' + view.id, 'aria-label': view.title });
  main.append(el);
  current = { view, unmount: null };
  try {
    current.unmount = await view.module.mount(el, { api, events, params, showError, me });
  } catch (e) {
    showError(`${view.title}: ${e.message}`);
    if (!el.firstChild) el.append(emptyState('This view could not be shown.', e.message));
  }
}
window.addEventListener('hashchange', route);

window.addEventListener('unhandledrejection', (ev) => {
  const e = ev.reason;
  if (e && e.name === 'AbortError') return;
  if (e && e.status === 401) return; // the sign-in is back already
  showError(e && e.message ? e.message : String(e));
});
window.addEventListener('error', (ev) => showError(ev.message || 'an error in the page'));

// ---- sign-in, and what follows it ----
async function signin(message) {
  if (signingIn) return signingIn;
  unmount();
  events.stop();
  auth.clear();
  clearErrors();
  nav.hidden = true;
  document.getElementById('signout').hidden = true;
  document.title = 'Sign in — Oxios';
  signingIn = showSignin(main, message);
  await signingIn;
  signingIn = null;
  start();
  return null;
}

async function start() {
  // Who the token is comes first: the views hide what its role may not
  // do.  Until then no view is shown (route() waits for this).
  starting = true;
  try {
    await me.load();
  } catch {
    return; // a 401: the sign-in is back
  } finally {
    starting = false;
  }
  nav.hidden = false;
  const out = document.getElementById('signout');
  out.hidden = false;
  out.title = me.name ? `Signed in as ${me.name} (${me.role})` : '';
  events.start();
  route();
  main.focus({ preventScroll: true });
}

onUnauthorized((message) => {
  signin('Signed out: the daemon refused the token (' + message +
    ').  Sign in again with a valid token.');
});

document.getElementById('signout').addEventListener('click', () => signin(''));

async function boot() {
  buildNav();
  const code = takeLinkCode();
  if (code) {
    const err = await redeem(code);
    if (err) return signin('The sign-in link did not work: ' + err);
  }
  if (!auth.token) return signin('');
  start();
}
boot();
