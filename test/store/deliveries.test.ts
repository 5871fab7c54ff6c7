import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody, openDatabase, recordDelivery, recordDeliveries, type Database, type DeliveryInput } from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, repoRoot, type TestDatabase } from '../support/databases.js';

const run = promisify(execFile);

function delivery(keys: string[], over: Partial<DeliveryInput> = {}): DeliveryInput {
  const body = Buffer.from(JSON.stringify({ keys }));
  return {
    receivedAt: new Date(),
    format: 'aaa',
    status: 'accepted',
    body,
    bodySha256: keys.join(','),
    events: keys.map((k) => ({ dedupeKey: k, type: 'post.create', forUserId: '42', format: 'aaa', payload: '{}' })),
    ...over,
  };
}

describe.each(providersUnderTest())('store on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterAll(() => closeAndDrop(db, testDb));

  it('keeps 1,000 deliveries written 16-way concurrently by a process that then exits', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test/fixtures/write-deliveries.ts'), testDb.url, '1000', '16', 'restart'],
      { cwd: repoRoot },
    );
    expect(stdout.trim()).toBe('done 1000');
    // A fresh connection, as after a restart.
    const fresh = await openDatabase(testDb.config);
    try {
      expect(await fresh.prisma.delivery.count({ where: { bodySha256: { startsWith: 'restart-' } } })).toBe(1000);
      expect(await fresh.prisma.event.count({ where: { dedupeKey: { startsWith: '1:test:restart:' } } })).toBe(1000);
    } finally {
      await fresh.close();
    }
  });

  it('stores a delivery whose event is already known, as a duplicate of the first', async () => {
    const first = await recordDelivery(db.prisma, delivery(['42:post:1', '42:post:2']));
    expect(first).toMatchObject({ status: 'accepted', duplicates: 0 });
    expect(first.newEventIds).toHaveLength(2);

    const again = await recordDelivery(db.prisma, delivery(['42:post:2', '42:post:3']));
    expect(again).toMatchObject({ status: 'accepted', duplicates: 1 });
    expect(again.newEventIds).toHaveLength(1);

    const only = await recordDelivery(db.prisma, delivery(['42:post:1']));
    expect(only).toMatchObject({ status: 'duplicate', duplicates: 1, newEventIds: [] });

    const rows = await db.prisma.delivery.findMany({ where: { id: { in: [first.deliveryId, again.deliveryId, only.deliveryId] } } });
    expect(rows).toHaveLength(3);
    const known = await db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: '42:post:1' } });
    expect(known.deliveryId).toBe(first.deliveryId);
    expect(known.duplicateCount).toBe(1);
  });

  it('commits a batch of deliveries in one transaction, duplicates within the batch included', async () => {
    const results = await recordDeliveries(db.prisma, [delivery(['42:post:10']), delivery(['42:post:10']), delivery(['42:post:11'])]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'duplicate', 'accepted']);
  });

  it('keeps the raw body bytes exactly, including invalid UTF-8', async () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const r = await recordDelivery(db.prisma, { ...delivery([]), body, status: 'unparseable', format: 'unknown' });
    const row = await db.prisma.delivery.findUniqueOrThrow({ where: { id: r.deliveryId } });
    expect(decodeBody(row.body, row.bodyEncoding).equals(body)).toBe(true);
    expect(row.status).toBe('unparseable');
  });
});
