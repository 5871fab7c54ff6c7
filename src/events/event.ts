import type { EventDataOf } from './data.js';
import type { EventActions, EventFormat, EventType } from './names.js';
import type { PayloadOf } from './payloads.js';

/** The envelope's side objects that came with an activity. */
export interface SideObjects {
  /** AAA DM deliveries: users by id. */
  users?: Record<string, unknown>;
  /** AAA DM deliveries: apps by id. */
  apps?: Record<string, unknown>;
  /** XAA: expanded objects. */
  includes?: Record<string, unknown>;
  /** XAA: the subscription filter that matched, and its tag. */
  filter?: Record<string, unknown>;
  tag?: string;
  /** AAA tweet events: whether the subscribed user blocked the author / is blocked by them. */
  userHasBlocked?: boolean;
  isBlockedBy?: boolean;
  /** The AAA key (e.g. "favorite_events") or XAA event_type the activity arrived under. */
  source: string;
  /**
   * Filtered-stream deliveries: X's `matching_rules` as sent (`{id, tag}`, plus any field X adds,
   * such as an embedding rule's `embedding_similarity`). `event.data.rules` is read from it.
   */
  matchingRules?: unknown[];
  /** XAA: X's id for this event delivery (for inspection: never the dedupe key, a redelivery gets a new one). */
  eventUuid?: string;
}

/** One activity for one subscribed user: what handlers receive. */
export interface XEvent<T extends EventType = EventType> {
  /** The dedupe key: (subscribed user, activity), derived from content. */
  id: string;
  type: T;
  action: EventActions[T];
  /** The subscribed user (for a revoke, the revoking user). Null only when X names none. */
  forUserId: string | null;
  format: EventFormat;
  occurredAt: Date | null;
  /** The activity as X sent it; 64-bit ids are strings. */
  payload: PayloadOf<T>;
  side: SideObjects;
  /**
   * The normalized fields of this type, filled the same from AAA and XAA (see EventDataMap):
   * derived from `payload`, `side` and `type` whenever the event is built, never stored.
   */
  data: EventDataOf<T>;
}

/** An event as an envelope parser makes it, before its normalized fields are derived. */
export type ParsedXEvent = { [T in EventType]: Omit<XEvent<T>, 'data'> }[EventType];

/** Any event, as a union discriminated on `type` (narrowing `type` narrows `payload`). */
export type AnyXEvent = { [T in EventType]: XEvent<T> }[EventType];
