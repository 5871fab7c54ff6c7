import { userIdOfAccessToken, type XCredentials } from './credentials.js';
import { toXDate } from './dates.js';
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

function activity(o: Obj): ActivitySubscription {
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
  readonly #userCredentials: XClientOptions['userCredentials'];

  constructor(options: XClientOptions) {
    this.transport = new XTransport(options);
    this.#userCredentials = options.userCredentials;
  }

  get credentials(): XCredentials {
    return this.transport.o.credentials;
  }

  async #call<T = unknown>(req: XRequest): Promise<T> {
    return (await this.transport.request<T>(req)).json;
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
    const json = await this.#call({ method: 'POST', path: '/2/webhooks', body: { url }, auth: 'app', operation: 'create webhook (POST /2/webhooks)' });
    return webhook(data(json), url);
  }

  /** Makes X run a CRC now; re-enables an invalid webhook when it passes. */
  async validateWebhook(webhookId: string): Promise<{ valid: boolean }> {
    const json = await this.#call({
      method: 'PUT',
      path: `/2/webhooks/${id(webhookId)}`,
      auth: 'app',
      operation: `validate webhook ${webhookId} (PUT /2/webhooks/:id)`,
    });
    const d = data(json);
    return { valid: d.valid === undefined ? true : d.valid === true || d.valid === 'true' };
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
    return { subscribed: data(json).subscribed !== false, userId: userIdOfAccessToken(c.accessToken) ?? null };
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

  /** AAA replay (deprecated by X in 2026-03): from inclusive, to exclusive, up to 5 days back. */
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

  /** Webhook replay (XAA and the current API): the last 24 hours. */
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

  // --- XAA activity subscriptions (app bearer token) ---

  async listActivitySubscriptions(): Promise<ActivitySubscription[]> {
    const json = await this.#call<{ data?: unknown }>({
      method: 'GET',
      path: '/2/activity/subscriptions',
      auth: 'app',
      operation: 'list activity subscriptions (GET /2/activity/subscriptions)',
    });
    const list = Array.isArray(json?.data) ? (json.data as Obj[]) : [];
    return list.map(activity);
  }

  async createActivitySubscription(input: ActivitySubscriptionInput): Promise<ActivitySubscription> {
    const json = await this.#call({
      method: 'POST',
      path: '/2/activity/subscriptions',
      body: input,
      auth: 'app',
      operation: 'create activity subscription (POST /2/activity/subscriptions)',
    });
    return activity(data(json));
  }

  async updateActivitySubscription(subscriptionId: string, change: Partial<Omit<ActivitySubscriptionInput, 'event_type'>>): Promise<ActivitySubscription> {
    const json = await this.#call({
      method: 'PUT',
      path: `/2/activity/subscriptions/${id(subscriptionId)}`,
      body: change,
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

  // --- direct messages (user context), for handlers as ctx.x ---

  /**
   * Sends a DM from `fromUserId` to `toUserId` (POST /2/dm_conversations/with/:participant_id/messages).
   * The sender is the user of the credential: the configured user context, or userCredentials(fromUserId).
   */
  async sendDirectMessage(fromUserId: string, toUserId: string, text: string): Promise<SentDirectMessage> {
    const credentials = this.#userCredentials?.(fromUserId);
    if (!credentials) {
      const own = userIdOfAccessToken(this.credentials.accessToken);
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
