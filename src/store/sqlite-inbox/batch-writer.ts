import Database from 'better-sqlite3';
import type { DeliveryInput, RecordedDelivery } from '../deliveries.js';
import { newId } from '../ids.js';
import { planBatch, planResults } from '../inbox-plan.js';

export interface SqliteWriterSettings {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

/** Prisma's SQLite DateTime text (adapter "iso8601" format), so rows read back through Prisma. */
export function sqliteTime(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/**
 * A synchronous group-commit writer on its own better-sqlite3 connection with prepared
 * statements: the hot path without Prisma's per-query cost. Meant to run off the main thread
 * (see receiver/ingest-thread), since better-sqlite3 blocks while it waits and fsyncs.
 * Same rows, same rules as recordDeliveries (deliveries.ts), which PostgreSQL uses.
 */
export interface SqliteBatchWriter {
  /** Writes the batch in one transaction (synchronously); throws if it could not commit. */
  write(deliveries: DeliveryInput[]): RecordedDelivery[];
  close(): void;
}

export function openSqliteBatchWriter(settings: SqliteWriterSettings): SqliteBatchWriter {
  const db = new Database(settings.file, { timeout: settings.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${settings.synchronous}`);
  db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');

  const insertDelivery = db.prepare(`
    INSERT INTO deliveries (id, received_at, format, status, body, body_sha256, content_type, signature,
                            user_agent, remote_addr, event_count, duplicate_count)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`);
  const upsertEvent = db.prepare(`
    INSERT INTO events (id, dedupe_key, type, action, for_user_id, format, occurred_at, received_at,
                        delivery_id, payload, side_objects, duplicate_count, state, available_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?)
    ON CONFLICT (dedupe_key) DO UPDATE SET duplicate_count = events.duplicate_count + 1
    RETURNING id`);
  const addRepeats = db.prepare('UPDATE events SET duplicate_count = duplicate_count + ? WHERE dedupe_key = ?');
  const markDuplicates = db.prepare('UPDATE deliveries SET duplicate_count = ?, status = ? WHERE id = ?');

  const write = db.transaction((deliveries: DeliveryInput[]): RecordedDelivery[] => {
    const plan = planBatch(deliveries);
    const deliveryIds = deliveries.map((d) => {
      const id = newId(d.receivedAt.getTime());
      insertDelivery.run(
        id,
        sqliteTime(d.receivedAt),
        d.format,
        d.status,
        Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength),
        d.bodySha256,
        d.contentType ?? null,
        d.signature ?? null,
        d.userAgent ?? null,
        d.remoteAddr ?? null,
        d.events.length,
      );
      return id;
    });
    const inserted = plan.firsts.map(({ delivery, eventIndex }) => {
      const d = deliveries[delivery]!;
      const e = d.events[eventIndex]!;
      const id = newId(d.receivedAt.getTime());
      const received = sqliteTime(d.receivedAt);
      const row = upsertEvent.get(
        id,
        e.dedupeKey,
        e.type,
        e.action ?? null,
        e.forUserId ?? null,
        e.format,
        e.occurredAt ? sqliteTime(e.occurredAt) : null,
        received,
        deliveryIds[delivery],
        e.payload,
        e.sideObjects ?? null,
        received,
      ) as { id: string };
      return row.id === id ? id : null;
    });
    for (const [key, count] of plan.repeats) addRepeats.run(count, key);
    const results = planResults(deliveries, plan, deliveryIds, inserted);
    for (const r of results) if (r.duplicates > 0) markDuplicates.run(r.duplicates, r.status, r.deliveryId);
    return results;
  });

  return { write: (deliveries) => write(deliveries), close: () => void db.close() };
}
