import type { AnyXEvent, EventFormat, SideObjects } from '../../events/index.js';
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

export function post(c: Common, p: Json): AnyXEvent {
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

export function postDelete(c: Common, p: Json): AnyXEvent {
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

export function like(c: Common, p: Json): AnyXEvent {
  const at = timeMs(p.timestamp_ms) ?? timeMs(p.created_at);
  const liker = userId(p.user) ?? userId(p.source) ?? idString(p.user_id);
  const postId =
    userId(p.favorited_status) ?? idString(p.liked_post_id) ?? idString(p.post_id) ?? userId(p.post) ?? userId(p.target);
  const id = idString(p.id) ?? hashKey(liker, postId, at);
  return { ...c, id: dedupeKey(c.forUserId, 'like', id), type: 'like', action: 'like', occurredAt: dateOf(at), payload: p };
}

const UNDO: Record<string, string> = { follow: 'unfollow', block: 'unblock', mute: 'unmute' };

/** follow / block / mute and their undo actions. `verb` is the action as X named it. */
export function relationship(c: Common, kind: 'follow' | 'block' | 'mute', verb: string | null, p: Json): AnyXEvent {
  const v = (verb ?? (typeof p.type === 'string' ? p.type : kind)).toLowerCase();
  const action = v === UNDO[kind] || v === 'delete' || v === 'destroy' || v.startsWith('un') ? UNDO[kind]! : kind;
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at);
  const key = hashKey(action, userId(p.source), userId(p.target), at);
  return {
    ...c,
    id: dedupeKey(c.forUserId, kind, key),
    type: kind,
    action: action as never,
    occurredAt: dateOf(at),
    payload: p,
  };
}

export function directMessage(c: Common, p: Json): AnyXEvent {
  const message = obj(p.message_create);
  const sender = idString(message.sender_id) ?? idString(p.sender_id);
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at);
  const id = idString(p.id) ?? idString(p.dm_event_id) ?? hashKey(sender, at, JSON.stringify(message));
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'dm', id),
    type: 'dm.message',
    action: sender !== null && sender === c.forUserId ? 'sent' : 'received',
    occurredAt: dateOf(at),
    payload: p,
  };
}

export function dmSignal(c: Common, type: 'dm.typing' | 'dm.read', p: Json): AnyXEvent {
  const at = timeMs(p.created_timestamp) ?? timeMs(p.created_at);
  const key = hashKey(idString(p.sender_id), idString(obj(p.target).recipient_id), idString(p.last_read_event_id), at);
  return { ...c, id: dedupeKey(c.forUserId, type, key), type, action: null, occurredAt: dateOf(at), payload: p };
}

export function revoke(c: Common, p: Json): AnyXEvent {
  const at = timeMs(p.date_time) ?? timeMs(p.created_at);
  const key = hashKey(idString(obj(p.target).app_id), idString(obj(p.source).user_id), at);
  return { ...c, id: dedupeKey(c.forUserId, 'revoke', key), type: 'app.revoke', action: null, occurredAt: dateOf(at), payload: p };
}

export function profileUpdate(c: Common, field: string, p: Json, eventUuid: string | null): AnyXEvent {
  const at = timeMs(p.created_at) ?? timeMs(p.updated_at);
  const key = eventUuid ? `x${eventUuid}` : hashKey(field, JSON.stringify(p));
  return {
    ...c,
    id: dedupeKey(c.forUserId, 'profile', key),
    type: 'profile.update',
    action: field,
    occurredAt: dateOf(at),
    payload: p,
  };
}

export function replayStatus(c: Common, p: Json): AnyXEvent {
  const state = typeof p.job_state === 'string' ? p.job_state : null;
  const key = `${idString(p.job_id) ?? hashKey(JSON.stringify(p))}:${state ?? ''}`;
  return { ...c, id: dedupeKey(c.forUserId, 'replay', key), type: 'replay.status', action: state, occurredAt: null, payload: p };
}

/** Anything not recognised: kept whole, with what it arrived under. */
export function unknown(c: Common, source: string, content: unknown, eventUuid: string | null = null): AnyXEvent {
  const key = eventUuid ? `x${eventUuid}` : hashKey(source, JSON.stringify(content));
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
