import type { EventFormat, PostData, PostDeleteData, PostMatchData, PostRole, SideObjects } from '../../events/index.js';
import { readableRules } from '../envelope/filtered-stream.js';
import { dateOf, idString, isObject, obj, timeMs, userId, type Json } from '../envelope/fields.js';
import { xaaMapping } from '../envelope/xaa-map.js';
import { str, userRef, usernameById } from './users.js';

function refs(p: Json, type: string): string | null {
  // X's samples say referenced_tweets; X's spec says referenced_posts.
  for (const list of [p.referenced_tweets, p.referenced_posts]) {
    if (!Array.isArray(list)) continue;
    const found = list.find((r) => isObject(r) && r.type === type);
    if (found) return idString(obj(found).id);
  }
  return null;
}

/**
 * The long form of a post, where X keeps its full text and its entities: AAA's extended_tweet
 * (a post over 140/280 characters arrives truncated, its mentions past the cut only there), and
 * v2's note_tweet (X's data dictionary; X's spec calls it note_post).
 */
function longForms(p: Json): Json[] {
  return [obj(p.extended_tweet), obj(p.note_tweet), obj(p.note_post)];
}

function mentionIds(p: Json): string[] {
  const list: unknown[] = [];
  for (const entities of [obj(p.entities), ...longForms(p).map((f) => obj(f.entities))]) {
    // AAA: entities.user_mentions[].id_str; XAA: entities.mentions[].id.
    if (Array.isArray(entities.user_mentions)) list.push(...entities.user_mentions);
    if (Array.isArray(entities.mentions)) list.push(...entities.mentions);
  }
  return [...new Set(list.map((m) => userId(m)).filter((id): id is string => id !== null))];
}

/** The subscribed user's part in an AAA post, read from the post (the first that applies). */
function aaaRole(d: Omit<PostData, 'role'>, p: Json, forUserId: string | null): PostRole | null {
  if (forUserId === null) return null;
  if (d.authorId === forUserId) return 'author';
  if (d.repostedPostId !== null && userId(obj(p.retweeted_status).user) === forUserId) return 'reposted';
  if (d.quotedPostId !== null && userId(obj(p.quoted_status).user) === forUserId) return 'quoted';
  if (d.inReplyToUserId === forUserId) return 'replied_to';
  if (d.mentionedUserIds.includes(forUserId)) return 'mentioned';
  return null;
}

/** A post's own fields, the same in every format (v1.1 and v2 names both read). */
function postFields(p: Json, side: SideObjects): Omit<PostData, 'role'> {
  const [extended, note, notePost] = longForms(p) as [Json, Json, Json];
  const author = isObject(p.user) ? userRef(p.user) : { id: idString(p.author_id), username: usernameById(side, idString(p.author_id)) };
  const d = {
    postId: idString(p.id_str) ?? idString(p.id),
    authorId: author.id,
    authorUsername: author.username,
    text: str(extended.full_text) ?? str(note.text) ?? str(notePost.text) ?? str(p.full_text) ?? str(p.text),
    createdAt: dateOf(timeMs(p.created_at) ?? timeMs(p.timestamp_ms)),
    conversationId: idString(p.conversation_id),
    inReplyToPostId: idString(p.in_reply_to_status_id_str) ?? idString(p.in_reply_to_tweet_id) ?? refs(p, 'replied_to'),
    inReplyToUserId: idString(p.in_reply_to_user_id_str) ?? idString(p.in_reply_to_user_id),
    quotedPostId: idString(p.quoted_status_id_str) ?? userId(p.quoted_status) ?? refs(p, 'quoted'),
    repostedPostId: userId(p.retweeted_status) ?? refs(p, 'retweeted'),
    mentionedUserIds: mentionIds(p),
  };
  return d;
}

export function postData(p: Json, side: SideObjects, forUserId: string | null, format: EventFormat): PostData {
  const d = postFields(p, side);
  const role =
    format === 'xaa'
      ? ((typeof side.source === 'string' ? xaaMapping(side.source)?.role : undefined) ?? null)
      : format === 'aaa'
        ? aaaRole(d, p, forUserId)
        : null;
  return { ...d, role };
}

/** A filtered-stream Post: its fields as for any post, no role (no subscribed user), and the rules it matched. */
export function postMatchData(p: Json, side: SideObjects): PostMatchData {
  return { ...postFields(p, side), role: null, rules: readableRules(side.matchingRules) };
}

export function postDeleteData(p: Json): PostDeleteData {
  const status = obj(p.status);
  return {
    postId: idString(status.id_str) ?? idString(status.id) ?? idString(p.id),
    authorId: idString(status.user_id_str) ?? idString(status.user_id) ?? idString(p.author_id),
    deletedAt: dateOf(timeMs(p.timestamp_ms) ?? timeMs(p.deleted_at)),
  };
}
