import Database from 'better-sqlite3';

export interface SqliteWriterSettings {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
  /** Largest size of the database file in bytes (PRAGMA max_page_count); 0: no limit. */
  maxBytes?: number;
  /** Activities whose own time is older than this before their receipt are stored stale (not dispatched). */
  dedupeWindowMs?: number;
}

export type Connection = Database.Database;

/** The last two minutes formatted: "YYYY-MM-DDTHH:MM:" by minute since the epoch. */
const minutes: Array<{ minute: number; prefix: string }> = [
  { minute: NaN, prefix: '' },
  { minute: NaN, prefix: '' },
];

/**
 * Prisma's SQLite DateTime text (adapter "iso8601" format), so rows read back through Prisma:
 * `date.toISOString()` with "+00:00" for "Z". The writer formats several times per delivery;
 * the date and minute part is kept for the last two minutes seen (times of one commit share
 * them), so most calls only format seconds and milliseconds.
 */
export function sqliteTime(date: Date): string {
  const ms = date.getTime();
  const minute = Math.floor(ms / 60_000);
  let slot = minutes[0]!.minute === minute ? minutes[0]! : minutes[1]!.minute === minute ? minutes[1]! : undefined;
  if (!slot) {
    // Throws RangeError for an invalid date, as toISOString does.
    const iso = date.toISOString();
    slot = { minute, prefix: iso.slice(0, iso.length - 7) };
    minutes[1] = minutes[0]!;
    minutes[0] = slot;
  }
  const inMinute = ms - minute * 60_000;
  const seconds = Math.floor(inMinute / 1000);
  const millis = inMinute - seconds * 1000;
  return `${slot.prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 100 ? (millis < 10 ? '00' : '0') : ''}${millis}+00:00`;
}

/** The writer's better-sqlite3 connection, with the same pragmas every connection of the store gets. */
export function openConnection(settings: SqliteWriterSettings): Connection {
  const db = new Database(settings.file, { timeout: settings.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${settings.synchronous}`);
  db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
  if (settings.maxBytes) {
    // Past this size every write fails with SQLITE_FULL, as on a full disk: deliveries get 503
    // until retention (or the operator) frees pages, which SQLite then reuses.
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxBytes / pageSize))}`);
  }
  return db;
}
