import { describeMissing, resolveAuth, type AuthKind, type XCredentials } from './credentials.js';
import { MissingCredentialError, parseXErrorBody, RateLimitedError, XApiError, XUnreachableError } from './errors.js';
import { oauth1Header } from './oauth1.js';

export interface TransportOptions {
  /** X_API_BASE_URL, without a trailing slash. */
  baseUrl: string;
  credentials: XCredentials;
  /** Per attempt (X_API_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Retries of 5xx answers and network errors (X_API_RETRIES); a POST only when it was not sent. */
  retries?: number;
  /** Wait for a rate-limit reset at most this long; beyond, fail with the time to retry. */
  rateLimitMaxWaitMs?: number;
  /** Told before every wait (CLI progress). */
  onWait?: (wait: WaitNotice) => void;
  /** First backoff delay; doubles each retry, with jitter. */
  backoffMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  userAgent?: string;
}

export interface WaitNotice {
  operation: string;
  reason: 'rate-limit' | 'retry';
  ms: number;
  /** Why: "HTTP 503", "timeout after 10000 ms", "x-rate-limit-reset ...". */
  cause: string;
}

export interface XRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with its ids already encoded, e.g. /2/webhooks/123. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  auth: AuthKind;
  /** Words for errors, e.g. "create webhook (POST /2/webhooks)". */
  operation: string;
  signal?: AbortSignal;
  /** Replace the configured credentials for this call (e.g. another user's token). */
  credentials?: XCredentials;
  /** At least this long per attempt, whatever X_API_TIMEOUT_MS says (calls during which X runs a CRC). */
  minTimeoutMs?: number;
}

/**
 * Network errors that happen before a request is sent (no connection, no address): even a POST
 * may go again after these.
 */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why a failed POST is not sent again: X may have carried it out (a webhook made, a DM sent). */
const POST_NOT_REPEATED = 'X may have carried it out before the answer was lost, so it was not sent again: check before repeating it';

export interface XResponse<T = unknown> {
  status: number;
  json: T;
  headers: Headers;
  rateLimit: RateLimit | null;
}

export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  resetAt: Date | null;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Query string with RFC 3986 encoding (never "+" for spaces: the OAuth 1.0a base string depends on it). */
export function queryString(query: Record<string, string | undefined> | undefined): string {
  if (!query) return '';
  const pairs = Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined);
  if (pairs.length === 0) return '';
  return '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function readRateLimit(h: Headers): RateLimit | null {
  const num = (name: string) => {
    const v = h.get(name);
    return v !== null && /^\d+$/.test(v.trim()) ? Number(v) : null;
  };
  const limit = num('x-rate-limit-limit');
  const remaining = num('x-rate-limit-remaining');
  const reset = num('x-rate-limit-reset');
  if (limit === null && remaining === null && reset === null) return null;
  return { limit, remaining, resetAt: reset === null ? null : new Date(reset * 1000) };
}

/**
 * One HTTP call to the X API with the credential the call needs, a timeout on every attempt,
 * retries with exponential backoff on 5xx and network errors (a POST only when it cannot have
 * been sent: a webhook, a replay job or a DM must not be made twice), and rate limits honoured: a 429
 * waits for x-rate-limit-reset when that is within rateLimitMaxWaitMs, else fails saying when
 * to retry. Errors carry X's title, detail, type and "Reason: details" messages.
 */
export class XTransport {
  readonly o: Required<Omit<TransportOptions, 'onWait'>> & Pick<TransportOptions, 'onWait'>;

