import type { Activity, SampleType } from '../samples.js';

/** A user known to the stand-in, with the tokens that authenticate as that user. */
export interface StandInUser {
  id: string;
  username?: string;
  /** OAuth 1.0a access token and secret (user context). */
  accessToken?: string;
  accessTokenSecret?: string;
  /** OAuth 2.0 user access token (user context). */
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
