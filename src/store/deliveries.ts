import { Prisma } from './generated/sqlite/client.js';
import type { Db } from './database.js';
import { newId } from './ids.js';

/** An activity as the receiver normalized it, ready to be stored. */
export interface EventInput {
  /** Content-derived key of (subscribed user, activity); unique across the store. */
  dedupeKey: string;
  type: string;
  action?: string | null;
  forUserId?: string | null;
  format: string;
  occurredAt?: Date | null;
  /** The activity as X sent it, as JSON text with 64-bit ids kept as strings. */
  payload: string;
  /** The envelope's side objects (users, apps, ...) as JSON text. */
  sideObjects?: string | null;
}

export type DeliveryStatus = 'accepted' | 'duplicate' | 'unparseable';

/** One POST as received: raw bytes and the headers that matter, plus its events. */
export interface DeliveryInput {
  receivedAt: Date;
  format: string;
  /** "accepted" or "unparseable"; becomes "duplicate" when every event was known already. */
  status: 'accepted' | 'unparseable';
  body: Uint8Array;
  bodySha256: string;
  contentType?: string | null;
  signature?: string | null;
  userAgent?: string | null;
  remoteAddr?: string | null;
  events: EventInput[];
}

export interface RecordedDelivery {
  deliveryId: string;
  status: DeliveryStatus;
  /** Ids of the events this delivery added (not the duplicates). */
  newEventIds: string[];
  duplicates: number;
}

/**
 * Writes deliveries and their events in ONE transaction (group commit: the caller may pass
 * several deliveries that arrived together). An event whose dedupe key is already stored is
 * counted as a duplicate on the first sighting's row, and never fails its delivery.
 */
export async function recordDeliveries(prisma: Db, deliveries: DeliveryInput[]): Promise<RecordedDelivery[]> {
  if (deliveries.length === 0) return [];
  return prisma.$transaction(async (tx) => {
    const results: RecordedDelivery[] = [];
    for (const delivery of deliveries) {
      const deliveryId = newId(delivery.receivedAt.getTime());
      await tx.$executeRaw(Prisma.sql`
        INSERT INTO deliveries (id, received_at, format, status, body, body_sha256, content_type, signature,
                                user_agent, remote_addr, event_count, duplicate_count)
        VALUES (${deliveryId}, ${delivery.receivedAt}, ${delivery.format}, ${delivery.status},
                ${Buffer.from(delivery.body.buffer, delivery.body.byteOffset, delivery.body.byteLength)},
                ${delivery.bodySha256}, ${delivery.contentType ?? null}, ${delivery.signature ?? null},
                ${delivery.userAgent ?? null}, ${delivery.remoteAddr ?? null}, ${delivery.events.length}, 0)`);
      const newEventIds: string[] = [];
      for (const event of delivery.events) {
        const eventId = newId(delivery.receivedAt.getTime());
        const rows = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
          INSERT INTO events (id, dedupe_key, type, action, for_user_id, format, occurred_at, received_at,
                              delivery_id, payload, side_objects, duplicate_count, state, available_at)
          VALUES (${eventId}, ${event.dedupeKey}, ${event.type}, ${event.action ?? null}, ${event.forUserId ?? null},
                  ${event.format}, ${event.occurredAt ?? null}, ${delivery.receivedAt}, ${deliveryId},
                  ${event.payload}, ${event.sideObjects ?? null}, 0, 'pending', ${delivery.receivedAt})
          ON CONFLICT (dedupe_key) DO UPDATE SET duplicate_count = events.duplicate_count + 1
          RETURNING id`);
        if (rows[0]?.id === eventId) newEventIds.push(eventId);
      }
      const duplicates = delivery.events.length - newEventIds.length;
      let status: DeliveryStatus = delivery.status;
      if (duplicates > 0) {
        if (newEventIds.length === 0 && status === 'accepted') status = 'duplicate';
        await tx.$executeRaw(Prisma.sql`
          UPDATE deliveries SET duplicate_count = ${duplicates}, status = ${status} WHERE id = ${deliveryId}`);
      }
      results.push({ deliveryId, status, newEventIds, duplicates });
    }
    return results;
  });
}

export async function recordDelivery(prisma: Db, delivery: DeliveryInput): Promise<RecordedDelivery> {
  const [result] = await recordDeliveries(prisma, [delivery]);
  return result!;
}
