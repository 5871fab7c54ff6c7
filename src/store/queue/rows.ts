import type { StoredActivity } from '../inbox/activity.js';
import type { QueuedEvent } from './types.js';

/** A claimed events row as either driver returns it (snake_case columns; dates as Date or text). */
export type EventRow = Record<string, unknown>;

function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** How the row keeps its payload: inline, or by reference into its delivery's body. */
export function storedActivity(r: EventRow): StoredActivity {
  return {
    payload: r.payload == null ? null : String(r.payload),
    sideObjects: r.side_objects == null ? null : String(r.side_objects),
    deliveryId: String(r.delivery_id),
    activityIndex: r.activity_index == null ? null : Number(r.activity_index),
  };
}

/** The claimed row as the dispatcher takes it, with its payload read. */
export function toQueuedEvent(r: EventRow, activity: { payload: string | null; sideObjects: string | null }): QueuedEvent {
  return {
    id: String(r.id),
    dedupeKey: String(r.dedupe_key),
    type: String(r.type),
    action: r.action == null ? null : String(r.action),
    forUserId: r.for_user_id == null ? null : String(r.for_user_id),
    format: String(r.format),
    occurredAt: r.occurred_at == null ? null : date(r.occurred_at),
    receivedAt: date(r.received_at),
    payload: activity.payload,
    sideObjects: activity.sideObjects,
  };
}

/** The columns a claim returns. */
export const CLAIM_COLUMNS =
  'id, dedupe_key, type, action, for_user_id, format, occurred_at, received_at, payload, side_objects, delivery_id, activity_index';

/**
 * The due, free events a claim takes, earliest due first and then in id order: read in the order
 * of the (state, available_at, id) index, as many rows as the claim takes, however many events
 * share one due time (a bulk redrive sets one on all of them). Placeholders: now, now, limit.
 */
export const DUE_EVENTS_SQL = `
      SELECT e.id FROM events e
      WHERE e.state = 'pending' AND e.available_at <= ? AND (e.lease_until IS NULL OR e.lease_until < ?)
      ORDER BY e.available_at, e.id LIMIT ?`;
