import { checkFilter, checkTag, parseEventType, subscriptionCredential, canonicalEventType } from './activity-rules.js';
import { oauth2TokenFor, userContextUserId, type XCredentials } from './credentials.js';
import { toXDate } from './dates.js';
import { MissingCredentialError, XApiError } from './errors.js';
import {
  checkRule,
  checkWebhookId,
  linkQuery,
  parseStreamLinks,
  parseStreamRules,
  answerProblems,
  X_ID,
  type StreamLink,
  type StreamLinkFields,
  type StreamRule,
  type StreamRuleInput,
  type StreamRulesChange,
} from './filtered-stream.js';
import { XTransport, type TransportOptions, type XRequest } from './transport.js';

/** A webhook registered at X. */
export interface XWebhook {
  id: string;
  url: string;
  valid: boolean;
  created_at?: string;
}

export interface SubscriptionCount {
  account_name?: string;
  provisioned_count?: string | number;
  subscriptions_count_all?: string | number;
  subscriptions_count_direct_messages?: string | number;
}

export interface ReplayJobAnswer {
  jobId: string | null;
  createdAt: string | null;
  /** The answer as X sent it (its shapes vary: {job_id}, {data: {job_id}}, {replay_event: ...}). */
  raw: unknown;
}

/** An XAA activity subscription. */
export interface ActivitySubscription {
  id: string;
  event_type: string;
  filter: Record<string, unknown>;
  tag?: string;
  webhook_id?: string;
  created_at?: string;
  updated_at?: string;
}

export interface ActivitySubscriptionInput {
  event_type: string;
  filter: Record<string, unknown>;
  tag?: string;
  webhook_id?: string;
}

export interface SentDirectMessage {
  dm_conversation_id?: string;
  dm_event_id?: string;
}

export interface XClientOptions extends TransportOptions {
  /**
   * Credentials to act as a given user (sendDirectMessage's fromUserId). Without it, user calls
   * use the configured user context, and a DM from another user is refused.
   */
  userCredentials?: (userId: string) => XCredentials | undefined;
}

type Obj = Record<string, unknown>;
const id = (s: string) => encodeURIComponent(s);

/**
 * Per attempt, at least, for the calls during which X runs a CRC against the webhook (create,
 * validate): X gives the webhook up to 10 s to answer before answering the call itself.
 */
const CRC_CALL_TIMEOUT_MS = 15_000;

function data(json: unknown): Obj {
  const o = (json ?? {}) as Obj;
  return (o.data && typeof o.data === 'object' ? o.data : o) as Obj;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
}

/** Reads a replay answer in any of the shapes X has used. */
export function parseReplayAnswer(json: unknown): ReplayJobAnswer {
  const o = (json ?? {}) as Obj;
  const candidates = [o, o.data, o.replay_event, (o.data as Obj | undefined)?.replay_event].filter(
    (c): c is Obj => Boolean(c) && typeof c === 'object',
  );
  for (const c of candidates) {
    const jobId = str(c.job_id) ?? str(c.id);
    if (jobId) return { jobId, createdAt: str(c.created_at), raw: json };
  }
  return { jobId: null, createdAt: null, raw: json };
}

/**
 * An activity subscription from X's answer. X's docs show three shapes for a created one: the
 * spec's `data.subscription`, and in its quickstart `data` itself and `data` as a one-element array.
 */
function activity(answer: Obj | Obj[]): ActivitySubscription {
  const o = (Array.isArray(answer) ? (answer[0] ?? {}) : answer) as Obj;
  const s = (o.subscription && typeof o.subscription === 'object' ? o.subscription : o) as Obj;
  const out: ActivitySubscription = {
    id: str(s.subscription_id) ?? str(s.id) ?? '',
    event_type: String(s.event_type ?? ''),
    filter: (s.filter && typeof s.filter === 'object' ? s.filter : {}) as Record<string, unknown>,
  };
  for (const k of ['tag', 'webhook_id', 'created_at', 'updated_at'] as const) {
    const v = str(s[k]);
    if (v !== null) out[k] = v;
  }
  return out;
}

/**
 * The X API v2 calls this project needs: webhooks, AAA subscriptions and replay, XAA activity
 * subscriptions and replay, and sending DMs (for handlers, as ctx.x). Each call uses the
 * credential X requires for it (see credentials.ts); see transport.ts for retries and limits.
 */
