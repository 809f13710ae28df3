// Small parsers for the SIP header values the WIC reads. No dependencies, unit-tested in node.

/** First URI of a P-Associated-URI value (RFC 7315 §4.1): the default IMPU (TS 24.229). */
export function firstAssociatedUri(value) {
  if (!value) return null;
  const bracketed = /<([^>]+)>/.exec(value);
  if (bracketed) return bracketed[1];
  const bare = value.split(',')[0].trim();
  return bare.length > 0 ? bare : null;
}

/** The error="..." parameter of a Bearer challenge (RFC 6750 §3, RFC 8898 §4), or null. */
export function bearerError(wwwAuthenticate) {
  if (!wwwAuthenticate || !/^\s*Bearer\b/i.test(wwwAuthenticate)) return null;
  const m = /\berror\s*=\s*"([^"]*)"/i.exec(wwwAuthenticate);
  return m ? m[1] : null;
}

/** Retry-After in seconds (RFC 3261 §20.33), or null. */
export function retryAfterSeconds(value) {
  if (value === undefined || value === null) return null;
  const n = parseInt(String(value), 10);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
