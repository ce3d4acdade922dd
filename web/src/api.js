// The REST API client: JSON in and out, the session cookie (sent by the browser) and the
// CSRF header on every mutation. Errors are thrown as ApiError with the API's code/field.

const CSRF_KEY = 'posthouse.csrf';

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.retryAfter = retryAfter;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

export function setCsrf(token) {
  if (token) localStorage.setItem(CSRF_KEY, token);
  else localStorage.removeItem(CSRF_KEY);
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = localStorage.getItem(CSRF_KEY) || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(
      res.status,
      err.code || 'error',
      err.message || `request failed (${res.status})`,
      err.field,
      Number(res.headers.get('Retry-After')) || 0,
    );
    // A session without its CSRF token (cleared storage) can only read: sign in again.
    const lostCsrf = res.status === 403 && e.field === 'X-CSRF-Token';
    if ((res.status === 401 || lostCsrf) && path !== '/session') onUnauthenticated(e);
    throw e;
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const put = (p, b) => api('PUT', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

// Encodes one path segment (addresses, names).
export const seg = (s) => encodeURIComponent(s);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}