export class XClient {
  readonly transport: XTransport;
  readonly #options: XClientOptions;
  readonly #userCredentials: XClientOptions['userCredentials'];
  readonly #signal: AbortSignal | undefined;

  constructor(options: XClientOptions, signal?: AbortSignal) {
    this.transport = new XTransport(options);
    this.#options = options;
    this.#userCredentials = options.userCredentials;
    this.#signal = signal;
  }

  /**
   * The same client whose every call ends when `signal` aborts (or a signal it was bound to
   * before): a wait for a rate limit or a backoff ends, rejecting with the signal's reason, and
   * nothing more is sent; a POST stopped while it was out throws an XUnreachableError with
   * `outcomeUnknown: true` (X may have carried it out). Handlers get theirs as ctx.x, bound to
   * ctx.signal.
   */
  withSignal(signal: AbortSignal): XClient {
    return new XClient(this.#options, this.#signal ? AbortSignal.any([this.#signal, signal]) : signal);
  }

  get credentials(): XCredentials {
    return this.transport.o.credentials;
  }

  async #call<T = unknown>(req: XRequest): Promise<T> {
    const signal = this.#signal && req.signal ? AbortSignal.any([this.#signal, req.signal]) : (this.#signal ?? req.signal);
    return (await this.transport.request<T>(signal === req.signal ? req : { ...req, signal })).json;
  }

  // --- webhooks (app bearer token) ---