  constructor(options: TransportOptions) {
    this.o = {
      timeoutMs: 10_000,
      retries: 3,
      rateLimitMaxWaitMs: 60_000,
      backoffMs: 500,
      fetch: globalThis.fetch,
      sleep: defaultSleep,
      now: Date.now,
      userAgent: 'x-activity-receiver',
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
  }

  async request<T = unknown>(req: XRequest): Promise<XResponse<T>> {
    const credentials = req.credentials ?? this.o.credentials;
    const auth = resolveAuth(req.auth, credentials);
    if (!auth) throw new MissingCredentialError(req.operation, [], describeMissing(req.auth, credentials));
    const url = `${this.o.baseUrl}${req.path}${queryString(req.query)}`;
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    let failures = 0;
    let rateWaits = 0;
    for (;;) {
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': this.o.userAgent,
        authorization: auth.kind === 'bearer' ? `Bearer ${auth.token}` : oauth1Header(auth.credentials, req.method, url),
      };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const timeoutMs = Math.max(this.o.timeoutMs, req.minTimeoutMs ?? 0);
      // Aborted already (the caller's attempt is over): nothing is sent.
      if (req.signal?.aborted) throw req.signal.reason;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        res = await this.o.fetch(url, { method: req.method, headers, body: payload, signal, redirect: 'manual' });
        text = await res.text();
      } catch (error) {
        if (req.signal?.aborted) {
          // Stopped by the caller while the request was out: a POST may have been carried out.
          if (req.method === 'POST') throw new XUnreachableError(req.operation, `stopped by its caller (${describeReason(req.signal.reason)}); ${POST_NOT_REPEATED}`, true);
          throw error;
        }
        // fetch names an invalid header by its value: never let a credential into the message.
        const cause = timeout.aborted ? `no answer within ${timeoutMs} ms` : withoutSecret(networkCause(error), headers.authorization);
        if (/invalid header value|header value/i.test(cause)) {
          throw new XUnreachableError(req.operation, 'the credential is not a valid HTTP header value (a line break or control character in the token?)');
        }
        if (req.method === 'POST' && (timeout.aborted || !NOT_SENT.has(networkCode(error) ?? ''))) {
          throw new XUnreachableError(req.operation, `${cause}; ${POST_NOT_REPEATED}`, true);
        }
        if (failures < this.o.retries) {
          await this.#backoff(req, failures++, cause);
          continue;
        }
        throw new XUnreachableError(req.operation, `${cause} (${failures + 1} attempts to ${this.o.baseUrl})`);
      }
      const rateLimit = readRateLimit(res.headers);
      if (res.status === 429) {
        const resetAt = rateLimit?.resetAt ?? retryAfter(res.headers, this.o.now());
        const wait = resetAt ? resetAt.getTime() - this.o.now() + 250 : null;
        if (wait !== null && wait <= this.o.rateLimitMaxWaitMs && rateWaits < 5) {
          rateWaits++;
          const ms = Math.max(0, wait);
          this.o.onWait?.({ operation: req.operation, reason: 'rate-limit', ms, cause: `rate limited until ${resetAt!.toISOString()}` });
          await this.o.sleep(ms, req.signal);
          continue;
        }
        throw new RateLimitedError(req.operation, parseXErrorBody(text), resetAt, this.o.now());
      }
      if (res.status >= 500) {
        if (req.method === 'POST') throw new XApiError(req.operation, res.status, parseXErrorBody(text), POST_NOT_REPEATED, true);
        if (failures < this.o.retries) {
          await this.#backoff(req, failures++, `HTTP ${res.status}`);
          continue;
        }
        throw new XApiError(req.operation, res.status, parseXErrorBody(text), `Gave up after ${failures + 1} attempts`);
      }
      if (res.status >= 300) {
        const body = parseXErrorBody(text);
        throw new XApiError(req.operation, res.status, body, hintFor(res.status, auth.label, req.auth));
      }
      let json: unknown = null;
      if (text.trim()) {
        try {
          json = JSON.parse(text);
        } catch {
          throw new XApiError(req.operation, res.status, { problems: [{ message: `answer is not JSON: ${text.slice(0, 200)}` }] });
        }
      }
      return { status: res.status, json: json as T, headers: res.headers, rateLimit };
    }
  }

  async #backoff(req: XRequest, failure: number, cause: string): Promise<void> {
    const base = this.o.backoffMs * 2 ** failure;
    const ms = Math.round(base / 2 + (Math.random() * base) / 2);
    this.o.onWait?.({ operation: req.operation, reason: 'retry', ms, cause });
    await this.o.sleep(ms, req.signal);
  }
}

/** An abort's reason in a few words (an Error's name and message, else its text). */
function describeReason(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}

/** `text` with `secret` and every part of it longer than 6 characters replaced by [redacted]. */
function withoutSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text;
  for (const part of [secret, ...secret.split(/[\s,]+/)].filter((p) => p.length > 6)) out = out.split(part).join('[redacted]');
  return out;
}

function networkCode(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } })?.cause?.code;
}

function networkCause(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const code = networkCode(error);
  return code ? `network error ${code}` : `network error: ${e?.cause?.message ?? e?.message ?? String(error)}`;
}

function retryAfter(h: Headers, now: number): Date | null {
  const v = h.get('retry-after');
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return new Date(now + Number(v) * 1000);
  const d = Date.parse(v);
  return Number.isNaN(d) ? null : new Date(d);
}

function hintFor(status: number, label: string, kind: AuthKind): string | undefined {
  if (status === 401) {
    return kind === 'app'
      ? `X rejected the ${label}: check X_BEARER_TOKEN`
      : `X rejected the ${label}: check X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET (or X_OAUTH2_USER_TOKEN)`;
  }
  if (status === 403) return `X refused this call with the ${label}`;
  if (status >= 300 && status < 400) return 'X_API_BASE_URL answered with a redirect: point it at the API host itself';
  return undefined;
}
