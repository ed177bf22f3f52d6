// The console's calls to the JSON API: same origin, the session cookie, and the session's CSRF
// token on every change. Errors come back as {"error": "..."} and are thrown as Error(message).

let csrf = null;

/** Sets the CSRF token that every POST carries (from GET /api/session). */
export function setCsrf(token) {
  csrf = token;
}

async function call(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrf) {
    init.headers['X-CSRF-Token'] = csrf;
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.location.assign('/login');
    throw new Error('signed out');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = new Error(json && json.error ? json.error : `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body ?? {});
