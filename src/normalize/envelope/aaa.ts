import type { ParsedXEvent, SideObjects } from '../../events/index.js';
import * as build from './activities.js';
import { bool, idString, isObject, type Json } from './fields.js';

/** Top-level keys of an AAA envelope that are not activities. */
const META_KEYS = new Set(['for_user_id', 'user_has_blocked', 'is_blocked_by', 'users', 'apps']);

/** Keys that mark a body as an AAA envelope. */
export function looksLikeAaa(body: Json): boolean {
  return (
    'for_user_id' in body ||
    'user_event' in body ||
    'replay_job_status' in body ||
    Object.keys(body).some((k) => k.endsWith('_events'))
  );
}

type Builder = (c: Parameters<typeof build.post>[0], element: Json) => ParsedXEvent;

const ARRAY_KEYS: Record<string, Builder> = {
  tweet_create_events: build.post,
  favorite_events: build.like,
  follow_events: (c, e) => build.relationship(c, 'follow', null, e),
  block_events: (c, e) => build.relationship(c, 'block', null, e),
  mute_events: (c, e) => build.relationship(c, 'mute', null, e),
  // X's list of AAA activities names these keys; its samples send the undo as follow_events (and
  // so on) of type "unfollow". Both give the same event, with the same dedupe key.
  unfollow_events: (c, e) => build.relationship(c, 'follow', 'unfollow', e),
  unblock_events: (c, e) => build.relationship(c, 'block', 'unblock', e),
  unmute_events: (c, e) => build.relationship(c, 'mute', 'unmute', e),
  direct_message_events: (c, e) =>
    e.type === undefined || e.type === 'message_create' ? build.directMessage(c, e) : build.unknown(c, 'direct_message_events', e),
  direct_message_indicate_typing_events: (c, e) => build.dmSignal(c, 'dm.typing', e),
  direct_message_mark_read_events: (c, e) => build.dmSignal(c, 'dm.read', e),
  tweet_delete_events: build.postDelete,
};

/** One normalized event per activity of an Account Activity API delivery. Unknown keys are kept. */
export function parseAaa(body: Json): ParsedXEvent[] {
  const forUserId = idString(body.for_user_id);
  const side: Omit<SideObjects, 'source'> = {};
  if (isObject(body.users)) side.users = body.users;
  if (isObject(body.apps)) side.apps = body.apps;
  const blocked = bool(body.user_has_blocked);
  if (blocked !== undefined) side.userHasBlocked = blocked;
  const blockedBy = bool(body.is_blocked_by);
  if (blockedBy !== undefined) side.isBlockedBy = blockedBy;

  const events: ParsedXEvent[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (META_KEYS.has(key)) continue;
    const common = { forUserId, format: 'aaa' as const, side: { ...side, source: key } };
    // Own keys only: a delivery may carry keys such as "constructor" or "__proto__".
    const builder = Object.hasOwn(ARRAY_KEYS, key) ? ARRAY_KEYS[key] : undefined;
    if (builder && Array.isArray(value)) {
      for (const element of value) {
        events.push(isObject(element) ? builder(common, element) : build.unknown(common, key, element));
      }
    } else if (key === 'user_event' && isObject(value) && isObject(value.revoke)) {
      // No for_user_id: the revoking user (source.user_id) is the event's user.
      events.push(build.revoke(common, value.revoke));
    } else if (key === 'replay_job_status' && isObject(value)) {
      events.push(build.replayStatus(common, value));
    } else {
      events.push(build.unknown(common, key, value));
    }
  }
  return events;
}
