import { aaaBody, newActivity, SAMPLE_FORMATS, snowflake, xaaBody, xaaEventTypeOf, type Activity, type SampleType } from '../samples.js';
import { runCrc, type CrcResult } from './crc.js';
import { deliver, DELIVERY_TIMEOUT_MS } from './deliveries.js';
import { invalid } from './errors.js';
import { deliverMatch, emitPost } from './filtered-stream.js';
import { accountActivityRoutes } from './routes/account-activity.js';
import { activityRoutes } from './routes/activity.js';
import { controlRoutes } from './routes/controls.js';
import { directMessageRoutes } from './routes/direct-messages.js';
import { filteredStreamRoutes } from './routes/filtered-stream.js';
import { replayRoutes } from './routes/replay.js';
import { activityStreamRoutes } from './routes/activity-stream.js';
import { webhookRoutes } from './routes/webhooks.js';
import { ApiServer } from './server.js';
import { ActivityStreamHub, STREAM_KEEP_ALIVE_MS } from './activity-stream.js';
import type { ActivitySub, DeliveryRecord, OutboxEntry, ReplayJobState, StandInOptions, StandInUser, StandInWebhook, StreamLinkState, StreamRuleState } from './types.js';
import { urlProblem } from './urls.js';
import { applyCrc, crcDue } from './validation.js';

/**
 * A stand-in for the X API v2 management endpoints and X's webhook deliveries, for tests and
 * local development (`xaa emulate`). It behaves as X documents it:
 * - checks the app bearer token, verifies OAuth 1.0a signatures (its own RFC 5849 verifier) and
 *   OAuth 2.0 user tokens, per endpoint as X requires (auth.ts);
 * - runs a real CRC GET (no redirects, 10 s) on create, on PUT, and every 30 minutes while the
 *   webhook has not validated in 24 hours (runDueCrcs, on the injectable clock), and marks the
 *   webhook invalid as X does: at once for a wrong token, a 3xx or a TLS error, after 28 hours
 *   for transient failures (crc.ts, validation.ts); enforces the URL rules (urls.ts: https, no
 *   port, public host, <= 200 characters, no duplicates) and the webhook and subscription limits;
 * - XAA activity subscriptions as X's spec has them: the documented event types only, their
 *   filters, public types with the app bearer token, private ones with the subscribed user's
 *   OAuth 2.0 token holding the scope (routes/activity.ts);
 * - delivers signed AAA or XAA events to valid webhooks for subscribed users (deliveries.ts),
 *   keeps what it delivered (or would have: see emit's `deliver: false`) and replays it for a
 *   window, then reports the end with the replay_job_status delivery X documents (replay.ts);
 * - filtered-stream webhooks: links of webhooks to the app's filtered stream, its rules, and a
 *   delivery of each matching post to every linked webhook (filtered-stream.ts);
 * - answers with X-shaped errors ({errors: [{message: "Reason: details"}], title, detail, type})
 *   and x-rate-limit-* headers, 429 when a route's window is used up (server.ts).
 * The endpoints are in routes/, one file per API family.
 *
 * Test mode: `allowLoopbackHttp: true` also accepts http:// and ported URLs on 127.0.0.1,
 * localhost and [::1], because a receiver on loopback cannot meet X's https-without-port rule.
 * Strict mode (the default) rejects them as X does.
 */
export class XStandIn {
  readonly options: Required<Omit<StandInOptions, 'users' | 'log' | 'host' | 'port' | 'clock'>> & Pick<StandInOptions, 'log'>;
  /** The stand-in's time (StandInOptions.clock). */
  readonly now: () => Date;
  readonly users: StandInUser[];
  readonly webhooks = new Map<string, StandInWebhook>();
  /** webhook id -> subscribed user ids (AAA). */
  readonly subscriptions = new Map<string, Set<string>>();
  readonly activitySubs = new Map<string, ActivitySub>();
  /** Webhooks linked to the app's filtered stream, by webhook id. */
  readonly streamLinks = new Map<string, StreamLinkState>();
  /** The app's filtered-stream rules, by rule id. */
  readonly streamRules = new Map<string, StreamRuleState>();
  readonly outbox: OutboxEntry[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly replayJobs: ReplayJobState[] = [];
  readonly sentMessages: Array<{ from: string; to: string; text: string; dmEventId: string }> = [];
  /** The XAA persistent stream (GET /2/activity/stream): connections, the backfill buffer, the drop control. */
  readonly stream: ActivityStreamHub;
  /** Every stream connection asked for: its backfill_minutes, at the stand-in's time. */
  readonly streamRequests: Array<{ backfillMinutes: number; at: Date }> = [];
  readonly #server: ApiServer;
  #url = '';
  readonly #host: string;
  readonly #port: number;
  #schedule: NodeJS.Timeout | undefined;

  constructor(options: StandInOptions) {
    this.options = {
      allowLoopbackHttp: false,
      maxWebhooks: 1,
      maxSubscriptions: 3,
      maxActivitySubscriptions: 1_500,
      crcTimeoutMs: 10_000,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      rateLimit: 500,
      streamKeepAliveMs: STREAM_KEEP_ALIVE_MS,
      ...options,
    };
    this.now = options.clock ?? (() => new Date());
    this.stream = new ActivityStreamHub(this.now, this.options.streamKeepAliveMs);
    this.users = options.users ?? [];
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#server = new ApiServer(
      [...webhookRoutes(this), ...replayRoutes(this), ...accountActivityRoutes(this), ...activityRoutes(this), ...directMessageRoutes(this), ...filteredStreamRoutes(this), ...activityStreamRoutes(this), ...controlRoutes(this)],
      { consumerKey: this.options.consumerKey, consumerSecret: this.options.consumerSecret, bearerToken: this.options.bearerToken, users: this.users, log: this.options.log },
      this.options.rateLimit,
    );
  }

