import { createHmac, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyOAuth1 } from './oauth1-verify.js';
import { aaaBody, newActivity, snowflake, xaaBody, xaaEventType, type Activity, type SampleType } from './samples.js';

/**
 * A stand-in for the X API v2 management endpoints and X's webhook deliveries, for tests and
 * local development (`xaa emulate`). It behaves as X documents it:
 * - checks the app bearer token, verifies OAuth 1.0a signatures (its own RFC 5849 verifier) and
 *   OAuth 2.0 user tokens, per endpoint as X requires;
 * - runs a real CRC GET (3 s timeout, no redirects) on create and validate and marks the webhook
 *   valid or invalid; enforces the URL rules (https, no port, public host, <= 200 characters,
 *   no duplicates) and the webhook and subscription limits;
 * - delivers signed AAA or XAA events to valid webhooks for subscribed users, keeps what it
 *   delivered (or would have: see emit's `deliver: false`) and replays it for a window, then
 *   sends a replay_job_status delivery;
 * - answers with X-shaped errors ({errors: [{message: "Reason: details"}], title, detail, type})
 *   and x-rate-limit-* headers, 429 when a route's window is used up.
 *
 * Test mode: `allowLoopbackHttp: true` also accepts http:// and ported URLs on 127.0.0.1,
 * localhost and [::1], because a receiver on loopback cannot meet X's https-without-port rule.
 * Strict mode (the default) rejects them as X does.
 */
export interface StandInUser {
  id: string;
  username?: string;
  accessToken?: string;
  accessTokenSecret?: string;
  oauth2Token?: string;
}

export interface StandInOptions {
  consumerKey: string;
  consumerSecret: string;
  bearerToken: string;
  users?: StandInUser[];
  /** Test mode: allow http://127.0.0.1:port style webhook URLs. Default false (X's rules). */
  allowLoopbackHttp?: boolean;
  /** Webhooks per app (pay-per-use: 1). */
  maxWebhooks?: number;
  /** AAA subscriptions per app (pay-per-use: 3). */
  maxSubscriptions?: number;
  /** CRC timeout (X: 3 s). */
  crcTimeoutMs?: number;
  /** Default rate limit per route and 15-minute window. */
  rateLimit?: number;
  host?: string;
  port?: number;
  log?: (line: string) => void;
}

export interface StandInWebhook {
  id: string;
  url: string;
  valid: boolean;
  created_at: string;
  /** The last CRC: what happened, for tests and the emulator's state page. */
  lastCrc?: { ok: boolean; reason: string; latencyMs: number; at: string };
}

export interface ActivitySub {
  subscription_id: string;
  event_type: string;
  filter: Record<string, unknown>;
  tag?: string;
  webhook_id: string;
  created_at: string;
  updated_at: string;
}

/** What a webhook received, or should have (kept for replays). */
export interface OutboxEntry {
  webhookId: string;
  at: Date;
  format: 'aaa' | 'xaa';
  body: string;
  activity: Activity;
}

export interface DeliveryRecord {
  webhookId: string;
  url: string;
  format: 'aaa' | 'xaa';
  replay: boolean;
  status: number | null;
  error?: string;
  activityType: SampleType;
  activityId: string;
  forUserId: string;
}

export interface ReplayJobState {
  jobId: string;
  webhookId: string;
  kind: 'aaa' | 'webhook';
  from: Date;
  to: Date;
  state: 'running' | 'Complete' | 'Incomplete';
  delivered: number;
  done: Promise<void>;
}

interface Fault {
  status: number;
  times: number;
  delayMs: number;
  body?: unknown;
}

interface Window {
  limit: number;
  used: number;
  resetAt: number;
}

