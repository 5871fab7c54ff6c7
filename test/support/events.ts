import { recordDeliveries, type Database, type DeliveryInput, type EventInput, type RecordOptions } from '../../src/store/index.js';

let counter = 0;

/** An event ready to store, unique unless `key` is given. */
export function eventInput(over: Partial<EventInput> = {}): EventInput & { payload: string } {
  counter++;
  return {
    dedupeKey: `test:${process.pid}:${Date.now()}:${counter}`,
    type: 'follow',
    action: 'follow',
    forUserId: '2244994945',
    format: 'aaa',
    occurredAt: new Date(),
    payload: JSON.stringify({ type: 'follow', source: { id: '1' }, target: { id: '2244994945' }, seq: counter }),
    sideObjects: JSON.stringify({ source: 'follow_events' }),
    ...over,
  } as EventInput & { payload: string };
}

/** Activity times of this run: recent, so that none is older than the dedupe window (stale, never dispatched). */
const RECENT = Date.now() - 60_000;

/**
 * An AAA delivery of one follow event for `forUserId`, distinct for every i (its own dedupe key,
 * its activity time i ms after RECENT), carrying i as `seq` (the recorder plugin's
 * RECORDER_FAIL_EVERY reads it).
 */
export function followDelivery(i: number, forUserId = '2244994945'): Buffer {
  return Buffer.from(
    JSON.stringify({
      for_user_id: forUserId,
      follow_events: [
        {
          type: 'follow',
          created_timestamp: String(RECENT + i),
          source: { id_str: String(100000 + i) },
          target: { id_str: forUserId },
          seq: i,
        },
      ],
    }),
  );
}

/** Stores deliveries of one event each, through the same code the receiver uses (`options`: its RecordOptions, such as the dedupe window). */
export async function storeEvents(db: Database, events: EventInput[], receivedAt = new Date(), options: RecordOptions = {}): Promise<void> {
  const deliveries: DeliveryInput[] = events.map((e) => ({
    receivedAt,
    format: e.format,
    status: 'accepted',
    body: Buffer.from(e.payload ?? 'null'),
    bodySha256: e.dedupeKey,
    events: [e],
  }));
  for (let i = 0; i < deliveries.length; i += 200) await recordDeliveries(db.prisma, deliveries.slice(i, i + 200), options);
}
