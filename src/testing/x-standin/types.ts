import type { Activity, SampleType } from '../samples.js';

/** A user known to the stand-in, with the tokens that authenticate as that user. */
export interface StandInUser {
  id: string;
  username?: string;
  /** OAuth 1.0a access token and secret (user context). */
  accessToken?: string;
  accessTokenSecret?: string;
  /** OAuth 2.0 user access token (user context): `Authorization: Bearer <oauth2Token>`. */
  oauth2Token?: string;
  /** The scopes the user granted the app with that token; unset: every scope. */
  scopes?: string[];
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
  /** XAA activity subscriptions per app (X's self-serve tier: 1,500). */
  maxActivitySubscriptions?: number;
  /** How long a webhook has to answer a CRC (X: 10 s). */
  crcTimeoutMs?: number;
  /** How long a webhook has to answer a delivery (X: 10 s). */
  deliveryTimeoutMs?: number;
  /** The stand-in's clock (CRC schedule, timestamps, replay windows); tests move it instead of sleeping. */
  clock?: () => Date;
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
  lastCrc?: { ok: boolean; outcome: CrcOutcome; reason: string; latencyMs: number; at: string };
  /** When a CRC last passed (ISO time): X checks every 30 minutes once this is 24 hours old. */
  lastValidatedAt?: string;
  /** Why X marked the webhook invalid, while it is. */
  invalidReason?: string;
}

/**
 * What a CRC answer means to X: `pass`; `invalid` (a 2xx with a wrong response_token, a 3xx, a
 * TLS error: the webhook is invalid at once); `transient` (4xx, 5xx, a timeout, a closed or
 * refused connection: invalid only after 28 hours without a passing CRC).
 */
export type CrcOutcome = 'pass' | 'invalid' | 'transient';

export interface ActivitySub {
  /** Absent: the subscription delivers to the persistent stream only, no webhook. */
  subscription_id: string;
  event_type: string;
  filter: Record<string, unknown>;
  tag?: string;
  webhook_id?: string;
  created_at: string;
  updated_at: string;
}

/** What a webhook received, or should have (kept for replays). */
export interface OutboxEntry {
  webhookId: string;
  at: Date;
  format: 'aaa' | 'xaa' | 'filtered_stream';
  body: string;
  activity: Activity;
}

export interface DeliveryRecord {
  webhookId: string;
  url: string;
  format: 'aaa' | 'xaa' | 'filtered_stream';
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

/** A webhook linked to the app's filtered stream (POST /2/tweets/search/webhooks/:webhook_id). */
export interface StreamLinkState {
  webhook_id: string;
  /** The query parameters of the link, as X lists them ("expansions=author_id", ...). */
  fields: string[];
  application_id: string;
  business_user_id: string;
  instance_id: string;
  created_at: string;
}

/** A filtered-stream rule (POST /2/tweets/search/stream/rules). */
export interface StreamRuleState {
  id: string;
  value: string;
  tag?: string;
}