const WINDOW_MS = 15 * 60_000;
const INVALID = { title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

function invalid(reason: string, details: string, status = 400): HttpError {
  return new HttpError(status, { errors: [{ message: `${reason}: ${details}` }], ...INVALID });
}

type Auth = 'app' | 'user';
type Handler = (ctx: { req: IncomingMessage; url: URL; params: string[]; body: Record<string, unknown>; userId: string | null }) => Promise<[number, unknown]> | [number, unknown];

interface Route {
  method: string;
  pattern: RegExp;
  key: string;
  auth: Auth | 'none';
  handler: Handler;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export class XStandIn {
  readonly options: Required<Omit<StandInOptions, 'users' | 'log' | 'host' | 'port'>> & Pick<StandInOptions, 'log'>;
  readonly users: StandInUser[];
  readonly webhooks = new Map<string, StandInWebhook>();
  /** webhook id -> subscribed user ids (AAA). */
  readonly subscriptions = new Map<string, Set<string>>();
  readonly activitySubs = new Map<string, ActivitySub>();
  readonly outbox: OutboxEntry[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly replayJobs: ReplayJobState[] = [];
  readonly sentMessages: Array<{ from: string; to: string; text: string; dmEventId: string }> = [];
  /** Every API request: "METHOD /path" and its status. */
  readonly requests: Array<{ route: string; status: number; auth: string }> = [];
  readonly #faults = new Map<string, Fault>();
  readonly #limits = new Map<string, Window>();
  readonly #routes: Route[];
  #server: http.Server | undefined;
  #url = '';
  readonly #host: string;
  readonly #port: number;

  constructor(options: StandInOptions) {
    this.options = {
      allowLoopbackHttp: false,
      maxWebhooks: 1,
      maxSubscriptions: 3,
      crcTimeoutMs: 3_000,
      rateLimit: 500,
      ...options,
    };
    this.users = options.users ?? [];
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#routes = this.#buildRoutes();
  }

  /** The API base URL (X_API_BASE_URL for the client). */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.replayJobs.map((j) => j.done));
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------ controls for tests

  /**
   * The next `times` calls of a route ("GET /2/webhooks", "PUT /2/webhooks/:id", ...) answer
   * `status` (after `delayMs`, to test timeouts).
   */
  failNext(route: string, fault: { status?: number; times?: number; delayMs?: number; body?: unknown }): void {
    this.#faults.set(route, { status: fault.status ?? 503, times: fault.times ?? 1, delayMs: fault.delayMs ?? 0, body: fault.body });
  }

  /** Sets a route's rate-limit window: `remaining` calls left until `resetInSeconds` from now. */
  setRateLimit(route: string, w: { limit?: number; remaining: number; resetInSeconds: number }): void {
    const limit = w.limit ?? Math.max(w.remaining, 1);
    this.#limits.set(route, { limit, used: limit - w.remaining, resetAt: Date.now() + w.resetInSeconds * 1000 });
  }

  /**
   * An activity happens at X: it is kept for each webhook that should get it (valid webhook, the
   * user subscribed by AAA, or an XAA subscription matching event type and user) and delivered
   * now, unless `deliver` is false (a delivery X attempted and lost: only a replay brings it).
   */
  async emit(
    type: SampleType,
    forUserId: string,
    o: { otherUserId?: string; at?: Date; text?: string; id?: string; senderId?: string; deliver?: boolean } = {},
  ): Promise<{ activity: Activity; deliveries: DeliveryRecord[] }> {
    const activity = newActivity(type, forUserId, o);
    return { activity, deliveries: await this.emitActivity(activity, o.deliver ?? true) };
  }

  async emitActivity(activity: Activity, deliver = true): Promise<DeliveryRecord[]> {
    const entries: OutboxEntry[] = [];
    for (const w of this.webhooks.values()) {
      if (this.subscriptions.get(w.id)?.has(activity.forUserId)) {
        entries.push({ webhookId: w.id, at: activity.at, format: 'aaa', body: aaaBody(activity), activity });
      }
      for (const s of this.activitySubs.values()) {
        if (s.webhook_id === w.id && s.event_type === xaaEventType(activity.type) && String(s.filter.user_id ?? '') === activity.forUserId) {
          entries.push({ webhookId: w.id, at: activity.at, format: 'xaa', body: xaaBody(activity, { tag: s.tag ?? null, filter: s.filter }), activity });
        }
      }
    }
    this.outbox.push(...entries);
    if (!deliver) return [];
    const out: DeliveryRecord[] = [];
    for (const e of entries) {
      const w = this.webhooks.get(e.webhookId);
      if (w?.valid) out.push(await this.#deliver(w, e, false));
    }
    return out;
  }

  /** Runs a CRC against a webhook now (X's periodic check). */
  async recheck(webhookId: string): Promise<StandInWebhook | undefined> {
    const w = this.webhooks.get(webhookId);
    if (!w) return undefined;
    const crc = await this.crc(w.url);
    w.valid = crc.ok;
    w.lastCrc = { ...crc, at: new Date().toISOString() };
    return w;
  }

  /** X's CRC: GET url?crc_token=..., 3 s, no redirects, response_token must match. */
  async crc(url: string): Promise<{ ok: boolean; reason: string; latencyMs: number }> {
    const token = randomBytes(24).toString('base64url');
    const expected = `sha256=${createHmac('sha256', this.options.consumerSecret).update(token).digest('base64')}`;
    const started = performance.now();
    const target = new URL(url);
    target.searchParams.set('crc_token', token);
    const done = (ok: boolean, reason: string) => {
      const latencyMs = Math.round(performance.now() - started);
      this.options.log?.(`CRC ${url}: ${ok ? 'pass' : 'fail'} (${reason}, ${latencyMs} ms)`);
      return { ok, reason, latencyMs };
    };
    try {
      const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(this.options.crcTimeoutMs), headers: { 'user-agent': 'X-standin-CRC' } });
      const text = await res.text();
      if (res.status >= 300 && res.status < 400) return done(false, `redirect ${res.status}`);
      if (res.status !== 200) return done(false, `HTTP ${res.status}`);
      let token: unknown;
      try {
        token = (JSON.parse(text) as { response_token?: unknown }).response_token;
      } catch {
        return done(false, 'answer is not JSON');
      }
      return token === expected ? done(true, 'response token matches') : done(false, 'response token does not match');
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return done(false, e.name === 'TimeoutError' ? `no answer within ${this.options.crcTimeoutMs} ms` : (e.cause?.code ?? e.message));
    }
  }

  // ------------------------------------------------------------ HTTP

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    let routeKey = `${method} ${url.pathname}`;
    let authLabel = 'none';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ route: routeKey, status, auth: authLabel });
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(text);
    };
    try {
      const raw = await readBody(req);
      const route = this.#routes.find((r) => r.method === method && r.pattern.test(url.pathname));
      if (!route) {
        throw new HttpError(404, { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] });
      }
      routeKey = route.key;
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
      let userId: string | null = null;
      if (route.auth !== 'none') {
        const who = this.#authenticate(req, url, route.auth);
        authLabel = who.label;
        userId = who.userId;
      }
      const limitHeaders = route.auth === 'none' ? {} : this.#rateLimit(route.key);
      const fault = this.#faults.get(route.key);
      if (fault && fault.times > 0) {
        fault.times--;
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        return send(fault.status, fault.body ?? { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: fault.status }, limitHeaders);
      }
      let body: Record<string, unknown> = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new HttpError(400, { ...INVALID, errors: [{ message: 'Request body is not valid JSON' }] });
        }
      }
      const [status, out] = await route.handler({ req, url, params, body, userId });
      send(status, out, limitHeaders);
    } catch (error) {
      if (error instanceof HttpError) {
        const headers = (error as HttpError & { headers?: Record<string, string> }).headers ?? {};
        return send(error.status, error.body, headers);
      }
      this.options.log?.(`stand-in error: ${(error as Error).stack}`);
      send(500, { title: 'Internal Server Error', detail: String((error as Error).message), type: 'about:blank', status: 500 });
    }
  }

  #authenticate(req: IncomingMessage, url: URL, need: Auth): { label: string; userId: string | null } {
    const header = req.headers.authorization;
    const unauthorized = () => new HttpError(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    if (!header) throw unauthorized();
    if (/^Bearer\s/i.test(header)) {
      const token = header.replace(/^Bearer\s+/i, '');
      if (token === this.options.bearerToken) {
        if (need === 'user') throw unsupported('OAuth 2.0 Application-Only', ['OAuth 1.0a User Context', 'OAuth 2.0 User Context']);
        return { label: 'bearer', userId: null };
      }
      const user = this.users.find((u) => u.oauth2Token === token);
      if (!user) throw unauthorized();
      if (need === 'app') throw unsupported('OAuth 2.0 User Context', ['OAuth 2.0 Application-Only']);
      return { label: 'oauth2-user', userId: user.id };
    }
    if (/^OAuth\s/i.test(header)) {
      const check = verifyOAuth1(req.method ?? 'GET', url, header, {
        consumerSecret: (key) => (key === this.options.consumerKey ? this.options.consumerSecret : undefined),
        tokenSecret: (token) => this.users.find((u) => u.accessToken === token)?.accessTokenSecret,
      });
      if (!check.ok) {
        this.options.log?.(`OAuth 1.0a rejected: ${check.problem}`);
        throw new HttpError(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized', errors: [{ message: `Could not authenticate you: ${check.problem}`, code: 32 }] });
      }
      if (need === 'app') throw unsupported('OAuth 1.0a User Context', ['OAuth 2.0 Application-Only']);
      return { label: 'oauth1-user', userId: this.users.find((u) => u.accessToken === check.token)!.id };
    }
    throw unauthorized();
  }

  #rateLimit(key: string): Record<string, string> {
    const now = Date.now();
    let w = this.#limits.get(key);
    if (!w || w.resetAt <= now) {
      w = { limit: this.options.rateLimit, used: 0, resetAt: now + WINDOW_MS };
      this.#limits.set(key, w);
    }
    const headers = (remaining: number) => ({
      'x-rate-limit-limit': String(w!.limit),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(Math.ceil(w!.resetAt / 1000)),
    });
    if (w.used >= w.limit) {
      const e = new HttpError(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
      (e as HttpError & { headers?: Record<string, string> }).headers = headers(0);
      throw e;
    }
    w.used++;
    return headers(w.limit - w.used);
  }

  // ------------------------------------------------------------ endpoints

  #buildRoutes(): Route[] {
    const r = (method: string, path: string, auth: Auth | 'none', handler: Handler): Route => {
      const pattern = new RegExp('^' + path.replace(/:[a-z_]+/g, '([^/]+)') + '$');
      return { method, pattern, key: `${method} ${path}`, auth, handler };
    };
    return [
      r('GET', '/2/webhooks', 'app', () => [200, { data: [...this.webhooks.values()].map(publicWebhook), meta: { result_count: this.webhooks.size } }]),
      r('POST', '/2/webhooks/replay', 'app', ({ body }) => this.#replay('webhook', String(body.webhook_id ?? ''), body.from_date, body.to_date)),
      r('POST', '/2/webhooks', 'app', ({ body }) => this.#createWebhook(body.url)),
      r('PUT', '/2/webhooks/:id', 'app', async ({ params }) => {
        const w = this.#webhook(params[0]!);
        const crc = await this.crc(w.url);
        w.valid = crc.ok;
        w.lastCrc = { ...crc, at: new Date().toISOString() };
        if (!crc.ok) throw invalid('CrcValidationFailed', `Response token is invalid or the webhook URL did not answer the CRC (${crc.reason})`);
        return [200, { data: { valid: true } }];
      }),
      r('DELETE', '/2/webhooks/:id', 'app', ({ params }) => {
        const w = this.#webhook(params[0]!);
        this.webhooks.delete(w.id);
        this.subscriptions.delete(w.id);
        for (const [id, s] of this.activitySubs) if (s.webhook_id === w.id) this.activitySubs.delete(id);
        return [200, { data: { deleted: true } }];
      }),
      r('POST', '/2/account_activity/webhooks/:id/subscriptions/all', 'user', ({ params, userId }) => {
        const w = this.#webhook(params[0]!);
        const subs = this.subscriptions.get(w.id) ?? new Set<string>();
        if (subs.has(userId!)) throw invalid('DuplicateSubscriptionFailed', `User ${userId} is already subscribed to webhook ${w.id}`, 409);
        const total = [...this.subscriptions.values()].reduce((n, s) => n + s.size, 0);
        if (total >= this.options.maxSubscriptions) throw invalid('SubscriptionLimitExceeded', `The app has ${total} of ${this.options.maxSubscriptions} subscriptions`, 403);
        subs.add(userId!);
        this.subscriptions.set(w.id, subs);
        return [200, { data: { subscribed: true } }];
      }),
      r('GET', '/2/account_activity/webhooks/:id/subscriptions/all', 'user', ({ params, userId }) => {
        const w = this.#webhook(params[0]!);
        return [200, { data: { subscribed: this.subscriptions.get(w.id)?.has(userId!) ?? false } }];
      }),
      r('GET', '/2/account_activity/webhooks/:id/subscriptions/all/list', 'app', ({ params }) => {
        const w = this.#webhook(params[0]!);
        const subs = [...(this.subscriptions.get(w.id) ?? [])].map((user_id) => ({ user_id }));
        return [200, { data: { application_id: '1234567', webhook_id: w.id, webhook_url: w.url, subscriptions: subs } }];
      }),
      r('DELETE', '/2/account_activity/webhooks/:id/subscriptions/:user_id/all', 'app', ({ params }) => {
        const w = this.#webhook(params[0]!);
        const subs = this.subscriptions.get(w.id);
        if (!subs?.delete(params[1]!)) throw invalid('SubscriptionNotFound', `User ${params[1]} is not subscribed to webhook ${w.id}`, 404);
        return [200, { data: { subscribed: false } }];
      }),
      r('GET', '/2/account_activity/subscriptions/count', 'app', () => {
        const all = [...this.subscriptions.values()].reduce((n, s) => n + s.size, 0);
        return [
          200,
          {
            data: {
              account_name: 'standin-account',
              provisioned_count: String(this.options.maxSubscriptions),
              subscriptions_count_all: String(all),
              subscriptions_count_direct_messages: String(all),
            },
          },
        ];
      }),
      r('POST', '/2/account_activity/replay/webhooks/:id/subscriptions/all', 'app', ({ params, url }) =>
        this.#replay('aaa', params[0]!, url.searchParams.get('from_date'), url.searchParams.get('to_date')),
      ),
      r('GET', '/2/activity/subscriptions', 'app', () => [200, { data: [...this.activitySubs.values()], meta: { result_count: this.activitySubs.size } }]),
      r('POST', '/2/activity/subscriptions', 'app', ({ body }) => {
        const eventType = typeof body.event_type === 'string' ? body.event_type : '';
        if (!/^[a-z_]+(\.[a-z_]+)*$/.test(eventType)) throw invalid('QueryParamInvalid', 'event_type is required, such as post.create');
        const filter = body.filter && typeof body.filter === 'object' ? (body.filter as Record<string, unknown>) : null;
        if (!filter || typeof filter.user_id !== 'string') throw invalid('QueryParamInvalid', 'filter.user_id is required');
        const webhookId = body.webhook_id === undefined ? [...this.webhooks.keys()][0] : String(body.webhook_id);
        if (!webhookId) throw invalid('WebhookIdInvalid', 'no webhook: create one first or pass webhook_id');
        this.#webhook(webhookId);
        for (const s of this.activitySubs.values()) {
          if (s.event_type === eventType && s.webhook_id === webhookId && JSON.stringify(s.filter) === JSON.stringify(filter)) {
            throw invalid('DuplicateSubscriptionFailed', `A subscription for ${eventType} with this filter exists (${s.subscription_id})`, 409);
          }
        }
        const now = new Date().toISOString();
        const sub: ActivitySub = { subscription_id: snowflake(), event_type: eventType, filter, webhook_id: webhookId, created_at: now, updated_at: now };
        if (typeof body.tag === 'string') sub.tag = body.tag;
        this.activitySubs.set(sub.subscription_id, sub);
        return [200, { data: { subscription: sub } }];
      }),
      r('PUT', '/2/activity/subscriptions/:id', 'app', ({ params, body }) => {
        const sub = this.activitySubs.get(params[0]!);
        if (!sub) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
        if (typeof body.tag === 'string') sub.tag = body.tag;
        if (body.webhook_id !== undefined) sub.webhook_id = this.#webhook(String(body.webhook_id)).id;
        if (body.filter && typeof body.filter === 'object') sub.filter = body.filter as Record<string, unknown>;
        sub.updated_at = new Date().toISOString();
        return [200, { data: { subscription: sub } }];
      }),
      r('DELETE', '/2/activity/subscriptions/:id', 'app', ({ params }) => {
        if (!this.activitySubs.delete(params[0]!)) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
        return [200, { data: { deleted: true } }];
      }),
      r('POST', '/2/dm_conversations/with/:participant_id/messages', 'user', async ({ params, body, userId }) => {
        const text = typeof body.text === 'string' ? body.text : '';
        if (!text) throw invalid('QueryParamInvalid', 'text is required');
        const to = params[0]!;
        const at = new Date();
        const dmEventId = snowflake(at.getTime());
        this.sentMessages.push({ from: userId!, to, text, dmEventId });
        // X echoes a DM to both sides' subscriptions: the sender sees it as sent, the recipient as received.
        for (const forUserId of new Set([userId!, to])) {
          await this.emitActivity(newActivity('dm.message', forUserId, { otherUserId: forUserId === to ? userId! : to, senderId: userId!, id: dmEventId, at, text }));
        }
        const pair = [userId!, to].sort();
        return [201, { data: { dm_conversation_id: pair.join('-'), dm_event_id: dmEventId } }];
      }),
      // Emulator controls (not X's): make an activity happen, inspect the state.
      r('POST', '/_standin/events', 'none', async ({ body }) => {
        const type = String(body.type ?? 'follow') as SampleType;
        const userId = String(body.user_id ?? this.users[0]?.id ?? '');
        if (!userId) throw invalid('QueryParamInvalid', 'user_id is required');
        const result = await this.emit(type, userId, { deliver: body.deliver !== false });
        return [200, { data: { activity: result.activity, deliveries: result.deliveries } }];
      }),
      r('GET', '/_standin/state', 'none', () => [
        200,
        {
          data: {
            webhooks: [...this.webhooks.values()],
            subscriptions: Object.fromEntries([...this.subscriptions].map(([k, v]) => [k, [...v]])),
            activity_subscriptions: [...this.activitySubs.values()],
            deliveries: this.deliveries,
            replay_jobs: this.replayJobs.map(({ done: _done, ...j }) => j),
          },
        },
      ]),
    ];
  }

  #webhook(id: string): StandInWebhook {
    const w = this.webhooks.get(id);
    if (!w) throw invalid('WebhookIdInvalid', `Webhook ${id} does not exist for this app`);
    return w;
  }

  /** X's URL rules; null when acceptable. */
  urlProblem(value: unknown): string | null {
    if (typeof value !== 'string' || value.length === 0) return 'url is required';
    if (value.length > 200) return 'url must be at most 200 characters';
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return 'url is not a valid URL';
    }
    const loopbackTest = this.options.allowLoopbackHttp && LOOPBACK.has(u.hostname);
    if (u.protocol !== 'https:' && !(loopbackTest && u.protocol === 'http:')) return 'url must use https';
    if (u.port && !loopbackTest) return 'url must not contain a port';
    if (!loopbackTest && isPrivateHost(u.hostname)) return 'url must be publicly reachable';
    if (u.username || u.password) return 'url must not contain credentials';
    return null;
  }

  async #createWebhook(url: unknown): Promise<[number, unknown]> {
    const problem = this.urlProblem(url);
    if (problem) throw invalid('UrlValidationFailed', problem);
    const href = String(url);
    if ([...this.webhooks.values()].some((w) => w.url === href)) throw invalid('DuplicateUrlFailed', `A webhook with url ${href} already exists`);
    if (this.webhooks.size >= this.options.maxWebhooks) throw invalid('WebhookLimitExceeded', `The app has ${this.webhooks.size} of ${this.options.maxWebhooks} webhooks`, 403);
    const crc = await this.crc(href);
    if (!crc.ok) throw invalid('CrcValidationFailed', `Response token is invalid or the webhook URL did not answer the CRC (${crc.reason})`);
    const w: StandInWebhook = { id: snowflake(), url: href, valid: true, created_at: new Date().toISOString(), lastCrc: { ...crc, at: new Date().toISOString() } };
    this.webhooks.set(w.id, w);
    return [200, { data: publicWebhook(w) }];
  }

  async #replay(kind: 'aaa' | 'webhook', webhookId: string, fromRaw: unknown, toRaw: unknown): Promise<[number, unknown]> {
    const w = this.#webhook(webhookId);
    const from = parseXDate(fromRaw);
    const to = parseXDate(toRaw);
    if (!from || !to) throw invalid('QueryParamInvalid', 'from_date and to_date must be yyyymmddhhmm (UTC)');
    const now = Date.now();
    const maxAge = kind === 'aaa' ? 5 * 86_400_000 : 86_400_000;
    if (from.getTime() >= to.getTime()) throw invalid('QueryParamInvalid', 'from_date must be before to_date');
    if (now - from.getTime() > maxAge) throw invalid('QueryParamInvalid', `from_date must be within the last ${kind === 'aaa' ? '5 days' : '24 hours'}`);
    if (to.getTime() > now + 60_000) throw invalid('QueryParamInvalid', 'to_date must not be in the future');
    if (this.replayJobs.some((j) => j.webhookId === w.id && j.state === 'running')) {
      throw invalid('ReplayJobInProgress', `A replay job is already running for webhook ${w.id}`, 409);
    }
    const job: ReplayJobState = { jobId: snowflake(), webhookId: w.id, kind, from, to, state: 'running', delivered: 0, done: Promise.resolve() };
    this.replayJobs.push(job);
    job.done = this.#runReplay(job, w);
    const createdAt = new Date().toISOString();
    // AAA answers bare {job_id, created_at}; the webhook replay wraps it in data.
    return [200, kind === 'aaa' ? { job_id: job.jobId, created_at: createdAt } : { data: { job_id: job.jobId, created_at: createdAt } }];
  }

  async #runReplay(job: ReplayJobState, w: StandInWebhook): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    const crc = await this.crc(w.url);
    w.valid = crc.ok;
    w.lastCrc = { ...crc, at: new Date().toISOString() };
    let failed = !crc.ok;
    if (crc.ok) {
      // AAA: from inclusive, to exclusive; the webhook replay: to inclusive (to the end of that minute).
      const end = job.kind === 'aaa' ? job.to.getTime() : job.to.getTime() + 60_000;
      const entries = this.outbox.filter(
        (e) => e.webhookId === w.id && (job.kind === 'webhook' || e.format === 'aaa') && e.at.getTime() >= job.from.getTime() && e.at.getTime() < end,
      );
      for (const e of entries) {
        const d = await this.#deliver(w, e, true);
        if (d.status === 200) job.delivered++;
        else failed = true;
      }
    }
    job.state = failed ? 'Incomplete' : 'Complete';
    const status = newActivity('replay.status', '', { id: job.jobId, webhookId: w.id, jobState: job.state });
    if (w.valid) await this.#deliver(w, { webhookId: w.id, at: new Date(), format: 'aaa', body: aaaBody(status), activity: status }, true);
  }

  async #deliver(w: StandInWebhook, e: OutboxEntry, replay: boolean): Promise<DeliveryRecord> {
    const record: DeliveryRecord = {
      webhookId: w.id,
      url: w.url,
      format: e.format,
      replay,
      status: null,
      activityType: e.activity.type,
      activityId: e.activity.id,
      forUserId: e.activity.forUserId,
    };
    try {
      const res = await fetch(w.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-twitter-webhooks-signature': `sha256=${createHmac('sha256', this.options.consumerSecret).update(e.body).digest('base64')}`,
          'user-agent': 'X-standin-delivery',
        },
        body: e.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      record.status = res.status;
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      record.error = err.cause?.code ?? err.message;
    }
    this.deliveries.push(record);
    this.options.log?.(`deliver ${e.format}${replay ? ' (replay)' : ''} ${e.activity.type} for ${e.activity.forUserId} -> ${record.status ?? record.error}`);
    return record;
  }
}

function unsupported(used: string, supported: string[]): HttpError {
  return new HttpError(403, {
    title: 'Unsupported Authentication',
    detail: `Authenticating with ${used} is forbidden for this endpoint.  Supported authentication types are [${supported.join(', ')}].`,
    type: 'https://api.twitter.com/2/problems/unsupported-authentication',
    status: 403,
  });
}

function publicWebhook(w: StandInWebhook) {
  return { id: w.id, url: w.url, valid: w.valid, created_at: w.created_at };
}

function parseXDate(v: unknown): Date | null {
  const m = typeof v === 'string' ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v) : null;
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
  return Number.isNaN(d.getTime()) ? null : d;
}

function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80')) return true;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) {
        reject(new HttpError(413, { title: 'Payload Too Large', detail: 'Payload Too Large', type: 'about:blank', status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
