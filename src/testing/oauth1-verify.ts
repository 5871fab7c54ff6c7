import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The X stand-in's own OAuth 1.0a (RFC 5849, HMAC-SHA1) verifier on node:crypto, written
 * independently of the signer the client uses, so that a bug in one is caught by the other.
 */

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes (RFC 5849 3.6). */
export function rfc3986(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** RFC 5849 3.4.1.2: lowercase scheme and host, default port dropped, no query or fragment. */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const defaultPort = (scheme === 'http' && url.port === '80') || (scheme === 'https' && url.port === '443') || url.port === '';
  return `${scheme}://${url.hostname.toLowerCase()}${defaultPort ? '' : `:${url.port}`}${url.pathname}`;
}

/** RFC 5849 3.4.1: METHOD & enc(base URI) & enc(normalized parameters), parameters sorted by byte order. */
export function signatureBaseString(method: string, url: URL, params: Array<[string, string]>): string {
  const encoded = params.map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
  encoded.sort((a, b) => (a[0] === b[0] ? cmp(a[1], b[1]) : cmp(a[0], b[0])));
  const normalized = encoded.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), rfc3986(baseStringUri(url)), rfc3986(normalized)].join('&');
}

function cmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${rfc3986(consumerSecret)}&${rfc3986(tokenSecret)}`).update(baseString).digest('base64');
}

/** Parses `OAuth k="v", ...` into decoded pairs; null when it is not an OAuth header. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | null {
  if (!header || !/^OAuth\s/i.test(header)) return null;
  const out = new Map<string, string>();
  const re = /([A-Za-z0-9_\-.~%]+)="([^"]*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    try {
      out.set(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    } catch {
      return null;
    }
  }
  return out;
}

export interface OAuth1Verification {
  ok: boolean;
  consumerKey?: string;
  token?: string;
  /** Why it failed, for the error detail. */
  problem?: string;
}

export interface OAuth1Secrets {
  consumerSecret(consumerKey: string): string | undefined;
  tokenSecret(token: string): string | undefined;
}

const seenNonces = new Map<string, number>();

/**
 * Verifies a request's OAuth 1.0a Authorization header: signature method, version, timestamp
 * within 5 minutes, nonce not reused, and the HMAC-SHA1 signature over the method, base URI,
 * query parameters and oauth_* parameters (a JSON body is not part of it).
 */
export function verifyOAuth1(method: string, url: URL, header: string | undefined, secrets: OAuth1Secrets, now = Date.now()): OAuth1Verification {
  const oauth = parseOAuthHeader(header);
  if (!oauth) return { ok: false, problem: 'no OAuth Authorization header' };
  const consumerKey = oauth.get('oauth_consumer_key');
  const token = oauth.get('oauth_token');
  const signature = oauth.get('oauth_signature');
  const timestamp = Number(oauth.get('oauth_timestamp'));
  const nonce = oauth.get('oauth_nonce');
  if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1') return { ok: false, problem: 'oauth_signature_method must be HMAC-SHA1' };
  if (oauth.has('oauth_version') && oauth.get('oauth_version') !== '1.0') return { ok: false, problem: 'oauth_version must be 1.0' };
  if (!consumerKey || !token || !signature || !nonce || !Number.isFinite(timestamp)) {
    return { ok: false, problem: 'oauth_consumer_key, oauth_token, oauth_nonce, oauth_timestamp and oauth_signature are required' };
  }
  if (Math.abs(now / 1000 - timestamp) > 300) return { ok: false, problem: 'oauth_timestamp is more than 5 minutes off' };
  const consumerSecret = secrets.consumerSecret(consumerKey);
  if (consumerSecret === undefined) return { ok: false, problem: 'unknown oauth_consumer_key' };
  const tokenSecret = secrets.tokenSecret(token);
  if (tokenSecret === undefined) return { ok: false, problem: 'unknown oauth_token' };
  const params: Array<[string, string]> = [];
  for (const [k, v] of url.searchParams) params.push([k, v]);
  for (const [k, v] of oauth) if (k !== 'oauth_signature' && k !== 'realm') params.push([k, v]);
  const expected = Buffer.from(hmacSha1Signature(signatureBaseString(method, url, params), consumerSecret, tokenSecret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, problem: 'signature does not match' };
  const nonceKey = `${consumerKey}:${token}:${timestamp}:${nonce}`;
  if (seenNonces.has(nonceKey)) return { ok: false, problem: 'oauth_nonce was used already' };
  seenNonces.set(nonceKey, now);
  if (seenNonces.size > 10_000) {
    for (const [k, t] of seenNonces) if (now - t > 600_000) seenNonces.delete(k);
  }
  return { ok: true, consumerKey, token };
}
