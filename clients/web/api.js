// HTTP calls to the server (docs/http-api.md) and the WebSocket address, both carrying the access
// token when the page was opened with `?token=…`. The server does not check tokens yet; passing it now
// means the page keeps working unchanged once it does.

const token = new URLSearchParams(window.location.search).get('token');

/** An error reply of the server: `{error: {code, message}}` with its HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function failure(response) {
  const body = await response.json().catch(() => null);
  const error = body?.error;
  return new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
}

/** GET or POST a JSON route; resolves to the reply's JSON, rejects with ApiError. */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: headers(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** The records of a session or recording as JSON lines (GET /sessions/:id/records), parsed. */
export async function recordsOf(sessionId) {
  const response = await fetch(`/sessions/${encodeURIComponent(sessionId)}/records`, { headers: headers() });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

/**
 * A URL the browser loads by itself (an <img>), which cannot carry a header: the token goes in the
 * query instead, as on the WebSocket.
 */
export function withToken(path) {
  return token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path;
}

/** The WebSocket address on this page's host: JSON encoding, the protocol major this page speaks. */
export function socketUrl(protocol) {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return withToken(`${scheme}://${window.location.host}/ws?encoding=json&protocol=${protocol}`);
}
