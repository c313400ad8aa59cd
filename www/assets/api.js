// The HTTP client for /api/v1 (see API.md): token storage, JWT claims, JSON requests,
// multipart upload with progress, authenticated downloads, and readable error messages.

export const API_BASE = '/api/v1';
const TOKEN_KEY = 'token';
const REMEMBER_KEY = 'remember_me';
const PW_CHANGED_KEY = 'password_changed_session';
const PW_REQUIRED_KEY = 'password_required_session';

// ---- token -------------------------------------------------------------------------------

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(PW_CHANGED_KEY);
    localStorage.removeItem(PW_REQUIRED_KEY);
  } catch { /* storage unavailable: nothing to clear */ }
}

export function getRememberMe() {
  try { return localStorage.getItem(REMEMBER_KEY) === 'true'; } catch { return false; }
}

export function setRememberMe(value) {
  try { localStorage.setItem(REMEMBER_KEY, value ? 'true' : 'false'); } catch { /* ignore */ }
}

/** Decodes the JWT payload (no verification: the server verifies on every request). */
export function decodeToken(token) {
  if (!token || typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/** Remembers that this session already changed its password (its token still says otherwise). */
export function markPasswordChanged(sessionId) {
  try {
    localStorage.setItem(PW_CHANGED_KEY, sessionId || '');
    localStorage.removeItem(PW_REQUIRED_KEY);
  } catch { /* ignore */ }
}

/** The server said "Password change required" although the token did not: remember it. */
export function markPasswordRequired() {
  const c = decodeToken(getToken());
  try {
    localStorage.setItem(PW_REQUIRED_KEY, (c && c.session_id) || '');
    localStorage.removeItem(PW_CHANGED_KEY);
  } catch { /* ignore */ }
}

/** A fresh token after the change: forget both markers. */
export function clearPasswordMarkers() {
  try {
    localStorage.removeItem(PW_CHANGED_KEY);
    localStorage.removeItem(PW_REQUIRED_KEY);
  } catch { /* ignore */ }
}

/**
 * The signed-in user from the stored token, or null when there is none.
 * {username, id, role, sessionId, mustChange, exp, expired}
 */
export function currentUser() {
  const token = getToken();
  const c = decodeToken(token);
  if (!c) return null;
  let changed = null;
  let required = null;
  try {
    changed = localStorage.getItem(PW_CHANGED_KEY);
    required = localStorage.getItem(PW_REQUIRED_KEY);
  } catch { /* ignore */ }
  const exp = typeof c.exp === 'number' ? c.exp : null;
  const sid = c.session_id ?? '';
  return {
    username: c.sub ?? '',
    id: c.user_id ?? null,
    role: c.role === 'admin' ? 'admin' : 'user',
    sessionId: c.session_id ?? null,
    mustChange: (c.password_must_change === true && changed !== sid) || required === sid,
    exp,
    expired: exp !== null && exp * 1000 <= Date.now(),
  };
}

// ---- errors ------------------------------------------------------------------------------

const FIELD_LABELS = {
  username: 'Username', email: 'Email', full_name: 'Full name', password: 'Password',
  new_password: 'New password', current_password: 'Current password', role: 'Role',
  is_active: 'Active', password_must_change: 'Must change password', remember_me: 'Remember me',
  file: 'Photo', model_id: 'Model', parameters: 'Parameters', limit: 'Page size', offset: 'Offset',
  skip: 'Skip', search: 'Search', session_id: 'Session', user_id: 'User', id: 'ID',
};

export function fieldLabel(name) {
  if (name === undefined || name === null) return '';
  if (typeof name === 'number') return `Item ${name + 1}`;
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  const t = String(name).replace(/[_-]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** "Value error, Password must…" → "Password must…". */
function cleanMsg(msg) {
  let m = String(msg ?? '').trim();
  m = m.replace(/^Value error,\s*/i, '').replace(/^Assertion failed,\s*/i, '');
  if (!m) m = 'Invalid value';
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/** One 422 entry → {field, sentence}. */
function describeValidation(entry) {
  if (!entry || typeof entry !== 'object') return { field: null, sentence: String(entry) };
  const loc = Array.isArray(entry.loc) ? entry.loc.filter((p) => p !== 'body' && p !== 'query' && p !== 'path') : [];
  const field = loc.length ? loc[loc.length - 1] : null;
  const msg = cleanMsg(entry.msg);
  if (field === null || (loc.length === 0 && entry.type === 'json_invalid')) {
    return { field: null, sentence: msg };
  }
  return { field: String(field), sentence: `${fieldLabel(field)}: ${msg}` };
}

const STATUS_TEXT = {
  400: 'The request was not accepted', 403: 'You do not have permission to do that',
  404: 'Not found', 405: 'That action is not allowed', 408: 'The request took too long',
  409: 'That conflicts with existing data', 413: 'The file is too large for the server',
  414: 'The request address is too long', 422: 'Some values are not valid', 429: 'Too many requests',
  431: 'The request headers are too large', 500: 'The server hit an internal error',
  502: 'The server is unavailable right now (bad gateway)', 503: 'The service is temporarily unavailable',
  504: 'The server took too long to answer',
};

export class ApiError extends Error {
  constructor({ status = 0, detail = null, retryAfter = null, network = false, aborted = false, message } = {}) {
    super(message || 'Request failed');
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
    this.network = network;
    this.aborted = aborted;
    this.handled = false;
    this.fields = {};
    this.messages = [];
    if (Array.isArray(detail)) {
      for (const entry of detail) {
        const { field, sentence } = describeValidation(entry);
        this.messages.push(sentence);
        if (field && !this.fields[field]) this.fields[field] = sentence;
      }
    } else if (typeof detail === 'string' && detail) {
      this.messages.push(detail);
    } else if (detail && typeof detail === 'object') {
      this.messages.push(detail.message || detail.msg || JSON.stringify(detail));
    }
    if (this.messages.length === 0) {
      if (network) this.messages.push('Cannot reach the server. Check your connection and try again.');
      else if (aborted) this.messages.push('The request was cancelled.');
      else this.messages.push(`${STATUS_TEXT[status] || 'The request failed'}${status ? ` (HTTP ${status})` : ''}.`);
    }
    this.message = this.messages.join(' ');
  }
}

/** Readable messages (array of sentences) for any error. */
export function errorMessages(err) {
  if (err instanceof ApiError) {
    if ((err.status === 429 || err.status === 503) && err.retryAfter !== null) {
      return [`${err.messages[0].replace(/\.$/, '')}. Please try again in ${formatWait(err.retryAfter)}.`];
    }
    return err.messages;
  }
  if (err && err.message) return [err.message];
  return ['Something went wrong.'];
}

export function errorText(err) {
  return errorMessages(err).join(' ');
}

function formatWait(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

/** Retry-After: delta-seconds or an HTTP date → seconds from now (null if absent/invalid). */
export function parseRetryAfter(value) {
  if (value === null || value === undefined || value === '') return null;
  const v = String(value).trim();
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.round((t - Date.now()) / 1000));
}

// ---- global handlers (set by app.js) --------------------------------------------------------

const handlers = {
  unauthorized: null,      // (detail) => void
  passwordRequired: null,  // () => void
};

export function onUnauthorized(fn) { handlers.unauthorized = fn; }
export function onPasswordRequired(fn) { handlers.passwordRequired = fn; }

/** Applies the global 401 / 403-password-change rules to an error from an authenticated call. */
function applyGlobalRules(err, auth) {
  if (!auth) return;
  if (err.status === 401 && handlers.unauthorized) {
    err.handled = true;
    handlers.unauthorized(typeof err.detail === 'string' ? err.detail : null);
  } else if (err.status === 403 && err.detail === 'Password change required' && handlers.passwordRequired) {
    err.handled = true;
    markPasswordRequired();
    handlers.passwordRequired();
  }
}

// ---- requests ------------------------------------------------------------------------------

function buildUrl(path, query) {
  let url = path.startsWith('/api/') ? path : `${API_BASE}${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.append(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  return url;
}

async function errorFromResponse(res) {
  let detail = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      const body = await res.json();
      if (body && typeof body === 'object' && 'detail' in body) detail = body.detail;
    } catch { /* not JSON after all */ }
  }
  return new ApiError({ status: res.status, detail, retryAfter: parseRetryAfter(res.headers.get('Retry-After')) });
}

/**
 * JSON request. Options: method, body (object → JSON), query, auth (default true), signal,
 * global (default true: apply the 401 / password-change rules).
 * Resolves to the parsed body (null for 204), or {data, response} when opts.withResponse.
 * Rejects with ApiError; 401s (and 403 "Password change required") also run the global rules.
 */
export async function api(path, opts = {}) {
  const { method = 'GET', body, query, auth = true, signal, withResponse = false, global = true } = opts;
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = getToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(buildUrl(path, query), {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw new ApiError({ aborted: true });
    throw new ApiError({ network: true });
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    applyGlobalRules(err, auth && global);
    throw err;
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch { throw new ApiError({ status: res.status, message: 'The server sent an answer that could not be read.' }); }
    }
  }
  return withResponse ? { data, response: res } : data;
}

/**
 * multipart POST with upload progress (XMLHttpRequest, since fetch has no upload progress).
 * Returns {promise, abort}. Callbacks: onProgress(loaded, total), onUploaded().
 */
export function upload(path, formData, { onProgress, onUploaded } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', buildUrl(path));
    xhr.setRequestHeader('Accept', 'application/json');
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => {
      if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    });
    xhr.upload.addEventListener('load', () => { if (onUploaded) onUploaded(); });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (body === null) reject(new ApiError({ status: xhr.status, message: 'The server sent an answer that could not be read.' }));
        else resolve(body);
        return;
      }
      const err = new ApiError({
        status: xhr.status,
        detail: body && typeof body === 'object' ? body.detail ?? null : null,
        retryAfter: parseRetryAfter(xhr.getResponseHeader('Retry-After')),
      });
      applyGlobalRules(err, true);
      reject(err);
    });
    xhr.addEventListener('error', () => reject(new ApiError({ network: true })));
    xhr.addEventListener('abort', () => reject(new ApiError({ aborted: true })));
    xhr.addEventListener('timeout', () => reject(new ApiError({ status: 0, message: 'The request timed out.' })));
    xhr.send(formData);
  });
  return { promise, abort: () => xhr.abort() };
}

/** "attachment; filename=\"restored-x.png\"" → "restored-x.png". */
function filenameFromDisposition(cd) {
  if (!cd) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd);
  if (star) { try { return decodeURIComponent(star[1].trim().replace(/^"|"$/g, '')); } catch { /* fall through */ } }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(cd) || /filename\s*=\s*([^;]+)/.exec(cd);
  return plain ? plain[1].trim().replace(/\\(.)/g, '$1') : null;
}

/**
 * Downloads an authenticated file: fetches it as a blob with the token, then saves it through
 * a temporary object URL. Resolves to the file name used.
 */
export async function download(path, fallbackName = 'download') {
  const headers = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(buildUrl(path), { headers, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError({ network: true });
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    applyGlobalRules(err, true);
    throw err;
  }
  const blob = await res.blob();
  const name = filenameFromDisposition(res.headers.get('Content-Disposition')) || fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
