import type { BroadcastChatData, BroadcastData, SideObjects, SpaceData } from '../../events/index.js';
import { dateOf, idString, timeMs, type Json } from '../envelope/fields.js';
import { str, userRef } from './users.js';

function numberOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

/** spaces.start / spaces.end: `{user: {data: host}, broadcast_id, event_type}`. */
export function spaceData(p: Json, side: SideObjects): SpaceData {
  const host = userRef(p.user, side);
  return { spaceId: idString(p.broadcast_id), hostId: host.id, hostUsername: host.username };
}

/** broadcast.start / broadcast.end (numbers come as JSON numbers and as *_str strings). */
export function broadcastData(p: Json, side: SideObjects): BroadcastData {
  const host = userRef(p.user, side);
  return {
    broadcastId: idString(p.broadcast_id),
    hostId: host.id,
    hostUsername: host.username,
    title: str(p.title),
    state: str(p.broadcast_state),
    language: str(p.language),
    createdAt: dateOf(timeMs(p.created_timestamp_ms_str) ?? timeMs(p.created_timestamp_ms)),
    at: dateOf(timeMs(p.event_timestamp_ms_str) ?? timeMs(p.event_timestamp_ms)),
    durationMs: numberOf(p.duration_ms_str) ?? numberOf(p.duration_ms),
  };
}

/** broadcast.chat: `{broadcast_id, message_id, message, author: {data: user}}`. */
export function broadcastChatData(p: Json, side: SideObjects): BroadcastChatData {
  const author = userRef(p.author, side);
  return {
    broadcastId: idString(p.broadcast_id),
    messageId: idString(p.message_id),
    text: str(p.message),
    authorId: author.id,
    authorUsername: author.username,
  };
}