  /** The API base URL (X_API_BASE_URL for the client). */
  get url(): string {
    return this.#url;
  }

  /** Every API request: "METHOD /path" and its status. */
  get requests(): Array<{ route: string; status: number; auth: string }> {
    return this.#server.requests;
  }

  async start(): Promise<string> {
    this.#url = await this.#server.listen(this.#host, this.#port);
    return this.#url;
  }

  async stop(): Promise<void> {
    this.stopCrcSchedule();
    this.stream.closeAll();
    await Promise.allSettled(this.replayJobs.map((j) => j.done));
    await this.#server.close();
  }

  // ------------------------------------------------------------ controls for tests

  /**
   * The next `times` calls of a route ("GET /2/webhooks", "PUT /2/webhooks/:id", ...) answer
   * `status` (after `delayMs`, to test timeouts). With `late`, they are carried out as usual and
   * only their answers wait `delayMs`: what a client that timed out cannot tell from a call that
   * never arrived.
   */
  failNext(route: string, fault: { status?: number; times?: number; delayMs?: number; body?: unknown; late?: boolean }): void {
    this.#server.failNext(route, fault);
  }

  /** Sets a route's rate-limit window: `remaining` calls left until `resetInSeconds` from now. */
  setRateLimit(route: string, w: { limit?: number; remaining: number; resetInSeconds: number }): void {
    this.#server.setRateLimit(route, w);
  }

  /**
   * An activity happens at X: it is kept for each webhook that should get it (valid webhook, the
   * user subscribed by AAA, or an XAA subscription matching event type and user) and delivered
   * now, unless `deliver` is false (a delivery X attempted and lost: only a replay brings it).
   */
  async emit(
    type: SampleType,
    forUserId: string,
    o: { otherUserId?: string; at?: Date; text?: string; id?: string; senderId?: string; variant?: string; deliver?: boolean } = {},
  ): Promise<{ activity: Activity; deliveries: DeliveryRecord[] }> {
    const activity = newActivity(type, forUserId, o);
    return { activity, deliveries: await this.emitActivity(activity, o.deliver ?? true) };
  }

  async emitActivity(activity: Activity, deliver = true): Promise<DeliveryRecord[]> {
    // A filtered-stream post goes to the linked webhooks with the rules it names.
    if (activity.type === 'post.match') return deliverMatch(this, activity, activity.rules ?? [], deliver);
    const entries: OutboxEntry[] = [];
    const formats = SAMPLE_FORMATS[activity.type];
    const eventType = xaaEventTypeOf(activity);
    // The persistent stream gets every XAA subscription's events, with or without a webhook
    // (kept for backfill even when `deliver` is false: a reconnection's backfill brings them).
    if (formats.includes('xaa')) {
      for (const s of this.activitySubs.values()) {
        if (s.event_type === eventType && matches(s.filter, activity)) {
          this.stream.publish(xaaBody(activity, { tag: s.tag ?? null, filter: s.filter }), deliver);
        }
      }
    }
    for (const w of this.webhooks.values()) {
      if (formats.includes('aaa') && this.subscriptions.get(w.id)?.has(activity.forUserId)) {
        entries.push({ webhookId: w.id, at: activity.at, format: 'aaa', body: aaaBody(activity), activity });
      }
      if (!formats.includes('xaa')) continue;
      for (const s of this.activitySubs.values()) {
        // Subscriptions only exist for documented event types (routes/activity.ts), so nothing
        // X does not document (such as a replay status) is ever delivered in the XAA envelope.
        if (s.webhook_id === w.id && s.event_type === eventType && matches(s.filter, activity)) {
          entries.push({ webhookId: w.id, at: activity.at, format: 'xaa', body: xaaBody(activity, { tag: s.tag ?? null, filter: s.filter }), activity });
        }
      }
    }
    return this.queue(entries, deliver);
  }

