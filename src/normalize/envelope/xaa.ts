import type { ParsedXEvent, SideObjects } from '../../events/index.js';
import * as build from './activities.js';
import { idString, isObject, obj, type Json } from './fields.js';
import { xaaMapping } from './xaa-map.js';

/** An XAA delivery: `{"data": {"event_type": ..., ...}}` (or an array of such under data). */
export function looksLikeXaa(body: Json): boolean {
  const data = body.data;
  if (isObject(data)) return typeof data.event_type === 'string';
  return Array.isArray(data) && data.length > 0 && data.every((d) => isObject(d) && typeof d.event_type === 'string');
}

/** One normalized event per X Activity API event. Undocumented event types are kept as `unknown`. */
export function parseXaa(body: Json): ParsedXEvent[] {
  const items = Array.isArray(body.data) ? body.data : [body.data];
  return items.filter(isObject).flatMap(parseOne);
}

/** The legacy DM family may deliver the AAA array shape (X's dm.sent / dm.received samples do). */
const DM_ARRAYS = ['direct_message_events', 'direct_message_indicate_typing_events', 'direct_message_mark_read_events'];

function parseOne(data: Json): ParsedXEvent | ParsedXEvent[] {
  const eventType = String(data.event_type);
  const filter = obj(data.filter);
  const payload = obj(data.payload);
  const eventUuid = idString(data.event_uuid);
  const side: SideObjects = { source: eventType, filter };
  if (typeof data.tag === 'string') side.tag = data.tag;
  if (eventUuid) side.eventUuid = eventUuid;
  if (isObject(data.includes)) side.includes = data.includes;
  const c = { forUserId: idString(filter.user_id), format: 'xaa' as const, side };
  const mapping = xaaMapping(eventType);
  if (!mapping || !isObject(data.payload)) return build.unknown(c, eventType, data.payload ?? data);

  switch (mapping.type) {
    case 'post.create':
      return build.post(c, payload);
    case 'post.delete':
      return build.postDelete(c, payload);
    case 'like':
      return build.like(c, payload);
    case 'follow':
    case 'block':
    case 'mute':
      return build.relationship(c, mapping.type, mapping.action, payload);
    case 'dm.message':
    case 'dm.typing':
    case 'dm.read': {
      // X's samples: {direct_message_events: [...], users: {id: {data: user}}}: one event per
      // message, the users map beside each (as AAA's envelope has it). dm.read and
      // dm.indicate_typing have no sample: read bare or in AAA's arrays, as AAA shapes them.
      if (isObject(payload.users)) side.users = payload.users;
      const list = DM_ARRAYS.map((k) => payload[k]).find(Array.isArray);
      const one = (m: Json) =>
        mapping.type === 'dm.message' ? build.directMessage(c, m, mapping.action) : build.dmSignal(c, mapping.type, m);
      return list ? list.map((m) => (isObject(m) ? one(m) : build.unknown(c, eventType, m))) : one(payload);
    }
    case 'app.revoke':
      return build.revoke(c, payload);
    case 'profile.update':
      return build.profileUpdate(c, mapping.action, payload);
    case 'chat.message':
    case 'chat.conversation':
      return build.chat(c, mapping.type, mapping.action, payload);
    case 'news':
      return build.news(c, payload);
    case 'space':
    case 'broadcast':
      return build.broadcast(c, mapping.type, mapping.action, payload);
    case 'broadcast.chat':
      return build.broadcastChat(c, payload);
    default:
      return build.unknown(c, eventType, data.payload);
  }
}
