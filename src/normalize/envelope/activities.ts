import type { EventActions, EventFormat, ParsedXEvent, SideObjects } from '../../events/index.js';
import { dateOf, dedupeKey, hashKey, idString, isObject, obj, timeMs, userId, type Json } from './fields.js';

/**
 * Builders of normalized events, one per kind of activity, shared by the AAA and XAA envelopes
 * so that the same activity gets the same type and the same dedupe key whichever API sent it.
 */
interface Common {
  forUserId: string | null;
  format: EventFormat;
  side: SideObjects;
}

export function post(c: Common, p: Json): ParsedXEvent {
  const id = idString(p.id_str) ?? idString(p.id);
  const at = timeMs(p.timestamp_ms) ?? timeMs(p.created_at);
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'post', id ?? hashKey(JSON.stringify(p))),
    type: 'post.create',
    action: null,
    occurredAt: dateOf(at),
    payload: p,
  };
}

/**
 * A Post that matched the app's filtered-stream rules. No subscribed user: the key is the post
 * id alone, so the same Post delivered again (X's retries, a replay, a second linked webhook, or
 * a delivery naming other rules) is one event. An edited Post has a new id: a new event.
 */
export function postMatch(c: Common, p: Json): ParsedXEvent {
  const id = idString(p.id) ?? hashKey(JSON.stringify(p));
  return {
    ...c,
    id: dedupeKey(null, 'post.match', id),
    type: 'post.match',
    action: null,
    occurredAt: dateOf(timeMs(p.created_at)),
    payload: p,
  };
}

export function postDelete(c: Common, p: Json): ParsedXEvent {
  const status = obj(p.status);
  const id = idString(status.id_str) ?? idString(status.id) ?? idString(p.id) ?? idString(p.post_id);
  const at = timeMs(p.timestamp_ms) ?? timeMs(p.deleted_at) ?? timeMs(p.created_at);
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'post.delete', id ?? hashKey(JSON.stringify(p))),
    type: 'post.delete',
    action: null,
    occurredAt: dateOf(at),
    payload: p,
  };
}

export function like(c: Common, p: Json): ParsedXEvent {
  // AAA's favorite event has its own created_at; XAA's like.create payload's created_at is the
  // liked post's ("Creation time of the liked Post"): the like itself is not that old, and as its
  // time it would make a like of a post older than the dedupe window stale (never dispatched).
  const at = timeMs(p.timestamp_ms) ?? (c.format === 'aaa' ? timeMs(p.created_at) : null);
  const liker = userId(p.user) ?? userId(p.source) ?? idString(p.user_id);
  const postId = userId(p.favorited_status) ?? idString(p.liked_tweet_id) ?? idString(p.liked_post_id) ?? idString(p.post_id);
  const id = idString(p.id) ?? hashKey(liker, postId, at);
  return { ...c, id: dedupeKey(c.forUserId, 'like', id), type: 'like', action: 'like', occurredAt: dateOf(at), payload: p };
}

const UNDO: Record<string, string> = { follow: 'unfollow', block: 'unblock', mute: 'unmute' };

/**
 * follow / block / mute and their undo actions. `verb` is the action as X named it. X gives these
 * no id: the key is a hash of the action, both users and X's timestamp (AAA created_timestamp).
 * XAA's payloads (follows per X's sample; mutes and blocks have no sample) carry no timestamp:
 * then the whole payload is hashed instead (the users as X described them at the time), so that
 * a redelivery (same payload, new event_uuid) is a duplicate; a re-follow whose payload is byte
 * for byte the same as an earlier follow's within the dedupe window cannot be told from it.
 */
export function relationship(c: Common, kind: 'follow' | 'block' | 'mute', verb: string | null, p: Json): ParsedXEvent {
  const v = (verb ?? (typeof p.type === 'string' ? p.type : kind)).toLowerCase();
  const action = v === UNDO[kind] || v === 'delete' || v === 'destroy' || v.startsWith('un') ? UNDO[kind]! : kind;
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at) ?? timeMs(p.timestamp_ms);
  const key =
    at !== null
      ? hashKey(action, userId(p.source), userId(p.target), at)
      : hashKey(action, userId(p.source), userId(p.target), 'payload', JSON.stringify(p));
  return {
    ...c,
    id: dedupeKey(c.forUserId, kind, key),
    type: kind,
    action: action as never,
    occurredAt: dateOf(at),
    payload: p,
  };
}

/** A legacy (readable) DM: sent when the subscribed user wrote it; XAA's event type says it where the sender is missing. */
export function directMessage(c: Common, p: Json, action: EventActions['dm.message'] | null = null): ParsedXEvent {
  const message = obj(p.message_create);
  const sender = idString(message.sender_id) ?? idString(p.sender_id);
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at);
  const id = idString(p.id) ?? idString(p.dm_event_id) ?? hashKey(sender, at, JSON.stringify(message));
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'dm', id),
    type: 'dm.message',
    action: sender !== null && c.forUserId !== null ? (sender === c.forUserId ? 'sent' : 'received') : (action ?? 'received'),
    occurredAt: dateOf(at),
    payload: p,
  };
}

