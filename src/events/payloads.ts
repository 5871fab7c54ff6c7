import type { EventType } from './names.js';

/**
 * Payload types per event type. AAA and XAA shapes differ (v1.1 vs v2 field names), so each
 * is a union; fields are optional where X's documents disagree. Ids are always strings here.
 */
export interface V1User {
  /** A number when it fits in 53 bits, else a string: read `id_str`. */
  id?: string | number;
  id_str?: string;
  name?: string;
  screen_name?: string;
  [key: string]: unknown;
}

export interface V2User {
  id?: string;
  username?: string;
  name?: string;
  [key: string]: unknown;
}

/** AAA tweet_create_events element (v1.1 Post) or XAA post.create payload (v2 Post). */
export interface PostPayload {
  id?: string;
  id_str?: string;
  text?: string;
  full_text?: string;
  extended_tweet?: { full_text?: string; [key: string]: unknown };
  user?: V1User;
  author_id?: string;
  created_at?: string;
  in_reply_to_status_id_str?: string | null;
  in_reply_to_user_id_str?: string | null;
  retweeted_status?: PostPayload;
  quoted_status?: PostPayload;
  entities?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PostDeletePayload {
  /** AAA */
  status?: { id?: string; user_id?: string };
  timestamp_ms?: string;
  /** XAA */
  id?: string;
  author_id?: string;
  [key: string]: unknown;
}

export interface LikePayload {
  id?: string;
  created_at?: string;
  timestamp_ms?: string;
  favorited_status?: PostPayload;
  user?: V1User;
  /** XAA */
  liked_post_id?: string;
  post?: PostPayload;
  [key: string]: unknown;
}

/** follow_events / block_events / mute_events element, or the XAA equivalents. */
export interface RelationshipPayload {
  type?: string;
  created_timestamp?: string;
  created_at?: string;
  source?: V1User | V2User;
  target?: V1User | V2User;
  [key: string]: unknown;
}

export interface DirectMessagePayload {
  type?: 'message_create' | string;
  id?: string;
  created_timestamp?: string;
  message_create?: {
    target?: { recipient_id?: string };
    sender_id?: string;
    source_app_id?: string;
    message_data?: { text?: string; entities?: Record<string, unknown>; [key: string]: unknown };
  };
  [key: string]: unknown;
}

export interface DirectMessageSignalPayload {
  created_timestamp?: string;
  sender_id?: string;
  target?: { recipient_id?: string };
  last_read_event_id?: string;
  [key: string]: unknown;
}

export interface RevokePayload {
  date_time?: string;
  target?: { app_id?: string };
  source?: { user_id?: string };
  [key: string]: unknown;
}

export interface ProfileUpdatePayload {
  before?: unknown;
  after?: unknown;
  user?: V2User | { data?: V2User };
  [key: string]: unknown;
}

export interface ReplayStatusPayload {
  webhook_id?: string;
  job_id?: string;
  job_state?: string;
  job_state_description?: string;
  [key: string]: unknown;
}

export interface Payloads {
  'post.create': PostPayload;
  'post.delete': PostDeletePayload;
  like: LikePayload;
  follow: RelationshipPayload;
  block: RelationshipPayload;
  mute: RelationshipPayload;
  'dm.message': DirectMessagePayload;
  'dm.typing': DirectMessageSignalPayload;
  'dm.read': DirectMessageSignalPayload;
  'app.revoke': RevokePayload;
  'profile.update': ProfileUpdatePayload;
  'replay.status': ReplayStatusPayload;
  unknown: unknown;
}

export type PayloadOf<T extends EventType> = Payloads[T];