  /** Keeps `entries` for replay and, when `deliver`, delivers each now to its webhook if valid. */
  async queue(entries: OutboxEntry[], deliver: boolean): Promise<DeliveryRecord[]> {
    this.outbox.push(...entries);
    if (!deliver) return [];
    const out: DeliveryRecord[] = [];
    for (const e of entries) {
      const w = this.webhooks.get(e.webhookId);
      if (w?.valid) out.push(await this.deliverNow(w, e, false));
    }
    return out;
  }

  /**
   * A public post is made at X: matched against the app's filtered-stream rules and, if it
   * matches any, delivered once to each linked webhook naming every rule it matched.
   */
  emitPost(o: { text: string; authorId?: string; at?: Date; id?: string; deliver?: boolean }): ReturnType<typeof emitPost> {
    return emitPost(this, o);
  }

  /** Delivers a post with exactly these matching rules to every linked webhook (tests: redeliveries, other rules). */
  deliverMatch(activity: Activity, rules = activity.rules ?? [], deliver = true): Promise<DeliveryRecord[]> {
    return deliverMatch(this, activity, rules, deliver);
  }

  /** Runs a CRC against a webhook now and applies its outcome as X does (validation.ts). */
  async recheck(webhookId: string): Promise<StandInWebhook | undefined> {
    const w = this.webhooks.get(webhookId);
    if (!w) return undefined;
    const crc = await this.crc(w.url);
    applyCrc(w, crc, this.now());
    return w;
  }

  /**
   * X's periodic CRC: checks every valid webhook that has not validated in the past 24 hours and
   * was not checked in the last 30 minutes, by the stand-in's clock. Tests move the clock and
   * call this; `startCrcSchedule` calls it on a timer. Returns the webhooks it checked.
   */
  async runDueCrcs(): Promise<StandInWebhook[]> {
    const due = [...this.webhooks.values()].filter((w) => crcDue(w, this.now()));
    for (const w of due) await this.recheck(w.id);
    return due;
  }

  /** Runs runDueCrcs every `everyMs` (xaa emulate); stop() ends it. */
  startCrcSchedule(everyMs = 60_000): void {
    this.stopCrcSchedule();
    this.#schedule = setInterval(() => void this.runDueCrcs(), everyMs);
    this.#schedule.unref();
  }

  stopCrcSchedule(): void {
    if (this.#schedule) clearInterval(this.#schedule);
    this.#schedule = undefined;
  }

  /** X's CRC: GET url?crc_token=..., no redirects, response_token must match. */
  crc(url: string): Promise<CrcResult> {
    return runCrc(url, this.options.consumerSecret, this.options.crcTimeoutMs, this.options.log);
  }

  /** X's URL rules; null when acceptable. */
  urlProblem(value: unknown): string | null {
    return urlProblem(value, this.options.allowLoopbackHttp);
  }

  // ------------------------------------------------------------ used by the routes

  /** The webhook with this id, or X's WebhookIdInvalid. */
  webhook(id: string): StandInWebhook {
    const w = this.webhooks.get(id);
    if (!w) throw invalid('WebhookIdInvalid', `Webhook ${id} does not exist for this app`);
    return w;
  }

  /** POST /2/webhooks: the URL rules, the limit, then a CRC that must pass. */
  async createWebhook(url: unknown): Promise<StandInWebhook> {
    const problem = this.urlProblem(url);
    if (problem) throw invalid('UrlValidationFailed', problem);
    const href = String(url);
    if ([...this.webhooks.values()].some((w) => w.url === href)) throw invalid('DuplicateUrlFailed', `A webhook with url ${href} already exists`);
    if (this.webhooks.size >= this.options.maxWebhooks) throw invalid('WebhookLimitExceeded', `The app has ${this.webhooks.size} of ${this.options.maxWebhooks} webhooks`, 403);
    const crc = await this.crc(href);
    if (!crc.ok) throw invalid('CrcValidationFailed', `Response token is invalid or the webhook URL did not answer the CRC (${crc.reason})`);
    const now = this.now();
    const w: StandInWebhook = { id: snowflake(now.getTime()), url: href, valid: true, created_at: now.toISOString() };
    applyCrc(w, crc, now);
    this.webhooks.set(w.id, w);
    return w;
  }

  /** One delivery now, recorded in `deliveries`. */
  async deliverNow(w: StandInWebhook, e: OutboxEntry, replay: boolean): Promise<DeliveryRecord> {
    const record = await deliver(w, e, replay, { consumerSecret: this.options.consumerSecret, timeoutMs: this.options.deliveryTimeoutMs, log: this.options.log });
    this.deliveries.push(record);
    return record;
  }
}

/** Whether a subscription's filter matches an activity: the subscribed user (keyword subscriptions: any news). */
function matches(filter: Record<string, unknown>, a: Activity): boolean {
  if (filter.user_id !== undefined) return String(filter.user_id) === a.forUserId;
  return filter.keyword !== undefined;
}
