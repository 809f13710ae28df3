// The WWSF's JSON API as seen from the page (same origin). The session cookie is HttpOnly, so the
// page never sees it; it keeps only the CSRF token the WWSF hands out for this session.

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

export class WwsfApi {
  constructor(base = '') {
    this.base = base;
    this.csrf = null;
  }

  async #call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    let json = null;
    if (res.status !== 204) {
      try {
        json = await res.json();
      } catch {
        json = null;
      }
    }
    if (!res.ok) {
      const ra = res.headers.get('Retry-After');
      throw new ApiError(res.status, json, ra === null ? null : Number(ra));
    }
    return json;
  }

  /** The logged-in identity {username, block, csrf_token}, or null when not logged in. */
  async me() {
    try {
      const me = await this.#call('GET', '/api/me');
      this.csrf = me.csrf_token;
      return me;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  }

  async login(username, password) {
    const me = await this.#call('POST', '/api/login', { username, password });
    this.csrf = me.csrf_token;
    return me;
  }

  async logout() {
    await this.#call('POST', '/api/logout');
    this.csrf = null;
  }

  /** A fresh identity assertion {token, token_type, expires_in, expires_at, block}. */
  async token() {
    return this.#call('POST', '/api/token');
  }

  async wicConfig() {
    return this.#call('GET', '/wic-config.json');
  }
}
