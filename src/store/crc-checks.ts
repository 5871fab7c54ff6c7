import type { Db } from './database.js';
import { newId } from './ids.js';

export interface CrcCheckRecord {
  answeredAt: Date;
  latencyMs: number;
  outcome: 'ok' | 'rejected';
}

/** Records that a CRC challenge was answered (time and latency; never the token). */
export async function recordCrcCheck(prisma: Db, check: CrcCheckRecord): Promise<void> {
  await prisma.crcCheck.create({ data: { id: newId(check.answeredAt.getTime()), ...check } });
}

export async function lastCrcCheck(prisma: Db, outcome: 'ok' | 'rejected' = 'ok'): Promise<CrcCheckRecord | null> {
  const row = await prisma.crcCheck.findFirst({ where: { outcome }, orderBy: { answeredAt: 'desc' } });
  return row ? { answeredAt: row.answeredAt, latencyMs: row.latencyMs, outcome: row.outcome as CrcCheckRecord['outcome'] } : null;
}
