/** A verified POST, as it came off the socket: what the receiver hands to the inbox. */
export interface RawDelivery {
  receivedAt: Date;
  body: Uint8Array;
  contentType: string | null;
  userAgent: string | null;
  remoteAddr: string | null;
  /** How it arrived: a webhook POST (the default) or a line of the XAA persistent stream. */
  source?: DeliverySource;
}

/** How a delivery arrived (deliveries.source). */
export type DeliverySource = 'webhook' | 'stream';

/** An activity as the receiver normalized it, ready to be stored. */
export interface EventInput {
  /** Content-derived key of (subscribed user, activity); unique across the store. */
  dedupeKey: string;
  type: string;
  action?: string | null;
  forUserId?: string | null;
  format: string;
  occurredAt?: Date | null;
  /**
   * The activity as X sent it, as JSON text with 64-bit ids kept as strings. Absent for an event
   * kept by reference (`activityIndex`).
   */
  payload?: string;
  /** The envelope's side objects (users, apps, ...) as JSON text. */
  sideObjects?: string | null;
  /**
   * The event's position among the activities of its delivery's body, when the normalizer made it
   * from that body: the store then keeps payload and side objects by this reference (read back
   * with normalize/prepare.ts activitiesOf), not as a second copy, and the normalizer does not
   * write them out as text. Absent: `payload` and `sideObjects` are stored as given.
   */
  activityIndex?: number | null;
}

export type DeliveryStatus = 'accepted' | 'duplicate' | 'stale' | 'unparseable';

/** One POST as received: raw bytes and the headers that matter, plus its events. */
export interface DeliveryInput {
  receivedAt: Date;
  format: string;
  /**
   * "accepted" or "unparseable"; becomes "duplicate" when every event was known already, "stale"
   * when none was new and at least one was too old to dispatch (see plan.ts isStale).
   */
  status: 'accepted' | 'unparseable';
  body: Uint8Array;
  bodySha256: string;
  contentType?: string | null;
  userAgent?: string | null;
  remoteAddr?: string | null;
  /** Default "webhook". */
  source?: DeliverySource;
  events: EventInput[];
}

export interface RecordedDelivery {
  deliveryId: string;
  status: DeliveryStatus;
  /** Ids of the events this delivery added for dispatch (not the duplicates, not the stale ones). */
  newEventIds: string[];
  duplicates: number;
  /** Events stored as stale: their activity time was older than the dedupe window (not dispatched). */
  stale: number;
}