  async listWebhooks(): Promise<XWebhook[]> {
    const json = await this.#call<{ data?: Obj[] }>({
      method: 'GET',
      path: '/2/webhooks',
      query: { 'webhook_config.fields': 'created_at,id,url,valid' },
      auth: 'app',
      operation: 'list webhooks (GET /2/webhooks)',
    });
    return (Array.isArray(json?.data) ? json.data : []).map((w) => webhook(w));
  }

  async createWebhook(url: string): Promise<XWebhook> {
    const json = await this.#call({
      method: 'POST',
      path: '/2/webhooks',
      body: { url },
      auth: 'app',
      operation: 'create webhook (POST /2/webhooks)',
      minTimeoutMs: CRC_CALL_TIMEOUT_MS,
    });
    return webhook(data(json), url);
  }

  /**
   * PUT /2/webhooks/:id: makes X run a CRC now; re-enables an invalid webhook when it passes.
   * X's spec answers {data: {valid: boolean}} (required), with `errors` beside it when there is
   * something to say. The spec describes `valid` as "whether the CRC validation check was
   * triggered", while `valid` everywhere else in the webhooks API means the webhook passed: so the
   * outcome is read back from GET /2/webhooks, and `valid` here is the webhook's state there
   * (the answer's own `valid` when the webhook is not listed). `problems`: X's words for a CRC
   * that did not pass.
   */
  async validateWebhook(webhookId: string): Promise<{ valid: boolean; triggered: boolean; problems: string[] }> {
    const operation = `validate webhook ${webhookId} (PUT /2/webhooks/:id)`;
    const json = await this.#call<Obj | null>({ method: 'PUT', path: `/2/webhooks/${id(webhookId)}`, auth: 'app', operation, minTimeoutMs: CRC_CALL_TIMEOUT_MS });
    const d = (json?.data ?? null) as Obj | null;
    const triggered = d && (d.valid === true || d.valid === 'true') ? true : d && (d.valid === false || d.valid === 'false') ? false : null;
    if (triggered === null) {
      throw new XApiError(operation, 200, { problems: [{ message: `X's answer has no boolean data.valid: ${JSON.stringify(json).slice(0, 200)}` }] });
    }
    const problems = (Array.isArray(json?.errors) ? (json.errors as Obj[]) : [])
      .map((e) => str(e.message) ?? ([str(e.title), str(e.detail)].filter(Boolean).join(': ') || null))
      .filter((m): m is string => Boolean(m));
    const listed = (await this.listWebhooks()).find((w) => w.id === webhookId);
    return { valid: listed ? listed.valid : triggered, triggered, problems };
  }

  async deleteWebhook(webhookId: string): Promise<{ deleted: boolean }> {
    const json = await this.#call({
      method: 'DELETE',
      path: `/2/webhooks/${id(webhookId)}`,
      auth: 'app',
      operation: `delete webhook ${webhookId} (DELETE /2/webhooks/:id)`,
    });
    const d = data(json);
    return { deleted: d.deleted === undefined ? true : d.deleted === true };
  }

  // --- AAA subscriptions ---

  /** Subscribes the user of the user context (user context: OAuth 1.0a or OAuth 2.0 user token). */
  async subscribeUser(webhookId: string, credentials?: XCredentials): Promise<{ subscribed: boolean; userId: string | null }> {
    const json = await this.#call({
      method: 'POST',
      path: `/2/account_activity/webhooks/${id(webhookId)}/subscriptions/all`,
      body: {},
      auth: 'user',
      credentials,
      operation: 'subscribe user (POST /2/account_activity/webhooks/:id/subscriptions/all)',
    });
    const c = credentials ?? this.credentials;
    return { subscribed: data(json).subscribed !== false, userId: userContextUserId(c) ?? null };
  }

  /** Whether the user of the user context is subscribed. */
  async checkSubscription(webhookId: string, credentials?: XCredentials): Promise<{ subscribed: boolean }> {
    const json = await this.#call({
      method: 'GET',
      path: `/2/account_activity/webhooks/${id(webhookId)}/subscriptions/all`,
      auth: 'user',
      credentials,
      operation: 'check subscription (GET /2/account_activity/webhooks/:id/subscriptions/all)',
    });
    return { subscribed: data(json).subscribed === true };
  }

  async listSubscriptions(webhookId: string): Promise<{ userIds: string[]; webhookUrl: string | null; applicationId: string | null }> {
    const json = await this.#call({
      method: 'GET',
      path: `/2/account_activity/webhooks/${id(webhookId)}/subscriptions/all/list`,
      auth: 'app',
      operation: 'list subscriptions (GET /2/account_activity/webhooks/:id/subscriptions/all/list)',
    });
    const d = data(json);
    const subs = Array.isArray(d.subscriptions) ? (d.subscriptions as Obj[]) : [];
    return {
      userIds: subs.map((s) => str(s.user_id)).filter((s): s is string => Boolean(s)),
      webhookUrl: str(d.webhook_url),
      applicationId: str(d.application_id),
    };
  }

  async unsubscribeUser(webhookId: string, userId: string): Promise<{ subscribed: boolean }> {
    const json = await this.#call({
      method: 'DELETE',
      path: `/2/account_activity/webhooks/${id(webhookId)}/subscriptions/${id(userId)}/all`,
      auth: 'app',
      operation: 'unsubscribe user (DELETE /2/account_activity/webhooks/:id/subscriptions/:user_id/all)',
    });
    return { subscribed: data(json).subscribed === true };
  }

  async countSubscriptions(): Promise<SubscriptionCount> {
    const json = await this.#call({
      method: 'GET',
      path: '/2/account_activity/subscriptions/count',
      auth: 'app',
      operation: 'count subscriptions (GET /2/account_activity/subscriptions/count)',
    });
    return data(json) as SubscriptionCount;
  }

  // --- replay ---

  /**
   * AAA replay: from inclusive, to exclusive. Deprecated by X (2026-03-25, in favour of
   * POST /2/webhooks/replay) and no longer in X's API spec; kept while X still answers it.
   */
  async replayAaa(webhookId: string, from: Date, to: Date): Promise<ReplayJobAnswer> {
    const json = await this.#call({
      method: 'POST',
      path: `/2/account_activity/replay/webhooks/${id(webhookId)}/subscriptions/all`,
      query: { from_date: toXDate(from), to_date: toXDate(to) },
      auth: 'app',
      operation: 'AAA replay (POST /2/account_activity/replay/webhooks/:id/subscriptions/all)',
    });
    return parseReplayAnswer(json);
  }

  /** Webhook replay (POST /2/webhooks/replay, the current API): the last 24 hours, from_date and to_date both inclusive. */
  async replayWebhook(webhookId: string, from: Date, to: Date): Promise<ReplayJobAnswer> {
    const json = await this.#call({
      method: 'POST',
      path: '/2/webhooks/replay',
      body: { webhook_id: webhookId, from_date: toXDate(from), to_date: toXDate(to) },
      auth: 'app',
      operation: 'webhook replay (POST /2/webhooks/replay)',
    });
    return parseReplayAnswer(json);
  }

  // --- XAA activity subscriptions ---

  /** Every activity subscription of the app (GET /2/activity/subscriptions, all pages). */
  async listActivitySubscriptions(): Promise<ActivitySubscription[]> {
    const out: ActivitySubscription[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const json = await this.#call<{ data?: unknown; meta?: Obj }>({
        method: 'GET',
        path: '/2/activity/subscriptions',
        query: { max_results: '1000', pagination_token: token },
        auth: 'app',
        operation: 'list activity subscriptions (GET /2/activity/subscriptions)',
      });
      out.push(...(Array.isArray(json?.data) ? (json.data as Obj[]) : []).map(activity));
      token = str(json?.meta?.next_token) ?? undefined;
      if (!token) break;
    }
    return out;
  }

  /**
   * POST /2/activity/subscriptions, checked first against what X documents (activity-rules.ts):
   * the event type (an error names the close matches), the filters it takes, the tag. Private
   * event types are subscribed with the OAuth 2.0 user token of the filtered user
   * (X_OAUTH2_USER_TOKEN_<user id>, else X_OAUTH2_USER_TOKEN); the others with the app bearer
   * token, or with that user's own token when X_OAUTH2_USER_TOKEN_<user id> is set.
   */
  async createActivitySubscription(input: ActivitySubscriptionInput): Promise<ActivitySubscription> {
    const eventType = parseEventType(input.event_type);
    const f = input.filter ?? {};
    const unknownKeys = Object.keys(f).filter((k) => !['user_id', 'keyword', 'direction'].includes(k));
    if (unknownKeys.length) throw new Error(`invalid subscription to ${eventType}: X knows no filter ${unknownKeys.join(', ')} (filters: user_id, keyword, direction)`);
    const filter = checkFilter(eventType, { user_id: str(f.user_id) ?? undefined, keyword: str(f.keyword) ?? undefined, direction: str(f.direction) ?? undefined });
    const body: Obj = { event_type: eventType, filter };
    if (input.tag !== undefined) body.tag = checkTag(input.tag);
    if (input.webhook_id !== undefined) body.webhook_id = input.webhook_id;
    const operation = `create activity subscription to ${eventType} (POST /2/activity/subscriptions)`;
    const need = subscriptionCredential(eventType);
    const own = oauth2TokenFor(filter.user_id, this.credentials, need.kind === 'user');
    if (need.kind === 'user' && !own) {
      const who = filter.user_id ? `user ${filter.user_id}` : 'the user';
      throw new MissingCredentialError(operation, filter.user_id ? [`X_OAUTH2_USER_TOKEN_${filter.user_id}`, 'X_OAUTH2_USER_TOKEN'] : ['X_OAUTH2_USER_TOKEN'], `the OAuth 2.0 user token of ${who} (${eventType} is a private event: the user must have authorized the app, with scope ${need.scope}): set ${filter.user_id ? `X_OAUTH2_USER_TOKEN_${filter.user_id} (or X_OAUTH2_USER_TOKEN)` : 'X_OAUTH2_USER_TOKEN'}`);
    }
    const json = await this.#call({
      method: 'POST',
      path: '/2/activity/subscriptions',
      body,
      ...(own ? { auth: 'user' as const, credentials: { oauth2UserToken: own.token } } : { auth: 'app' as const }),
      operation: own ? `${operation} with ${own.variable}` : operation,
    });
    const s = activity(data(json));
    // Made at X, perhaps, but not to be tracked or deleted without its id.
    if (!s.id) throw new XApiError(operation, 200, { problems: [{ message: 'X answered without a subscription_id: see `xaa activity list` for what was created' }] });
    if (!s.event_type) s.event_type = canonicalEventType(eventType);
    return s;
  }

  /** PUT /2/activity/subscriptions/:id: X changes the tag and the webhook only (never the event type or filter). */
  async updateActivitySubscription(subscriptionId: string, change: { tag?: string; webhook_id?: string }): Promise<ActivitySubscription> {
    const body: Obj = {};
    if (change.tag !== undefined) body.tag = checkTag(change.tag);
    if (change.webhook_id !== undefined) body.webhook_id = change.webhook_id;
    const json = await this.#call({
      method: 'PUT',
      path: `/2/activity/subscriptions/${id(subscriptionId)}`,
      body,
      auth: 'app',
      operation: 'update activity subscription (PUT /2/activity/subscriptions/:id)',
    });
    return activity(data(json));
  }

  async deleteActivitySubscription(subscriptionId: string): Promise<{ deleted: boolean }> {
    const json = await this.#call({
      method: 'DELETE',
      path: `/2/activity/subscriptions/${id(subscriptionId)}`,
      auth: 'app',
      operation: 'delete activity subscription (DELETE /2/activity/subscriptions/:id)',
    });
    const d = data(json);
    return { deleted: d.deleted === undefined ? true : d.deleted === true };
  }

  /**
   * DELETE /2/activity/subscriptions?ids=...: many at once (100 per call, X's maximum). X deletes
   * what it can and reports the others per id.
   */
  async deleteActivitySubscriptions(ids: string[]): Promise<{ deleted: string[]; failed: Array<{ id: string; reason: string | null; message: string | null }>; remaining: number | null }> {
    const out = { deleted: [] as string[], failed: [] as Array<{ id: string; reason: string | null; message: string | null }>, remaining: null as number | null };
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const json = await this.#call<{ data?: unknown; errors?: unknown; meta?: Obj }>({
        method: 'DELETE',
        path: '/2/activity/subscriptions',
        query: { ids: chunk.join(',') },
        auth: 'app',
        operation: 'delete activity subscriptions (DELETE /2/activity/subscriptions?ids=...)',
      });
      const answered = new Set<string>();
      for (const d of Array.isArray(json?.data) ? (json.data as Obj[]) : []) {
        const sid = str(d.subscription_id);
        if (!sid) continue;
        answered.add(sid);
        if (d.deleted === true) out.deleted.push(sid);
        else out.failed.push({ id: sid, reason: null, message: 'X did not delete it' });
      }
      for (const e of Array.isArray(json?.errors) ? (json.errors as Obj[]) : []) {
        const sid = str(e.subscription_id);
        if (!sid || answered.has(sid)) continue;
        answered.add(sid);
        out.failed.push({ id: sid, reason: str(e.reason), message: str(e.message) ?? str(e.detail) });
      }
      for (const sid of chunk) if (!answered.has(sid)) out.failed.push({ id: sid, reason: null, message: 'not in X\'s answer' });
      const remaining = json?.meta?.total_subscriptions;
      if (typeof remaining === 'number') out.remaining = remaining;
    }
    return out;
  }

  // --- filtered-stream webhooks (app bearer token; Enterprise at X) ---

  /**
   * POST /2/tweets/search/webhooks/:webhook_id: Posts matching the app's filtered-stream rules
   * are delivered to that webhook. `fields`: the query parameters of the filtered stream
   * (expansions, tweet.fields, user.fields, ...) the deliveries should carry (X's quickstart).
   */
  async linkStream(webhookId: string, fields: StreamLinkFields = {}): Promise<{ provisioned: boolean; problems: string[] }> {
    const json = await this.#call({
      method: 'POST',
      path: `/2/tweets/search/webhooks/${id(checkWebhookId(webhookId))}`,
      query: linkQuery(fields),
      auth: 'app',
      operation: `link the filtered stream to webhook ${webhookId} (POST /2/tweets/search/webhooks/:webhook_id)`,
    });
    return { provisioned: data(json).provisioned === true, problems: answerProblems(json) };
  }

  /** DELETE /2/tweets/search/webhooks/:webhook_id: the webhook gets no more filtered-stream Posts. */
  async unlinkStream(webhookId: string): Promise<{ deleted: boolean; problems: string[] }> {
    const json = await this.#call({
      method: 'DELETE',
      path: `/2/tweets/search/webhooks/${id(checkWebhookId(webhookId))}`,
      auth: 'app',
      operation: `unlink the filtered stream from webhook ${webhookId} (DELETE /2/tweets/search/webhooks/:webhook_id)`,
    });
    return { deleted: data(json).deleted === true, problems: answerProblems(json) };
  }

  /** GET /2/tweets/search/webhooks: the webhooks linked to the app's filtered stream. */
  async listStreamLinks(): Promise<StreamLink[]> {
    const json = await this.#call({ method: 'GET', path: '/2/tweets/search/webhooks', auth: 'app', operation: 'list stream links (GET /2/tweets/search/webhooks)' });
    return parseStreamLinks(json);
  }

  /** GET /2/tweets/search/stream/rules, every page (or the rules with these ids). */
  async listStreamRules(ids: string[] = []): Promise<StreamRule[]> {
    const bad = ids.filter((r) => !X_ID.test(r));
    if (bad.length) throw new Error(`not a rule id: ${bad.join(', ')} (rule ids are numbers of up to 19 digits)`);
    const out: StreamRule[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const json = await this.#call<{ data?: unknown; meta?: Obj }>({
        method: 'GET',
        path: '/2/tweets/search/stream/rules',
        query: ids.length ? { ids: ids.join(',') } : { max_results: '1000', pagination_token: token },
        auth: 'app',
        operation: 'list filtered-stream rules (GET /2/tweets/search/stream/rules)',
      });
      out.push(...parseStreamRules(json?.data));
      token = str(json?.meta?.next_token) ?? undefined;
      if (!token || ids.length) break;
    }
    return out;
  }

  /** POST /2/tweets/search/stream/rules {add}: the rules X created, and why the others were not. */
  async addStreamRules(rules: StreamRuleInput[], o: { dryRun?: boolean } = {}): Promise<StreamRulesChange> {
    if (rules.length === 0) throw new Error('no rule to add');
    const json = await this.#call<{ data?: unknown; meta?: Obj }>({
      method: 'POST',
      path: '/2/tweets/search/stream/rules',
      ...(o.dryRun ? { query: { dry_run: 'true' } } : {}),
      body: { add: rules.map(checkRule) },
      auth: 'app',
      operation: 'add filtered-stream rules (POST /2/tweets/search/stream/rules)',
    });
    const summary = json?.meta?.summary;
    return { rules: parseStreamRules(json?.data), summary: summary && typeof summary === 'object' ? (summary as Obj) : {}, problems: answerProblems(json) };
  }

  /** POST /2/tweets/search/stream/rules {delete: {ids}}. */
  async deleteStreamRules(ids: string[]): Promise<StreamRulesChange> {
    const bad = ids.filter((r) => !X_ID.test(r));
    if (bad.length) throw new Error(`not a rule id: ${bad.join(', ')} (rule ids are numbers of up to 19 digits, see \`xaa stream-rules list\`)`);
    if (ids.length === 0) throw new Error('no rule id to delete');
    const json = await this.#call<{ meta?: Obj }>({
      method: 'POST',
      path: '/2/tweets/search/stream/rules',
      body: { delete: { ids } },
      auth: 'app',
      operation: 'delete filtered-stream rules (POST /2/tweets/search/stream/rules)',
    });
    const summary = json?.meta?.summary;
    return { rules: [], summary: summary && typeof summary === 'object' ? (summary as Obj) : {}, problems: answerProblems(json) };
  }

  // --- direct messages (user context), for handlers as ctx.x ---

  /**
   * Sends a DM from `fromUserId` to `toUserId` (POST /2/dm_conversations/with/:participant_id/messages).
   * The sender is the user of the credential: userCredentials(fromUserId), else that user's own
   * X_OAUTH2_USER_TOKEN_<fromUserId>, else the configured user context (refused when its OAuth
   * 1.0a access token names another user).
   */
  async sendDirectMessage(fromUserId: string, toUserId: string, text: string): Promise<SentDirectMessage> {
    let credentials = this.#userCredentials?.(fromUserId);
    // The user's own token before the configured user context, which may be another account's.
    const own = credentials ? undefined : oauth2TokenFor(fromUserId, this.credentials, false);
    if (own) credentials = { oauth2UserToken: own.token };
    if (!credentials) {
      const own = userContextUserId(this.credentials);
      if (own && own !== fromUserId) {
        throw new Error(
          `send DM: the configured user context (X_ACCESS_TOKEN) belongs to user ${own}, not ${fromUserId}; pass userCredentials to the client to send as other users`,
        );
      }
    }
    const json = await this.#call({
      method: 'POST',
      path: `/2/dm_conversations/with/${id(toUserId)}/messages`,
      body: { text },
      auth: 'user',
      credentials,
      operation: 'send DM (POST /2/dm_conversations/with/:participant_id/messages)',
    });
    const d = data(json);
    const out: SentDirectMessage = {};
    const conversation = str(d.dm_conversation_id);
    const event = str(d.dm_event_id);
    if (conversation) out.dm_conversation_id = conversation;
    if (event) out.dm_event_id = event;
    return out;
  }
}

function webhook(o: Obj, fallbackUrl = ''): XWebhook {
  const w: XWebhook = {
    id: str(o.id) ?? '',
    url: str(o.url) ?? fallbackUrl,
    valid: o.valid === true || o.valid === 'true',
  };
  const created = str(o.created_at);
  if (created) w.created_at = created;
  return w;
}
