import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, prune, queueStats, recordDeliveries, retentionPolicy, type Database } from '../../src/store/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';

const DAY = 86_400_000;

function delivery(key: string, receivedAt: Date) {
  return {
    receivedAt,
    format: 'aaa',
    status: 'accepted' as const,
    body: Buffer.from(`{"k":"${key}"}`),
    bodySha256: key,
    events: [{ dedupeKey: key, type: 'follow', forUserId: '1', format: 'aaa', payload: '{}' }],
  };
}

describe.each(providersUnderTest())('retention on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('prunes old completed events and their deliveries, keeps dedupe keys, pending work and dead letters', async () => {
    const now = Date.now();
    const old = new Date(now - 10 * DAY);
    const recent = new Date(now - 6 * DAY); // past the 3-day delivery window, inside the 7-day dedupe window
    await recordDeliveries(db.prisma, [
      delivery('old-done', old),
      delivery('old-pending', old),
      delivery('old-dead', old),
      delivery('recent-done', recent),
      delivery('new-done', new Date(now)),
    ]);
    // An old delivery whose only event was a duplicate: nothing left to keep it.
    await recordDeliveries(db.prisma, [delivery('new-done', old)]);
    await db.prisma.event.updateMany({ where: { dedupeKey: { in: ['old-done', 'old-dead', 'recent-done', 'new-done'] } }, data: { state: 'done' } });
    const dead = await db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: 'old-dead' } });
    await db.prisma.deadLetter.create({
      data: { id: 'dl-1', eventId: dead.id, handler: 'h', attempts: 8, error: 'boom', deadAt: old },
    });
    expect(await queueStats(db)).toEqual({ pending: 1, deadLetters: 1 });

    // 3 days of raw deliveries, 7 days of dedupe keys.
    const result = await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 7, intervalMs: 1000 }, now));
    const keys = (await db.prisma.event.findMany({ select: { dedupeKey: true } })).map((e) => e.dedupeKey).sort();
    expect(keys).toEqual(['new-done', 'old-dead', 'old-pending', 'recent-done']);
    expect(result.events).toBe(1);
    // The old-done delivery and the old duplicate-only delivery are gone; the others carry events.
    expect(result.deliveries).toBe(2);
    expect(await db.prisma.delivery.count()).toBe(4);

    // A second run has nothing left to do.
    expect(await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 7, intervalMs: 1000 }, now))).toMatchObject({ events: 0, deliveries: 0 });
  });

  it('keeps a completed event while it holds a pending run of a plugin that is not loaded', async () => {
    const now = Date.now();
    const old = new Date(now - 10 * DAY);
    await recordDeliveries(db.prisma, [delivery('old-done-orphan', old), delivery('old-done-settled', old)]);
    await db.prisma.event.updateMany({ where: { dedupeKey: { in: ['old-done-orphan', 'old-done-settled'] } }, data: { state: 'done' } });
    const [orphan, settled] = await Promise.all(
      ['old-done-orphan', 'old-done-settled'].map((k) => db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: k } })),
    );
    await db.prisma.handlerRun.createMany({
      data: [
        { id: 'run-orphan', eventId: orphan!.id, handler: 'renamed-away', state: 'pending', nextAttemptAt: old },
        { id: 'run-settled', eventId: settled!.id, handler: 'crm', state: 'done', nextAttemptAt: old },
      ],
    });
    await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 7, intervalMs: 1000 }, now));
    const left = await db.prisma.event.findMany({ where: { dedupeKey: { in: ['old-done-orphan', 'old-done-settled'] } }, select: { dedupeKey: true } });
    expect(left.map((e) => e.dedupeKey)).toEqual(['old-done-orphan']);
    expect(await db.prisma.handlerRun.findUnique({ where: { id: 'run-orphan' } })).toMatchObject({ state: 'pending' });
  });

  it('never lets the dedupe window be shorter than RETENTION_DAYS allows', () => {
    const now = Date.UTC(2026, 10, 27);
    const policy = retentionPolicy({ days: 2, dedupeWindowDays: 5, intervalMs: 1000 }, now);
    expect(now - policy.deliveriesBefore.getTime()).toBe(2 * DAY);
    expect(now - policy.eventsBefore.getTime()).toBe(5 * DAY);
  });
});
