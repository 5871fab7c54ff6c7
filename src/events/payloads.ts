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
  quoted_status_id_str?: string;
  entities?: Record<string, unknown>;
  /** XAA (v2 Post, as X's samples deliver it). */
  conversation_id?: string;
  in_reply_to_tweet_id?: string;
  in_reply_to_user_id?: string;
  referenced_tweets?: Array<{ type?: 'replied_to' | 'quoted' | 'retweeted' | string; id?: string }>;
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
  /** XAA (X's sample: liked_tweet_id, liked_tweet_author_id; X's spec: liked_tweet_id, tweet_author_id). */
  liked_tweet_id?: string;
  liked_tweet_author_id?: string;
  tweet_author_id?: string;
  /** @deprecated not a field X documents (an earlier guess of this project): read `event.data.postId`. */
  liked_post_id?: string;
  /** @deprecated not a field X documents (an earlier guess of this project). */
  post?: PostPayload;
  [key: string]: unknown;
}

/** follow_events / block_events / mute_events element, or the XAA equivalents. */
export interface RelationshipPayload {
  type?: string;
  created_timestamp?: string;
  created_at?: string;
  /** AAA: a v1.1 user; XAA: `{data: v2 user}` (the user under `data`; read `event.data.sourceId`). */
  source?: V1User | V2User;
  /** As `source`. */
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
  /** AAA user_event.revoke */
  target?: { app_id?: string };
  source?: { user_id?: string };
  /** XAA oauth.revoke: the revoking user and the app. */
  user_id?: string;
  app_id?: string;
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

/** XAA chat.* (encrypted XChat): identifiers and ciphertext, not a readable message. */
export interface ChatPayload {
  id?: string;
  conversation_id?: string;
  sender_id?: string;
  created_at_msec?: string;
  encoded_event?: string;
  conversation_key_version?: string;
  conversation_token?: string;
  conversation_key_change_event?: string;
  message_event_signature?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface NewsPayload {
  id?: string;
  name?: string;
  headline?: string;
  category?: string;
  hook?: string;
  summary?: string;
  updated_at?: string;
  contexts?: Record<string, unknown>;
  cluster_posts_results?: Array<{ post_id?: string; [key: string]: unknown }>;
  disclaimer?: string;
  [key: string]: unknown;
}

export interface SpacePayload {
  user?: { data?: V2User };
  broadcast_id?: string;
  /** spaces_start / spaces_end */
  event_type?: string;
  [key: string]: unknown;
}

export interface BroadcastPayload {
  user?: { data?: V2User };
  broadcast_id?: string;
  title?: string;
  broadcast_state?: string;
  language?: string;
  event_timestamp_ms?: number | string;
  created_timestamp_ms?: number | string;
  updated_timestamp_ms?: number | string;
  duration_ms?: number | string;
  thumbnail_url?: string;
  available_for_replay?: boolean;
  [key: string]: unknown;
}

export interface BroadcastChatPayload {
  broadcast_id?: string;
  message_id?: string;
  message?: string;
  author?: { data?: V2User };
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
  'chat.message': ChatPayload;
  'chat.conversation': ChatPayload;
  news: NewsPayload;
  space: SpacePayload;
  broadcast: BroadcastPayload;
  'broadcast.chat': BroadcastChatPayload;
  /** The v2 Post of a filtered-stream delivery (its `data`; `matching_rules` and `includes` are in `side`). */
  'post.match': PostPayload;
  unknown: unknown;
}

export type PayloadOf<T extends EventType> = Payloads[T];
