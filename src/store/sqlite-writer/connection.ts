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

/** Prisma's SQLite DateTime text (adapter "iso8601" format), so rows read back through Prisma. */
export function sqliteTime(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
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
