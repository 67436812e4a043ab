// api.js — the REST client: the token (kept in sessionStorage), JSON in
// and out, HTTP errors turned into readable messages (ApiError), a 401
// handed to the shell, which brings the sign-in back, and who the token
// is (GET /api/whoami: its name and role, so views can hide what the
// role may not do; the daemon refuses it anyway, with a 403).

const KEY = 'oxios.token';

export const auth = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};
// fn(message) runs on every 401 answer.
export function onUnauthorized(fn) { unauthorized = fn; }
export function signalUnauthorized(message) { unauthorized(message); }

// The headers every call carries.
export function authHeaders(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  if (auth.token) h.Authorization = 'Bearer ' + auth.token;
  return h;
}

async function request(method, path, body, opts) {
  opts = opts || {};
  const headers = authHeaders();
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload,
      signal: opts.signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network',
      `cannot reach the Oxios daemon (${e.message}); is it running?`);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(resp.status, err.code || 'http_' + resp.status,
      err.message || `${method} ${path} failed: HTTP ${resp.status}`);
    if (err.key) e.key = err.key; // the configuration key refused
    if (resp.status === 401 && !opts.quiet) unauthorized(e.message);
    throw e;
  }
  return data;
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body ?? {}, opts),
  put: (path, body, opts) => request('PUT', path, body ?? {}, opts),
  del: (path, opts) => request('DELETE', path, undefined, opts),
};

// The signed-in identity.  Roles, least first: viewer (reads), operator
// (also chats and runs agents), admin (also config, budgets, tokens).
const RANKS = { viewer: 1, operator: 2, admin: 3 };
export const me = {
  name: null,
  role: null,
  expires_at: null,
  // Ask the daemon; a failure other than a 401 leaves the role unknown.
  async load() {
    this.name = this.role = this.expires_at = null;
    try {
      const w = await api.get('/api/whoami');
      Object.assign(this, { name: w.name, role: w.role, expires_at: w.expires_at });
    } catch (e) {
      if (e.status === 401) throw e;
    }
    document.documentElement.dataset.role = this.role || '';
    return this;
  },
  // Whether the role reaches `role`; an unknown role may try (the daemon
  // decides).
  can(role) {
    return this.role === null || (RANKS[this.role] || 0) >= RANKS[role];
  },
};

// A path segment, escaped.
export function seg(s) { return encodeURIComponent(String(s)); }
