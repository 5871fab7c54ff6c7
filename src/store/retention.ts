import type { Database } from './database.js';
import { chunks, join, sql } from './sql.js';

export interface RetentionPolicy {
  /** Raw deliveries (and CRC records) older than this are removed. */
  deliveriesBefore: Date;
  /** Completed (and stale) events older than this are removed; never less than the dedupe window. */
  eventsBefore: Date;
  /**
   * The stale line: an activity whose own time is before it is stale when posted again (never
   * dispatched), so its event may go; an event whose time is after it stays, keeping its dedupe
   * key, until its time passes that line too.
   */
  staleBefore: Date;
  /**
   * Events that no handler has taken (pending, without any handler run: no plugin wanted them or
   * no dispatcher runs) received before this are removed too; unset: kept until a handler takes them.
   */
  unhandledBefore?: Date;
  /**
   * Until when the dedupe key of a removed event without a time of its own is kept in dedupe_keys
   * (null: forever). Such an event can never be stale, so its key is what absorbs a repost.
   */
  keepUntimedKeysUntil: Date | null;
  /** The time of this run (leases, expired keys). */
  now: Date;
  /** Rows per delete statement, so no transaction grows without bound. */
  chunk?: number;
}

export interface PruneResult {
  /** Events removed (completed, stale and unhandled ones). */
  events: number;
  /** Of which: pending events that no handler had taken. */
  unhandled: number;
  /** Dedupe keys of removed events kept in dedupe_keys. */
  keptKeys: number;
  /** Kept dedupe keys that expired. */
  expiredKeys: number;
  deliveries: number;
  crcChecks: number;
}

/**
 * Removes what retention allows: completed and stale events past the dedupe window (their
 * handler runs and attempts go with them), pending events no handler has taken past their own
 * limit, then deliveries past the retention window that no longer carry an event, old CRC
 * records and expired dedupe keys. Never touches pending events that a handler has taken, nor
 * events with a dead letter that has not been redriven or a pending handler run (someone has to
 * look at those).
 *
 * Replays: X's signature carries no timestamp, so a body can be posted again at any time. An
 * event goes only once a repost of it would be stale (its time before `staleBefore`); one without
 * a time of its own leaves its dedupe key behind in dedupe_keys. Either way the same body posted
 * again is never dispatched as new.
 */
export async function prune(db: Database, policy: RetentionPolicy): Promise<PruneResult> {
  const chunk = policy.chunk ?? 1000;
  const result: PruneResult = { events: 0, unhandled: 0, keptKeys: 0, expiredKeys: 0, deliveries: 0, crcChecks: 0 };
  const settled = {
    state: { in: ['done', 'stale'] },
    receivedAt: { lt: policy.eventsBefore },
    deadLetters: { none: { redrivenAt: null } },
    // A done event can still hold a pending run of a plugin that is not loaded (renamed or
    // removed): kept until `xaa handlers rename|drop` settles it.
    runs: { none: { state: 'pending' } },
  };
  const unhandled = policy.unhandledBefore && {
    state: 'pending',
    receivedAt: { lt: policy.unhandledBefore },
    runs: { none: {} },
    // Not under a live lease: a dispatcher that just claimed it is about to give it runs.
    OR: [{ leaseUntil: null }, { leaseUntil: { lt: policy.now } }],
  };
  for (;;) {
    const rows = await db.prisma.event.findMany({
      where: {
        OR: unhandled ? [settled, unhandled] : [settled],
        AND: [{ OR: [{ occurredAt: null }, { occurredAt: { lt: policy.staleBefore } }] }],
      },
      select: { id: true, dedupeKey: true, occurredAt: true, state: true },
      take: chunk,
    });
    if (rows.length === 0) break;
    const untimed = rows.filter((r) => r.occurredAt === null).map((r) => r.dedupeKey);
    const { count, kept } = await db.prisma.$transaction(async (tx) => {
      let kept = 0;
      for (const part of chunks(untimed)) {
        kept += await tx.$executeRaw(sql`
          INSERT INTO dedupe_keys (key, pruned_at, expires_at)
          VALUES ${join(part.map((key) => sql`(${key}, ${policy.now}, ${policy.keepUntimedKeysUntil})`))}
          ON CONFLICT (key) DO NOTHING`);
      }
      // The same conditions again: a row that changed since it was read (claimed, redispatched) stays.
      const { count } = await tx.event.deleteMany({
        where: { id: { in: rows.map((r) => r.id) }, OR: unhandled ? [settled, unhandled] : [settled] },
      });
      return { count, kept };
    });
    result.events += count;
    result.keptKeys += kept;
    result.unhandled += rows.filter((r) => r.state === 'pending').length;
    if (rows.length < chunk) break;
  }
  for (;;) {
    const ids = await db.prisma.delivery.findMany({
      where: { receivedAt: { lt: policy.deliveriesBefore }, events: { none: {} } },
      select: { id: true },
      take: chunk,
    });
    if (ids.length === 0) break;
    const { count } = await db.prisma.delivery.deleteMany({ where: { id: { in: ids.map((r) => r.id) } } });
    result.deliveries += count;
    if (ids.length < chunk) break;
  }
  const crc = await db.prisma.crcCheck.deleteMany({ where: { answeredAt: { lt: policy.deliveriesBefore } } });
  result.crcChecks = crc.count;
  const expired = await db.prisma.dedupeKey.deleteMany({ where: { expiresAt: { lt: policy.now } } });
  result.expiredKeys = expired.count;
  return result;
}

/** Events waiting for dispatch, and dead letters not yet redriven: for the metrics gauges. */
export async function queueStats(db: Database): Promise<{ pending: number; deadLetters: number }> {
  const [pending, deadLetters] = await Promise.all([
    db.prisma.event.count({ where: { state: 'pending' } }),
    db.prisma.deadLetter.count({ where: { redrivenAt: null } }),
  ]);
  return { pending, deadLetters };
}
