// The REST client. Errors come back in the server's one shape {"error": {code, message, status}} and are
// thrown as ApiError carrying that message, so every page shows the server's own explanation.

import { markData, markLost } from './connection.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body, params } = {}) {
  let url = `/api/v1${path}`;
  if (params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === '') continue;
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
    }
    const text = search.toString();
    if (text) url += `?${text}`;
  }
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    // fetch rejects only when no answer came at all: the manager is gone (or the network is).
    markLost();
    throw new ApiError(0, 'unreachable', 'Cannot reach the manager. The page reconnects by itself when it is back.');
  }
  markData();
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'http_error', error.message || `HTTP ${response.status}`);
  }
  return data;
}
