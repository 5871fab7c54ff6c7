import type { LikeData, RelationshipData, SideObjects } from '../../events/index.js';
import { dateOf, idString, isObject, obj, timeMs, userId, type Json } from '../envelope/fields.js';
import { userRef, usernameById } from './users.js';

/**
 * AAA favorite_events: `{id, user (the liker), favorited_status (the post, with its user)}`.
 * XAA like.create: `{id, liked_tweet_id, liked_tweet_author_id (X's spec: tweet_author_id)}`
 * and no liker: it is the subscribed user when the like is outbound (the filter's direction, or
 * a post by someone else); for an inbound like it is taken from `includes.users` when exactly one
 * user there is not the post's author, else null (X's docs do not say where the liker is).
 */
export function likeData(p: Json, side: SideObjects, forUserId: string | null): LikeData {
  const post = obj(p.favorited_status);
  const postAuthorId = userId(post.user) ?? idString(p.liked_tweet_author_id) ?? idString(p.tweet_author_id);
  let liker = userRef(p.user, side);
  if (liker.id === null) {
    const stated = obj(side.filter).direction;
    const outbound = stated === 'outbound' || (stated !== 'inbound' && postAuthorId !== null && postAuthorId !== forUserId);
    if (outbound) liker = { id: forUserId, username: usernameById(side, forUserId) };
    else {
      const users = Array.isArray(side.includes?.users) ? side.includes.users : [];
      const others = users.filter((u) => userId(u) !== postAuthorId);
      if (others.length === 1) liker = userRef(others[0], side);
    }
  }
  const direction =
    liker.id !== null && forUserId !== null ? (liker.id === forUserId ? 'outbound' : 'inbound') : postAuthorId === forUserId && forUserId !== null ? 'inbound' : null;
  return {
    likeId: idString(p.id),
    postId: userId(p.favorited_status) ?? idString(p.liked_tweet_id),
    likerId: liker.id,
    likerUsername: liker.username,
    postAuthorId,
    direction,
    // XAA's created_at is the liked post's creation time (X's page), AAA's the like's.
    likedAt: dateOf(timeMs(p.timestamp_ms) ?? (isObject(p.favorited_status) ? timeMs(p.created_at) : null)),
  };
}

/** follow / block / mute: AAA v1.1 users, XAA `{data: user}` (mutes and blocks: no sample, as follows). */
export function relationshipData(p: Json, side: SideObjects): RelationshipData {
  const source = userRef(p.source, side);
  const target = userRef(p.target, side);
  return { sourceId: source.id, sourceUsername: source.username, targetId: target.id, targetUsername: target.username };
}