/** Typing indicators and read receipts: no id from X; two of them differ by X's timestamp. */
export function dmSignal(c: Common, type: 'dm.typing' | 'dm.read', p: Json): ParsedXEvent {
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at);
  const key = hashKey(idString(p.sender_id), idString(obj(p.target).recipient_id), idString(p.last_read_event_id), at);
  return { ...c, id: dedupeKey(c.forUserId, type, key), type, action: null, occurredAt: dateOf(at), payload: p };
}

/**
 * An app's access revoked. AAA: `{source: {user_id}, target: {app_id}, date_time}`; XAA
 * oauth.revoke: `{user_id, app_id, date_time}`. The revoking user is the event's user (XAA's
 * filter is empty), and is in the key: two users revoking in the same second stay two events.
 */
export function revoke(c: Common, p: Json): ParsedXEvent {
  const at = timeMs(p.date_time) ?? timeMs(p.created_at);
  const user = idString(p.user_id) ?? idString(obj(p.source).user_id);
  const app = idString(p.app_id) ?? idString(obj(p.target).app_id);
  const forUserId = user ?? c.forUserId;
  const key = hashKey(app, user, at);
  return { ...c, forUserId, id: dedupeKey(forUserId, 'revoke', key), type: 'app.revoke', action: null, occurredAt: dateOf(at), payload: p };
}

/**
 * A profile field changed. X gives no id and no time (`{before, after}`): the key hashes the
 * field and both values, so a redelivery is a duplicate and a different change is not.
 */
export function profileUpdate(c: Common, field: string, p: Json): ParsedXEvent {
  const at = timeMs(p.created_at) ?? timeMs(p.updated_at);
  const key = hashKey(field, JSON.stringify(p.before ?? null), JSON.stringify(p.after ?? null), at);
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'profile', key),
    type: 'profile.update',
    action: field,
    occurredAt: dateOf(at),
    payload: p,
  };
}

/** An encrypted XChat event (message or conversation change), keyed by X's chat event id. */
export function chat(
  c: Common,
  type: 'chat.message' | 'chat.conversation',
  action: EventActions['chat.message'] | EventActions['chat.conversation'],
  p: Json,
): ParsedXEvent {
  const at = timeMs(p.created_at_msec) ?? timeMs(p.created_at);
  const id =
    idString(p.id) ??
    hashKey(action, idString(p.conversation_id), idString(p.sender_id), at, typeof p.encoded_event === 'string' ? p.encoded_event : null);
  return { ...c, id: dedupeKey(c.forUserId, 'chat', id), type, action: action as never, occurredAt: dateOf(at), payload: p };
}

/** A news item (matched by keyword: no subscribed user), keyed by X's news id. */
export function news(c: Common, p: Json): ParsedXEvent {
  const at = timeMs(p.updated_at);
  const id = idString(p.id) ?? hashKey(typeof p.name === 'string' ? p.name : null, at, JSON.stringify(p));
  return { ...c, id: dedupeKey(c.forUserId, 'news', id), type: 'news', action: null, occurredAt: dateOf(at), payload: p };
}

/** A Space or a live broadcast starting or ending: the broadcast id and which of the two. */
export function broadcast(c: Common, type: 'space' | 'broadcast', action: 'start' | 'end', p: Json): ParsedXEvent {
  const at = timeMs(p.event_timestamp_ms) ?? timeMs(p.updated_timestamp_ms);
  const id = idString(p.broadcast_id) ?? hashKey(userId(p.user), at, JSON.stringify(p));
  return { ...c, id: dedupeKey(c.forUserId, type, `${id}:${action}`), type, action: action as never, occurredAt: dateOf(at), payload: p };
}

/** A chat message in a live broadcast, keyed by X's message id. */
export function broadcastChat(c: Common, p: Json): ParsedXEvent {
  const id = idString(p.message_id) ?? hashKey(idString(p.broadcast_id), userId(p.author), typeof p.message === 'string' ? p.message : null);
  return { ...c, id: dedupeKey(c.forUserId, 'broadcast.chat', id), type: 'broadcast.chat', action: null, occurredAt: null, payload: p };
}

export function replayStatus(c: Common, p: Json): ParsedXEvent {
  const state = typeof p.job_state === 'string' ? p.job_state : null;
  const key = `${idString(p.job_id) ?? hashKey(JSON.stringify(p))}:${state ?? ''}`;
  return { ...c, id: dedupeKey(c.forUserId, 'replay', key), type: 'replay.status', action: state, occurredAt: null, payload: p };
}

/**
 * Anything not recognised: kept whole, with what it arrived under, keyed by its content (never
 * by XAA's event_uuid, which is new on every redelivery).
 */
export function unknown(c: Common, source: string, content: unknown): ParsedXEvent {
  const key = hashKey(source, JSON.stringify(content));
  const at = isObject(content) ? (timeMs(content.created_at) ?? timeMs(content.created_timestamp)) : null;
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'unknown', key),
    type: 'unknown',
    action: source,
    occurredAt: dateOf(at),
    payload: content,
  };
}
