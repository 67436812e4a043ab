// signin.js — the sign-in: a form for the API token, and the one-time
// link `oxios start` prints on a fresh install (#code=... in the URL
// fragment, exchanged once by POST /api/signin for the token).  The token
// is checked with GET /api/status before it is kept (sessionStorage).

import { api, auth, ApiError } from './api.js';
import { h, clear } from './dom.js';

// The code of a sign-in link in the fragment, removed from the address
// bar and history at once.
export function takeLinkCode() {
  const m = /^#code=([A-Za-z0-9_-]{20,100})$/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname + location.search + '#/');
  return m[1];
}

// Exchange a link's code for the token.  Resolves to an error message,
// or null when signed in.
export async function redeem(code) {
  try {
    const r = await api.post('/api/signin', { code }, { quiet: true });
    auth.set(r.token);
    return null;
  } catch (e) {
    return e instanceof ApiError ? e.message : String(e);
  }
}

// Show the form in `main`; resolve once a token works.  `message` says
// why it is shown (a refused token, a spent link).
export function showSignin(main, message) {
  clear(main);
  return new Promise((resolve) => {
    const err = h('p', { class: 'signin-error', id: 'signin-error',
      'data-test': 'signin-error', role: 'alert' }, message || '');
    if (!message) err.hidden = true;
    const input = h('input', { id: 'signin-token', name: 'token',
      type: 'password', autocomplete: 'off', spellcheck: 'false',
      required: true, 'data-test': 'signin-token',
      'aria-describedby': 'signin-help signin-error' });
    const button = h('button', { type: 'submit', 'data-test': 'signin-submit' }, 'Sign in');
    const form = h('form', { class: 'signin', id: 'signin', 'data-test': 'signin-form' },
      h('h1', {}, 'Sign in to Oxios'),
      h('label', { for: 'signin-token' }, 'API token'),
      input,
      h('p', { class: 'hint', id: 'signin-help' },
        'The token was shown once at the first start (`oxios start`); ' +
        'make a new one with `oxios token rotate`.  It is kept in this ' +
        'tab only (sessionStorage).'),
      err, button);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      button.disabled = true;
      auth.set(token);
      try {
        await api.get('/api/status', { quiet: true });
        resolve();
      } catch (e) {
        auth.clear();
        err.hidden = false;
        err.textContent = e.status === 401
          ? 'That token was refused.  Check it, or make a new one with `oxios token rotate`.'
          : e.message;
        button.disabled = false;
        input.focus();
      }
    });
    main.append(form);
    input.focus();
  });
}
