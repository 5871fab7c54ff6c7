import Database from 'better-sqlite3';

export interface SqliteWriterSettings {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
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
  return db;
}
