/**
 * The canonical event types: one name per kind of activity, the same whether X delivered it
 * through the Account Activity API (AAA) or the X Activity API (XAA).
 */
export const EVENT_TYPES = [
  'post.create',
  'post.delete',
  'like',
  'follow',
  'block',
  'mute',
  'dm.message',
  'dm.typing',
  'dm.read',
  'app.revoke',
  'profile.update',
  'replay.status',
  // Types X's Activity API added, with no Account Activity API counterpart:
  'chat.message',
  'chat.conversation',
  'news',
  'space',
  'broadcast',
  'broadcast.chat',
  // A public Post matching the app's filtered-stream rules, delivered to a linked webhook:
  'post.match',
  'unknown',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** The actions a kind can carry (null when the kind has none). */
export interface EventActions {
  'post.create': null;
  'post.delete': null;
  like: 'like';
  follow: 'follow' | 'unfollow';
  block: 'block' | 'unblock';
  mute: 'mute' | 'unmute';
  /** received: someone wrote to the subscribed user; sent: the subscribed user (or this app) wrote. */
  'dm.message': 'received' | 'sent';
  'dm.typing': null;
  'dm.read': null;
  'app.revoke': null;
  /** Which profile field changed: bio, profile_picture, banner_picture, screenname, handle, geo, url, ... */
  'profile.update': string;
  /** X's job_state, e.g. "Complete". */
  'replay.status': string | null;
  /**
   * An encrypted XChat message (XAA chat.received / chat.sent): ciphertext only, never a readable
   * message (a `dm.message` is a legacy, readable DM).
   */
  'chat.message': 'received' | 'sent';
  /** An encrypted conversation's change (XAA chat.conversation.* and chat.update.*). */
  'chat.conversation': 'join' | 'member_added' | 'member_removed' | 'admin_added' | 'admin_removed' | 'group_name' | 'restrictions';
  /** A Grok-curated news item (XAA news.new, matched by keyword: no subscribed user). */
  news: null;
  /** A Space started or ended (XAA spaces.start / spaces.end). */
  space: 'start' | 'end';
  /** A live broadcast started or ended (XAA broadcast.start / broadcast.end). */
  broadcast: 'start' | 'end';
  /** A chat message in the subscribed user's live broadcast (XAA broadcast.chat). */
  'broadcast.chat': null;
  /**
   * A public Post that matched the app's filtered-stream rules (a filtered-stream webhook
   * delivery): no subscribed user, the matching rules in `event.data.rules`.
   */
  'post.match': null;
  /** The AAA key or XAA event_type that was not recognised. */
  unknown: string;
}

/**
 * What delivered the event: an Account Activity API envelope, an X Activity API envelope, or a
 * filtered-stream webhook delivery (a Post with its `matching_rules`).
 */
export type EventFormat = 'aaa' | 'xaa' | 'filtered_stream';
