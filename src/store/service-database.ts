import type { Config, DatabaseConfig } from '../config/index.js';
import { migrationState, openDatabase, type Database, type MigrationState } from './database.js';
import { DatabaseError, describeDatabaseError } from './errors.js';
import { applyMigrations } from './migrate.js';

/** Where DATABASE_URL points, safe to print: "sqlite /data/xaa.db", "postgresql db.internal:5432/xaa". */
export function databaseLabel(config: DatabaseConfig): string {
  if (config.provider === 'sqlite') return `sqlite ${config.file}`;
  try {
    const u = new URL(config.url);
    return `postgresql ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgresql';
  }
}

/**
 * The command that applies migrations, as startup and error messages name it: the `xaa` bin,
 * which works in a project that installed the package as well as in a clone of this repository
 * (where `npm run db:migrate` does the same).
 */
export const MIGRATE_COMMAND = 'xaa db migrate';

/** The migration state of the database `config` names (applied, pending, failed); one-line DatabaseError when unreachable. */
export async function inspectMigrations(config: DatabaseConfig): Promise<MigrationState> {
  const { db, state } = await openAndInspect(config);
  await db.close();
  return state;
}

/** Opens the database, checks that it answers, and reads its migration state; one-line DatabaseError on failure. */
async function openAndInspect(config: DatabaseConfig): Promise<{ db: Database; state: MigrationState }> {
  let db: Database | undefined;
  try {
    db = await openDatabase(config);
    await db.ping();
    return { db, state: await migrationState(db) };
  } catch (error) {
    await db?.close().catch(() => undefined);
    throw new DatabaseError(describeDatabaseError(error, config), { cause: error });
  }
}

export interface ServiceDatabaseOptions {
  /** Apply pending migrations first (`--migrate` or MIGRATE_ON_START=true); otherwise refuse to start. */
  migrate: boolean;
  /** The environment the configuration came from (handed to the migration script). */
  env: Record<string, string | undefined>;
  /** Told the migration script's one-line report when migrations were applied. */
  onMigrated?: (report: string) => void;
}

/**
 * The database for a long-running process (`serve`, `worker`): reachable and fully migrated, or
 * a DatabaseError of one line. Pending migrations are applied the way `xaa db migrate`
 * applies them when `migrate` is set; otherwise the process refuses to start, naming the command.
 */
export async function openServiceDatabase(config: Config, o: ServiceDatabaseOptions): Promise<Database> {
  let { db, state } = await openAndInspect(config.database);
  if (state.pending.length > 0 && o.migrate) {
    await db.close();
    const report = await applyMigrations(config.database, o.env);
    o.onMigrated?.(report);
    ({ db, state } = await openAndInspect(config.database));
  }
  if (state.pending.length > 0) {
    await db.close();
    const names = state.pending.length > 3 ? `${state.pending.slice(0, 3).join(', ')}, ...` : state.pending.join(', ');
    throw new DatabaseError(
      `the database at DATABASE_URL (${databaseLabel(config.database)}) has ${state.pending.length} pending migration(s) (${names}): ` +
        `run \`${MIGRATE_COMMAND}\` first, or start with --migrate (or MIGRATE_ON_START=true)`,
    );
  }
  return db;
}
