import { createHash } from 'node:crypto';
import type { ParsedXEvent } from '../events/index.js';
import type { DeliveryInput, EventInput, RawDelivery } from '../store/inbox/types.js';
import { UNSTORABLE } from './envelope/fields.js';
import { parseEnvelope } from './envelope/index.js';
import { parseJsonLossless } from './json.js';

export type { RawDelivery };

/** Longest dedupe key kept as is: X's ids make keys of well under 100 characters. */
const MAX_KEY_LENGTH = 200;
/** Longest subscribed-user id kept: X's user ids are at most 20 digits. */
const MAX_USER_ID_LENGTH = 64;

/**
 * Text from the delivery that goes into indexed columns must be storable as is on both databases
 * and short enough for a PostgreSQL b-tree entry. X's own values always are; anything else (a
 * hostile or corrupted id) is replaced deterministically: the dedupe key by a hash of itself (so
 * that distinct keys stay distinct), the user id by null, a label by its storable prefix.
 */
function storableKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH && !UNSTORABLE.test(key) ? key : `k${createHash('sha256').update(JSON.stringify(key)).digest('hex')}`;
}

function storableUserId(id: string | null): string | null {
  return id === null || (id.length <= MAX_USER_ID_LENGTH && !UNSTORABLE.test(id)) ? id : null;
}

function storableLabel(label: string | null): string | null {
  if (label === null || (label.length <= MAX_KEY_LENGTH && !UNSTORABLE.test(label))) return label;
  return JSON.stringify(label).slice(1, -1).slice(0, MAX_KEY_LENGTH);
}

/** The indexed fields of a normalized event, as the store keeps them. */
function storedFields(event: ParsedXEvent) {
  return {
    dedupeKey: storableKey(event.id),
    type: event.type,
    action: storableLabel(event.action),
    forUserId: storableUserId(event.forUserId),
    format: event.format,
    occurredAt: event.occurredAt,
  };
}

/** The stored form of a normalized event, its payload and side objects as JSON text. */
export function toEventInput(event: ParsedXEvent): EventInput & { payload: string; sideObjects: string } {
  return { ...storedFields(event), payload: JSON.stringify(event.payload) ?? 'null', sideObjects: JSON.stringify(event.side) };
}

/**
 * The stored form of the event at `activityIndex` of its delivery's body: the store keeps its
 * payload and side objects by that reference (read back with activitiesOf or activityOf), so
 * they are not written out as text here.
 */
function byReference(event: ParsedXEvent, activityIndex: number): EventInput {
  return { ...storedFields(event), activityIndex };
}

/**
 * Parses and normalizes a verified delivery into what the store writes: the raw bytes, and one
 * event per activity. A body that is not JSON (or JSON that cannot be normalized) becomes an
 * "unparseable" delivery with no events. Never throws for any body.
 */
export function prepareDelivery(raw: RawDelivery): DeliveryInput {
  const body = Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength);
  const base = {
    receivedAt: raw.receivedAt,
    body,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    contentType: raw.contentType,
    userAgent: raw.userAgent,
    remoteAddr: raw.remoteAddr,
    source: raw.source ?? 'webhook',
  };
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(body.toString('utf8'));
  } catch {
    return { ...base, format: 'unknown', status: 'unparseable', events: [] };
  }
  try {
    const envelope = parseEnvelope(parsed);
    // Each event knows its position among the body's activities: the store keeps the payload by
    // that reference rather than a second copy of it (activitiesOf reads it back), and a handler
    // gets it parsed from the body when it first reads it (activityOf).
    // A delivery of several activities keeps their text too, for the dispatcher: parsing the
    // whole body for each of them would cost it quadratically in their number.
    const events =
      envelope.events.length === 1 ? [byReference(envelope.events[0]!, 0)] : envelope.events.map((e, activityIndex) => ({ ...toEventInput(e), activityIndex }));
    return { ...base, format: envelope.format, status: 'accepted', events };
  } catch {
    // Valid JSON that cannot be normalized, such as nesting too deep for JSON.stringify (a
    // RangeError; JSON.parse itself is not recursive). Kept as unparseable like invalid JSON:
    // thrown, it would fail the whole group commit, be answered 503 and retried by X forever.
    return { ...base, format: 'unknown', status: 'unparseable', events: [] };
  }
}

/**
 * The payload and side objects of every activity of a delivery body, exactly as prepareDelivery
 * made them when it stored the events by reference (read back by position); [] if none.
 */
export function activitiesOf(body: Uint8Array): Array<{ payload: string; sideObjects: string }> {
  try {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    return parseEnvelope(parseJsonLossless(text)).events.map((event) => {
      const input = toEventInput(event);
      return { payload: input.payload, sideObjects: input.sideObjects ?? 'null' };
    });
  } catch {
    return [];
  }
}

/**
 * The payload and side objects of the activity at `index` of a delivery body, parsed: the same
 * values JSON.parse gives of what activitiesOf returns for it (fresh objects on every call).
 * Null if the body does not yield that activity.
 */
export function activityOf(body: Uint8Array, index: number): { payload: unknown; side: unknown } | null {
  try {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    const event = parseEnvelope(parseJsonLossless(text)).events[index];
    return event ? { payload: event.payload ?? null, side: event.side } : null;
  } catch {
    return null;
  }
}
