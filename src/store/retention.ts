import type { Database } from './database.js';

export interface RetentionPolicy {
  /** Raw deliveries (and CRC records) older than this are removed. */
  deliveriesBefore: Date;
  /** Completed events older than this are removed; never less than the dedupe window. */
  eventsBefore: Date;
  /** Rows per delete statement, so no transaction grows without bound. */
  chunk?: number;
}

export interface PruneResult {
  events: number;
  deliveries: number;
  crcChecks: number;
}

/**
 * Removes what retention allows: completed events past the dedupe window (their handler runs and
 * attempts go with them), then deliveries past the retention window that no longer carry an
 * event, and old CRC records. Never touches pending events, nor events with a dead letter that
 * has not been redriven or a pending handler run (someone has to look at those).
 */
export async function prune(db: Database, policy: RetentionPolicy): Promise<PruneResult> {
  const chunk = policy.chunk ?? 1000;
  const result: PruneResult = { events: 0, deliveries: 0, crcChecks: 0 };
  for (;;) {
    const ids = await db.prisma.event.findMany({
      where: {
        state: 'done',
        receivedAt: { lt: policy.eventsBefore },
        deadLetters: { none: { redrivenAt: null } },
        // A done event can still hold a pending run of a plugin that is not loaded (renamed or
        // removed): kept until `xaa handlers rename|drop` settles it.
        runs: { none: { state: 'pending' } },
      },
      select: { id: true },
      take: chunk,
    });
    if (ids.length === 0) break;
    const { count } = await db.prisma.event.deleteMany({ where: { id: { in: ids.map((r) => r.id) } } });
    result.events += count;
    if (ids.length < chunk) break;
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
