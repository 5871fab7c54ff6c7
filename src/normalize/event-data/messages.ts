import type { ChatData, DirectMessageData, DirectMessageSignalData, SideObjects } from '../../events/index.js';
import { dateOf, idString, isObject, obj, timeMs, type Json } from '../envelope/fields.js';
import { str, usernameById } from './users.js';

/** A legacy DM (AAA direct_message_events element; XAA dm.sent / dm.received, the same shape). */
export function directMessageData(p: Json, side: SideObjects): DirectMessageData {
  const message = obj(p.message_create);
  const senderId = idString(message.sender_id) ?? idString(p.sender_id);
  const recipientId = idString(obj(message.target).recipient_id) ?? idString(obj(p.target).recipient_id);
  return {
    messageId: idString(p.id) ?? idString(p.dm_event_id),
    senderId,
    senderUsername: usernameById(side, senderId),
    recipientId,
    recipientUsername: usernameById(side, recipientId),
    text: str(obj(message.message_data).text) ?? str(p.text),
    createdAt: dateOf(timeMs(p.created_timestamp) ?? timeMs(p.created_at)),
  };
}

export function directMessageSignalData(p: Json): DirectMessageSignalData {
  return {
    senderId: idString(p.sender_id),
    recipientId: idString(obj(p.target).recipient_id),
    lastReadEventId: idString(p.last_read_event_id),
    at: dateOf(timeMs(p.created_timestamp) ?? timeMs(p.created_at)),
  };
}

/** An encrypted XChat event: ids and ciphertext as X sent them, no text. */
export function chatData(p: Json): ChatData {
  return {
    encrypted: true,
    eventId: idString(p.id),
    conversationId: idString(p.conversation_id),
    senderId: idString(p.sender_id),
    createdAt: dateOf(timeMs(p.created_at_msec) ?? timeMs(p.created_at)),
    encodedEvent: str(p.encoded_event),
    conversationKeyVersion: idString(p.conversation_key_version),
    conversationToken: str(p.conversation_token),
    conversationKeyChangeEvent: str(p.conversation_key_change_event),
    messageEventSignature: isObject(p.message_event_signature) ? p.message_event_signature : null,
  };
}
