import fs from 'node:fs';
import path from 'node:path';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseConfig, DatabaseProvider } from '../config/index.js';
import type { Prisma, PrismaClient as SqliteClient } from './generated/sqlite/client.js';
import { committedMigrations } from './paths.js';

/** The models of prisma/models.prisma, by the name of their delegate on a client ('event', 'handlerRun'...). */
type Model = Uncapitalize<Prisma.ModelName>;

/**
 * The operations of a model delegate that both clients type alike. Left out: aggregate and
 * groupBy, whose generated signatures differ between the two at the type level (neither is
 * assignable to the other), and the delegate's internal symbol-keyed type map.
 */
type Operation =
  | 'findUnique'
  | 'findUniqueOrThrow'
  | 'findFirst'
  | 'findFirstOrThrow'
  | 'findMany'
  | 'count'
  | 'create'
  | 'createMany'
  | 'createManyAndReturn'
  | 'update'
  | 'updateMany'
  | 'updateManyAndReturn'
  | 'upsert'
  | 'delete'
  | 'deleteMany';

/**
 * What a transaction offers: the model delegates and raw SQL. Both providers' generated clients
 * have the same model API for the one data model, the SQLite one being the common subset (the
 * PostgreSQL one accepts more, e.g. case-insensitive filters), so its operations are the type.
 */
export type DbTransaction = { [M in Model]: Pick<SqliteClient[M], Operation> } & Pick<
  SqliteClient,
  '$queryRaw' | '$executeRaw' | '$queryRawUnsafe' | '$executeRawUnsafe'
>;

/**
 * The Prisma client the store is written against, whichever provider's: a structural type that
 * both generated clients satisfy (openDatabase assigns each to it, so the compiler checks both).
 * Transactions are interactive; their options are those both providers take.
 */
export interface Db extends DbTransaction {
  $transaction<R>(fn: (tx: DbTransaction) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

export interface Database {
  provider: DatabaseProvider;
  config: DatabaseConfig;
  prisma: Db;
  /** A trivial query: resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite as a durable inbox: WAL, a busy timeout, a deliberate synchronous mode, enforced foreign keys. */
export function sqlitePragmas(config: Pick<DatabaseConfig, 'sqliteSynchronous' | 'busyTimeoutMs'>): string {
  return [
    'PRAGMA journal_mode = WAL;',
    `PRAGMA synchronous = ${config.sqliteSynchronous};`,
    `PRAGMA busy_timeout = ${config.busyTimeoutMs};`,
    'PRAGMA foreign_keys = ON;',
  ].join('\n');
}

async function sqliteAdapter(config: DatabaseConfig): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
  if (config.file) fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const base = new PrismaBetterSqlite3({ url: config.url, timeout: config.busyTimeoutMs });
  const pragmas = sqlitePragmas(config);
  // Wrap connect() so that every connection Prisma opens gets the pragmas first.
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = await base.connect();
      await adapter.executeScript(pragmas);
      return adapter;
    },
    connectToShadowDb: () => base.connectToShadowDb(),
  };
}

async function postgresAdapter(config: DatabaseConfig): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const { PrismaPg } = await import('@prisma/adapter-pg');
  return new PrismaPg({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: 5_000,
    // Keep the pool from holding a dead connection forever after a server restart.
    idleTimeoutMillis: 30_000,
  });
}

/** Opens the database DATABASE_URL names, with the generated client of its provider. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  let prisma: Db;
  if (config.provider === 'sqlite') {
    const { PrismaClient } = await import('./generated/sqlite/client.js');
    prisma = new PrismaClient({ adapter: await sqliteAdapter(config) });
  } else {
    const { PrismaClient } = await import('./generated/postgresql/client.js');
    prisma = new PrismaClient({ adapter: await postgresAdapter(config) });
  }
  await prisma.$connect();
  return {
    provider: config.provider,
    config,
    prisma,
    async ping() {
      await prisma.$queryRawUnsafe('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
    },
  };
}

export interface MigrationState {
  applied: string[];
  pending: string[];
  failed: string[];
}

/** Which committed migrations the database has applied (Prisma's own _prisma_migrations table). */
export async function migrationState(db: Database): Promise<MigrationState> {
  const committed = committedMigrations(db.provider);
  let rows: Array<{ migration_name: string; finished_at: unknown; rolled_back_at: unknown }> = [];
  try {
    rows = await db.prisma.$queryRawUnsafe(
      'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations',
    );
  } catch (error) {
    // No _prisma_migrations table yet: nothing applied. Anything else (unreachable, locked) is an error.
    const message = String((error as Error).message);
    if (!/_prisma_migrations/.test(message) || !/does not exist|no such table/i.test(message)) throw error;
  }
  const done = new Set(rows.filter((r) => r.finished_at != null && r.rolled_back_at == null).map((r) => r.migration_name));
  const failed = rows.filter((r) => r.finished_at == null && r.rolled_back_at == null).map((r) => r.migration_name);
  return {
    applied: committed.filter((m) => done.has(m)),
    pending: committed.filter((m) => !done.has(m)),
    failed,
  };
}
