import type { EventActions, EventType } from '../../events/names.js';
import type { XaaDeliveredOnlyType, XaaEventType } from '../../events/xaa-catalog.generated.js';
import type { PostRole } from '../../events/data.js';

/** The canonical type (and action) of one XAA event type, and for posts the subscribed user's role. */
export type XaaMapping = { [T in EventType]: { type: T; action: EventActions[T]; role?: PostRole } }[EventType];

/**
 * Every event type X documents for XAA (the generated catalog: a name X adds fails to compile
 * here until it is given a canonical type) and its canonical type: the AAA counterpart's where
 * AAA has one, so that one handler serves both APIs.
 */
export const XAA_TO_CANONICAL: { readonly [K in XaaEventType | XaaDeliveredOnlyType]: XaaMapping } = {
  // Posts: one canonical type, as AAA's tweet_create_events brings all of them; the role says why it came.
  'post.create': { type: 'post.create', action: null, role: 'author' },
  'post.mention.create': { type: 'post.create', action: null, role: 'mentioned' },
  'post.reply.create': { type: 'post.create', action: null, role: 'replied_to' },
  'post.quote.create': { type: 'post.create', action: null, role: 'quoted' },
  'post.repost.create': { type: 'post.create', action: null, role: 'reposted' },
  'post.delete': { type: 'post.delete', action: null },
  'like.create': { type: 'like', action: 'like' },
  'follow.follow': { type: 'follow', action: 'follow' },
  'follow.unfollow': { type: 'follow', action: 'unfollow' },
  // X documents no payload sample for mutes and blocks: read as follows (source / target), as X's page says.
  'mute.mute': { type: 'mute', action: 'mute' },
  'mute.unmute': { type: 'mute', action: 'unmute' },
  'block.block': { type: 'block', action: 'block' },
  'block.unblock': { type: 'block', action: 'unblock' },
  'dm.received': { type: 'dm.message', action: 'received' },
  'dm.sent': { type: 'dm.message', action: 'sent' },
  'dm.indicate_typing': { type: 'dm.typing', action: null },
  'dm.read': { type: 'dm.read', action: null },
  'oauth.revoke': { type: 'app.revoke', action: null },
  'profile.update.bio': { type: 'profile.update', action: 'bio' },
  'profile.update.profile_picture': { type: 'profile.update', action: 'profile_picture' },
  'profile.update.banner_picture': { type: 'profile.update', action: 'banner_picture' },
  'profile.update.screenname': { type: 'profile.update', action: 'screenname' },
  'profile.update.handle': { type: 'profile.update', action: 'handle' },
  'profile.update.geo': { type: 'profile.update', action: 'geo' },
  'profile.update.url': { type: 'profile.update', action: 'url' },
  'profile.update.verified_badge': { type: 'profile.update', action: 'verified_badge' },
  'profile.update.affiliate_badge': { type: 'profile.update', action: 'affiliate_badge' },
  // Encrypted XChat: its own types, never a readable dm.message.
  'chat.received': { type: 'chat.message', action: 'received' },
  'chat.sent': { type: 'chat.message', action: 'sent' },
  'chat.conversation.join': { type: 'chat.conversation', action: 'join' },
  'chat.conversation_join': { type: 'chat.conversation', action: 'join' },
  'chat.conversation.member_added': { type: 'chat.conversation', action: 'member_added' },
  'chat.conversation.member_removed': { type: 'chat.conversation', action: 'member_removed' },
  'chat.conversation.admin_added': { type: 'chat.conversation', action: 'admin_added' },
  'chat.conversation.admin_removed': { type: 'chat.conversation', action: 'admin_removed' },
  'chat.update.group_name': { type: 'chat.conversation', action: 'group_name' },
  'chat.update.restrictions': { type: 'chat.conversation', action: 'restrictions' },
  'news.new': { type: 'news', action: null },
  'spaces.start': { type: 'space', action: 'start' },
  'spaces.end': { type: 'space', action: 'end' },
  'broadcast.start': { type: 'broadcast', action: 'start' },
  'broadcast.end': { type: 'broadcast', action: 'end' },
  'broadcast.chat': { type: 'broadcast.chat', action: null },
};

/** The mapping of an event_type as delivered (exact, X's spelling), or undefined for an undocumented one. */
export function xaaMapping(eventType: string): XaaMapping | undefined {
  return Object.hasOwn(XAA_TO_CANONICAL, eventType) ? XAA_TO_CANONICAL[eventType as XaaEventType] : undefined;
}
