import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prune, queueStats, recordDeliveries, retentionPolicy, type Database } from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';

const DAY = 86_400_000;

/** A delivery of one event; its activity time is its receipt unless `occurredAt` says otherwise (null: none). */
function delivery(key: string, receivedAt: Date, occurredAt: Date | null = receivedAt) {
  return {
    receivedAt,
    format: 'aaa',
    status: 'accepted' as const,
    body: Buffer.from(`{"k":"${key}"}`),
    bodySha256: key,
    events: [{ dedupeKey: key, type: 'follow', forUserId: '1', format: 'aaa', payload: '{}', occurredAt }],
  };
}

describe.each(providersUnderTest())('retention on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterAll(() => closeAndDrop(db, testDb));

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

  it('prunes events no handler took after RETENTION_UNHANDLED_DAYS, never those a handler holds or has taken', async () => {
    const now = Date.now();
    const month = new Date(now - 30 * DAY);
    // A simulated month with no plugin: 60 events nobody took, one taken by a handler (a pending
    // run), one under a live lease (a dispatcher just claimed it), and yesterday's.
    const unhandled = Array.from({ length: 60 }, (_, i) => delivery(`unhandled-${i}`, month));
    await recordDeliveries(db.prisma, [
      ...unhandled,
      delivery('taken-by-handler', month),
      delivery('leased-now', month),
      delivery('unhandled-yesterday', new Date(now - DAY)),
    ]);
    const taken = await db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: 'taken-by-handler' } });
    await db.prisma.handlerRun.create({ data: { id: 'run-taken', eventId: taken.id, handler: 'crm', state: 'pending', attempts: 2, nextAttemptAt: new Date(now) } });
    await db.prisma.event.updateMany({ where: { dedupeKey: 'leased-now' }, data: { leaseOwner: 'worker-1', leaseUntil: new Date(now + 30_000) } });
    const before = (await queueStats(db)).pending;

    // Unset (0): kept until a handler takes them, as before.
    expect(await prune(db, retentionPolicy({ days: 7, dedupeWindowDays: 5, unhandledDays: 0 }, now))).toMatchObject({ events: 0, unhandled: 0 });
    const result = await prune(db, retentionPolicy({ days: 7, dedupeWindowDays: 5, unhandledDays: 14 }, now));
    expect(result).toMatchObject({ events: 60, unhandled: 60 });
    expect((await queueStats(db)).pending).toBe(before - 60);
    const left = await db.prisma.event.findMany({
      where: { dedupeKey: { in: ['taken-by-handler', 'leased-now', 'unhandled-yesterday', 'unhandled-0'] } },
      select: { dedupeKey: true },
    });
    expect(left.map((e) => e.dedupeKey).sort()).toEqual(['leased-now', 'taken-by-handler', 'unhandled-yesterday']);
    // Their deliveries went with them (past RETENTION_DAYS, no event left).
    expect(await db.prisma.delivery.count({ where: { bodySha256: { startsWith: 'unhandled-' } } })).toBe(1);
    // Timed activities a month old leave no key behind: a repost of them is stale.
    expect(await db.prisma.dedupeKey.count({ where: { key: { startsWith: 'unhandled-' } } })).toBe(0);
    // Never sooner than the dedupe window, whatever RETENTION_UNHANDLED_DAYS says.
    const policy = retentionPolicy({ days: 1, dedupeWindowDays: 5, unhandledDays: 1 }, now);
    expect(now - policy.unhandledBefore!.getTime()).toBe(5 * DAY);
  });

  it('keeps an event whose own time is still inside the dedupe window, whatever its receipt time', async () => {
    const now = Date.now();
    const old = new Date(now - 10 * DAY);
    // Received 10 days ago, yet its activity time is yesterday (a clock ahead of ours): a repost
    // would not be stale, so its key must stay, with its event.
    await recordDeliveries(db.prisma, [delivery('ahead-of-receipt', old, new Date(now - DAY))]);
    await db.prisma.event.updateMany({ where: { dedupeKey: 'ahead-of-receipt' }, data: { state: 'done' } });
    await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5 }, now));
    expect(await db.prisma.event.count({ where: { dedupeKey: 'ahead-of-receipt' } })).toBe(1);
    // Once that time is past the window too, it goes.
    await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5 }, now + 5 * DAY));
    expect(await db.prisma.event.count({ where: { dedupeKey: 'ahead-of-receipt' } })).toBe(0);
  });

  it('keeps the key of a pruned event without a time for DEDUPE_UNTIMED_KEY_DAYS (0: forever), then lets it expire', async () => {
    const now = Date.now();
    const old = new Date(now - 10 * DAY);
    await recordDeliveries(db.prisma, [delivery('untimed-a', old, null), delivery('untimed-b', old, null)]);
    await db.prisma.event.updateMany({ where: { dedupeKey: { in: ['untimed-a', 'untimed-b'] } }, data: { state: 'done' } });
    await db.prisma.event.updateMany({ where: { dedupeKey: 'untimed-b' }, data: { state: 'stale' } });
    const first = await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5, untimedKeyDays: 20 }, now));
    expect(first).toMatchObject({ keptKeys: 2, expiredKeys: 0 });
    expect(await db.prisma.event.count({ where: { dedupeKey: { in: ['untimed-a', 'untimed-b'] } } })).toBe(0);
    const kept = await db.prisma.dedupeKey.findMany({ where: { key: { in: ['untimed-a', 'untimed-b'] } }, orderBy: { key: 'asc' } });
    expect(kept.map((k) => [k.key, k.expiresAt?.getTime()])).toEqual([
      ['untimed-a', now + 20 * DAY],
      ['untimed-b', now + 20 * DAY],
    ]);
    expect(await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5, untimedKeyDays: 20 }, now + 19 * DAY))).toMatchObject({ expiredKeys: 0 });
    expect(await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5, untimedKeyDays: 20 }, now + 21 * DAY))).toMatchObject({ expiredKeys: 2 });

    await recordDeliveries(db.prisma, [delivery('untimed-forever', old, null)]);
    await db.prisma.event.updateMany({ where: { dedupeKey: 'untimed-forever' }, data: { state: 'done' } });
    await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5, untimedKeyDays: 0 }, now));
    await prune(db, retentionPolicy({ days: 3, dedupeWindowDays: 5, untimedKeyDays: 0 }, now + 3650 * DAY));
    expect(await db.prisma.dedupeKey.findUnique({ where: { key: 'untimed-forever' } })).toMatchObject({ expiresAt: null });
  });

  it('never lets the dedupe window be shorter than RETENTION_DAYS allows', () => {
    const now = Date.UTC(2026, 10, 27);
    const policy = retentionPolicy({ days: 2, dedupeWindowDays: 5, intervalMs: 1000 }, now);
    expect(now - policy.deliveriesBefore.getTime()).toBe(2 * DAY);
    expect(now - policy.eventsBefore.getTime()).toBe(5 * DAY);
  });
});
