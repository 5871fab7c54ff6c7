import { createHash } from 'node:crypto';
import type { AnyXEvent } from '../events/index.js';
import type { DeliveryInput, EventInput } from '../store/deliveries.js';
import { parseEnvelope } from './envelope/index.js';
import { parseJsonLossless } from './json.js';

/** A verified POST, as it came off the socket. */
export interface RawDelivery {
  receivedAt: Date;
  body: Uint8Array;
  contentType: string | null;
  signature: string | null;
  userAgent: string | null;
  remoteAddr: string | null;
}

/** The stored form of a normalized event. */
export function toEventInput(event: AnyXEvent): EventInput {
  return {
    dedupeKey: event.id,
    type: event.type,
    action: event.action,
    forUserId: event.forUserId,
    format: event.format,
    occurredAt: event.occurredAt,
    payload: JSON.stringify(event.payload) ?? 'null',
    sideObjects: JSON.stringify(event.side),
  };
}

/**
 * Parses and normalizes a verified delivery into what the store writes: the raw bytes, and one
 * event per activity. A body that is not JSON becomes an "unparseable" delivery with no events.
 */
export function prepareDelivery(raw: RawDelivery): DeliveryInput {
  const body = Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength);
  const base = {
    receivedAt: raw.receivedAt,
    body,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    contentType: raw.contentType,
    signature: raw.signature,
    userAgent: raw.userAgent,
    remoteAddr: raw.remoteAddr,
  };
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(body.toString('utf8'));
  } catch {
    return { ...base, format: 'unknown', status: 'unparseable', events: [] };
  }
  const envelope = parseEnvelope(parsed);
  return { ...base, format: envelope.format, status: 'accepted', events: envelope.events.map(toEventInput) };
}
