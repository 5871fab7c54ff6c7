import type { AnyXEvent, EventDataMap, ParsedXEvent } from '../../events/index.js';
import { isObject, obj } from '../envelope/fields.js';
import { profileUpdateData, newsData, replayStatusData, revokeData } from './account.js';
import { broadcastChatData, broadcastData, spaceData } from './broadcasts.js';
import { chatData, directMessageData, directMessageSignalData } from './messages.js';
import { postData, postDeleteData, postMatchData } from './posts.js';
import { likeData, relationshipData } from './social.js';

/**
 * The normalized fields of an event (`event.data`), from its type, payload and side objects
 * alone: the same for AAA and XAA, and derivable again from what the store keeps (the payload
 * by reference into the delivery body, the side objects), so nothing more is stored.
 */
export function eventData(e: ParsedXEvent): EventDataMap[ParsedXEvent['type']] {
  const p = obj(e.payload);
  // Side objects as stored: X's, or anything a hostile body or an older version left there.
  const side = isObject(e.side) ? e.side : { source: 'unknown' };
  switch (e.type) {
    case 'post.create':
      return postData(p, side, e.forUserId, e.format);
    case 'post.delete':
      return postDeleteData(p);
    case 'like':
      return likeData(p, side, e.forUserId);
    case 'follow':
    case 'block':
    case 'mute':
      return relationshipData(p, side);
    case 'dm.message':
      return directMessageData(p, side);
    case 'dm.typing':
    case 'dm.read':
      return directMessageSignalData(p);
    case 'app.revoke':
      return revokeData(p);
    case 'profile.update':
      return profileUpdateData(p, e.action, e.forUserId);
    case 'replay.status':
      return replayStatusData(p);
    case 'chat.message':
    case 'chat.conversation':
      return chatData(p);
    case 'news':
      return newsData(p, side);
    case 'space':
      return spaceData(p, side);
    case 'broadcast':
      return broadcastData(p, side);
    case 'broadcast.chat':
      return broadcastChatData(p, side);
    case 'post.match':
      return postMatchData(p, side);
    default:
      return null;
  }
}

/** The event with its normalized fields. */
export function withData(e: ParsedXEvent): AnyXEvent {
  return { ...e, data: eventData(e) } as AnyXEvent;
}
