import { recordDeliveries, type Database, type DeliveryInput, type EventInput } from '../../src/store/index.js';

let counter = 0;

/** An event ready to store, unique unless `key` is given. */
export function eventInput(over: Partial<EventInput> = {}): EventInput {
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
  };
}

/** Stores deliveries of one event each, through the same code the receiver uses. */
export async function storeEvents(db: Database, events: EventInput[], receivedAt = new Date()): Promise<void> {
  const deliveries: DeliveryInput[] = events.map((e) => ({
    receivedAt,
    format: e.format,
    status: 'accepted',
    body: Buffer.from(e.payload),
    bodySha256: e.dedupeKey,
    events: [e],
  }));
  for (let i = 0; i < deliveries.length; i += 200) await recordDeliveries(db.prisma, deliveries.slice(i, i + 200));
}
