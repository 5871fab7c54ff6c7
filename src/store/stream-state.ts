import type { Db } from './database.js';
import { newId } from './ids.js';

/** The XAA persistent stream's name in stream_state and stream_gaps. */
export const ACTIVITY_STREAM = 'activity';

export interface StreamGapRecord {
  stream: string;
  /** The interval no backfill covered. */
  from: Date;
  to: Date;
  seconds: number;
  detectedAt: Date;
}

/** When the stream last received something (an event stored, or a keep-alive); null: never. */
export async function streamLastSeen(prisma: Db, stream = ACTIVITY_STREAM): Promise<Date | null> {
  const row = await prisma.streamState.findUnique({ where: { name: stream } });
  return row?.lastSeenAt ?? null;
}

/** Moves the stream's last-seen time forward (never back: two consumers may share a store). */
export async function saveStreamLastSeen(prisma: Db, at: Date, stream = ACTIVITY_STREAM): Promise<void> {
  const now = new Date();
  await prisma.streamState.upsert({
    where: { name: stream },
    create: { name: stream, lastSeenAt: at, updatedAt: now },
    update: { updatedAt: now },
  });
  // An older time than the one stored never wins (another consumer may have written a later one).
  await prisma.streamState.updateMany({ where: { name: stream, lastSeenAt: { lt: at } }, data: { lastSeenAt: at, updatedAt: now } });
}

export async function recordStreamGap(prisma: Db, gap: StreamGapRecord): Promise<void> {
  await prisma.streamGap.create({
    data: { id: newId(gap.detectedAt.getTime()), stream: gap.stream, fromAt: gap.from, toAt: gap.to, seconds: gap.seconds, detectedAt: gap.detectedAt },
  });
}

/** Uncovered gaps, newest first. */
export async function listStreamGaps(prisma: Db, o: { since?: Date; limit?: number; stream?: string } = {}): Promise<StreamGapRecord[]> {
  const rows = await prisma.streamGap.findMany({
    where: { stream: o.stream ?? ACTIVITY_STREAM, ...(o.since ? { detectedAt: { gte: o.since } } : {}) },
    orderBy: { detectedAt: 'desc' },
    take: o.limit ?? 20,
  });
  return rows.map((r) => ({ stream: r.stream, from: r.fromAt, to: r.toAt, seconds: r.seconds, detectedAt: r.detectedAt }));
}
