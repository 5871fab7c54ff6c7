import type { AnyXEvent, SideObjects } from '../../events/index.js';
import * as build from './activities.js';
import { idString, isObject, obj, type Json } from './fields.js';

/** An XAA delivery: `{"data": {"event_type": ..., ...}}` (or an array of such under data). */
export function looksLikeXaa(body: Json): boolean {
  const data = body.data;
  if (isObject(data)) return typeof data.event_type === 'string';
  return Array.isArray(data) && data.length > 0 && data.every((d) => isObject(d) && typeof d.event_type === 'string');
}

/** One normalized event per X Activity API event. Unknown event types are kept as `unknown`. */
export function parseXaa(body: Json): AnyXEvent[] {
  const items = Array.isArray(body.data) ? body.data : [body.data];
  return items.filter(isObject).flatMap(parseOne);
}

function parseOne(data: Json): AnyXEvent | AnyXEvent[] {
  const eventType = String(data.event_type);
  const filter = obj(data.filter);
  const payload = obj(data.payload);
  const eventUuid = idString(data.event_uuid);
  const side: SideObjects = { source: eventType, filter };
  if (typeof data.tag === 'string') side.tag = data.tag;
  if (eventUuid) side.eventUuid = eventUuid;
  if (isObject(data.includes)) side.includes = data.includes;
  const forUserId = idString(filter.user_id);
  const c = { forUserId, format: 'xaa' as const, side };
  const [family = '', verb = '', ...rest] = eventType.toLowerCase().split('.');

  switch (family) {
    case 'post':
    case 'tweet':
      if (verb === 'create') return build.post(c, payload);
      if (verb === 'delete') return build.postDelete(c, payload);
      break;
    case 'like':
    case 'favorite':
      if (!verb.startsWith('un') && verb !== 'delete') return build.like(c, payload);
      break;
    case 'follow':
    case 'block':
    case 'mute':
      return build.relationship(c, family, verb || null, payload);
    case 'profile':
      if (verb === 'update') return build.profileUpdate(c, rest.join('.') || 'unknown', payload, eventUuid);
      break;
    case 'dm':
    case 'chat':
    case 'direct_message': {
      const sub = [verb, ...rest].join('.');
      if (sub.includes('typing')) return build.dmSignal(c, 'dm.typing', payload);
      if (sub.includes('read')) return build.dmSignal(c, 'dm.read', payload);
      // The DM family reuses the AAA direct_message_events shape, bare or still wrapped in its
      // array: every message of the array is an event.
      if (Array.isArray(payload.direct_message_events)) {
        return payload.direct_message_events.map((m) => (isObject(m) ? build.directMessage(c, m) : build.unknown(c, eventType, m)));
      }
      return build.directMessage(c, payload);
    }
    default:
      if (eventType.toLowerCase().includes('revoke')) {
        // The revoking user, as for AAA's user_event (source first): the same dedupe key either way.
        const revokingUser = idString(obj(payload.source).user_id) ?? forUserId;
        return build.revoke({ ...c, forUserId: revokingUser }, payload);
      }
  }
  return build.unknown(c, eventType, data.payload ?? data, eventUuid);
}
