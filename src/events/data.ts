import type { EventType } from './names.js';

/**
 * The normalized fields of each event type (`event.data`), filled the same way whichever API
 * (AAA or XAA) delivered the activity, so that one handler serves both. A field X did not send
 * in that format is null (never guessed); the raw payload stays on `event.payload`.
 */

/** The subscribed user's part in a post. */
export type PostRole = 'author' | 'mentioned' | 'replied_to' | 'quoted' | 'reposted';

export interface PostData {
  postId: string | null;
  authorId: string | null;
  authorUsername: string | null;
  /** The full text (AAA extended_tweet.full_text when the post is long). */
  text: string | null;
  createdAt: Date | null;
  conversationId: string | null;
  /** The post this one replies to, and its author. */
  inReplyToPostId: string | null;
  inReplyToUserId: string | null;
  /** The post this one quotes. */
  quotedPostId: string | null;
  /** The post this one reposts (a retweet). */
  repostedPostId: string | null;
  /** Users @mentioned in the text. */
  mentionedUserIds: string[];
  /**
   * The subscribed user's part: XAA says it by event type (post.create: author,
   * post.mention.create: mentioned, ...); for AAA it is read from the post (null when none applies).
   */
  role: PostRole | null;
}

/** One filtered-stream rule a Post matched (X's `matching_rules[]`). */
export interface MatchingRule {
  /** X's id of the rule. */
  id: string;
  /** The tag given when the rule was added; null when it has none. */
  tag: string | null;
}

/**
 * A Post that matched the app's filtered-stream rules: the post's fields as for `post.create`
 * (no subscribed user, so `role` is always null) and the rules it matched.
 */
export interface PostMatchData extends Omit<PostData, 'role'> {
  /** No subscribed user: always null (kept so that code reading post events reads both). */
  role: null;
  /** The rules this delivery says the Post matched (ids and tags, as X sent them; never empty). */
  rules: MatchingRule[];
}

export interface PostDeleteData {
  postId: string | null;
  authorId: string | null;
  deletedAt: Date | null;
}

export interface LikeData {
  /** X's id of the like (the same in AAA and XAA). */
  likeId: string | null;
  postId: string | null;
  likerId: string | null;
  likerUsername: string | null;
  postAuthorId: string | null;
  /** outbound: the subscribed user liked; inbound: the subscribed user's post was liked. */
  direction: 'inbound' | 'outbound' | null;
  likedAt: Date | null;
}

/** follow / block / mute: the source acted on the target. */
export interface RelationshipData {
  sourceId: string | null;
  sourceUsername: string | null;
  targetId: string | null;
  targetUsername: string | null;
}

export interface DirectMessageData {
  messageId: string | null;
  senderId: string | null;
  senderUsername: string | null;
  recipientId: string | null;
  recipientUsername: string | null;
  text: string | null;
  createdAt: Date | null;
}

/** Typing indicators and read receipts. */
export interface DirectMessageSignalData {
  senderId: string | null;
  recipientId: string | null;
  /** dm.read: the last message read. */
  lastReadEventId: string | null;
  at: Date | null;
}

export interface RevokeData {
  /** The user who revoked the app's access. */
  userId: string | null;
  appId: string | null;
  revokedAt: Date | null;
}

export interface ProfileUpdateData {
  userId: string | null;
  /** bio, profile_picture, banner_picture, screenname, handle, geo, url, verified_badge, affiliate_badge, ... */
  field: string;
  before: unknown;
  after: unknown;
}

export interface ReplayStatusData {
  jobId: string | null;
  webhookId: string | null;
  state: string | null;
  description: string | null;
}

/**
 * An encrypted XChat event: identifiers and the ciphertext material as X sent it. There is no
 * text: decrypting needs the XChat client libraries and the user's keys.
 */
export interface ChatData {
  encrypted: true;
  /** X's id of the chat event (message or conversation change). */
  eventId: string | null;
  conversationId: string | null;
  senderId: string | null;
  createdAt: Date | null;
  encodedEvent: string | null;
  conversationKeyVersion: string | null;
  conversationToken: string | null;
  conversationKeyChangeEvent: string | null;
  messageEventSignature: Record<string, unknown> | null;
}

export interface NewsData {
  newsId: string | null;
  /** The headline (X's `name`; the spec also names a `headline`). */
  headline: string | null;
  category: string | null;
  hook: string | null;
  summary: string | null;
  updatedAt: Date | null;
  /** The subscription's keyword that matched. */
  keyword: string | null;
  /** Posts of the story's cluster. */
  postIds: string[];
}

export interface SpaceData {
  /** The Space's id (X sends it as `broadcast_id`). */
  spaceId: string | null;
  hostId: string | null;
  hostUsername: string | null;
}

export interface BroadcastData {
  broadcastId: string | null;
  hostId: string | null;
  hostUsername: string | null;
  title: string | null;
  /** X's broadcast_state: Running, Ended, ... */
  state: string | null;
  language: string | null;
  createdAt: Date | null;
  /** When X says this change happened (event_timestamp_ms). */
  at: Date | null;
  durationMs: number | null;
}

export interface BroadcastChatData {
  broadcastId: string | null;
  messageId: string | null;
  text: string | null;
  authorId: string | null;
  authorUsername: string | null;
}

export interface EventDataMap {
  'post.create': PostData;
  'post.delete': PostDeleteData;
  like: LikeData;
  follow: RelationshipData;
  block: RelationshipData;
  mute: RelationshipData;
  'dm.message': DirectMessageData;
  'dm.typing': DirectMessageSignalData;
  'dm.read': DirectMessageSignalData;
  'app.revoke': RevokeData;
  'profile.update': ProfileUpdateData;
  'replay.status': ReplayStatusData;
  'chat.message': ChatData;
  'chat.conversation': ChatData;
  news: NewsData;
  space: SpaceData;
  broadcast: BroadcastData;
  'broadcast.chat': BroadcastChatData;
  'post.match': PostMatchData;
  unknown: null;
}

export type EventDataOf<T extends EventType> = EventDataMap[T];
