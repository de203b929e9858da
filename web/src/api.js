// The JSON API of the server that served this page, with the token kept in sessionStorage.
const KEY = 'agentlearn.token';

export function token() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the token lasts until the page is left */
  }
}

// An answer the page can show: the HTTP status, the parsed body, and for an error the
// server's message and field.
export class ApiError extends Error {
  constructor(status, body, path) {
    const e = body && body.error;
    const message = e && e.message ? e.message : `HTTP ${status}`;
    super(message);
    this.status = status;
    this.code = e && e.code;
    this.field = e && e.field;
    this.path = path;
  }
  // A sentence for a person.
  explain() {
    if (this.status === 401) return 'The server refused the token (401): type a valid token.';
    if (this.status === 403) return 'Refused (403): this needs an admin token; yours may only read.';
    if (this.status === 0) return 'The server did not answer: ' + this.message;
    return `${this.message} (${this.status}${this.field ? ', field ' + this.field : ''})`;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

// The answer boot.js already asked for, once, if it was asked with the same token.
function takeEarly(path, method, t) {
  const early = window.agentlearnEarly;
  if (!early || method !== 'GET' || early.token !== t || !early.pending[path]) return null;
  const p = early.pending[path];
  delete early.pending[path];
  return p;
}

export async function call(path, { method = 'GET', body, signal, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    const early = takeEarly(path, method, t);
    res = early ? await early : await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, { error: { message: String(err && err.message ? err.message : err) } }, path);
  }
  let parsed = null;
  const text = await res.text();
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    const e = new ApiError(res.status, parsed, path);
    // Only a refusal of the token still in use asks for another: an answer to a request made
    // with a token the user has since replaced (it was in flight while they typed) is stale.
    if (res.status === 401 && !quiet401 && token() === t) onUnauthorized(e);
    throw e;
  }
  return parsed;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}
