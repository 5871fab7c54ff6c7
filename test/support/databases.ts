import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { loadConfig, type DatabaseConfig } from '../../src/config/index.js';
import { openDatabase, type Database } from '../../src/store/index.js';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The PostgreSQL server for tests: TEST_POSTGRES_URL (.ci/run starts one and exports it).
 * Unset outside CI: PostgreSQL tests are skipped with a message. Unset under CI: a failure.
 */
export function postgresUrl(): string | undefined {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url && process.env.CI) {
    throw new Error('TEST_POSTGRES_URL is not set under CI: PostgreSQL tests must not be skipped (see .ci/run)');
  }
  if (!url && !warned) {
    warned = true;
    console.warn('[tests] TEST_POSTGRES_URL is not set: PostgreSQL tests are SKIPPED (run .ci/run for the full suite)');
  }
  return url;
}
let warned = false;

export type Provider = 'sqlite' | 'postgresql';

/** The providers to run a suite on: SQLite always, PostgreSQL when a server is available. */
export function providersUnderTest(): Provider[] {
  return postgresUrl() ? ['sqlite', 'postgresql'] : ['sqlite'];
}

export interface TestDatabase {
  provider: Provider;
  url: string;
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in a temp folder or a new PostgreSQL database. */
export async function freshDatabase(provider: Provider): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-'));
    const url = `file:${path.join(dir, 'test.db')}`;
    return {
      provider,
      url,
      config: loadConfig({ DATABASE_URL: url }).database,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = postgresUrl();
  if (!admin) throw new Error('PostgreSQL requested but TEST_POSTGRES_URL is not set');
  const name = `xaa_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    provider,
    url: url.toString(),
    config: loadConfig({ DATABASE_URL: url.toString() }).database,
    drop: () => withAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Applies the committed migrations exactly as `npm run db:migrate` does. */
export async function migrate(url: string): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'scripts/prisma/migrate.mjs'), 'deploy'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: url },
  });
  return stdout + stderr;
}

/** A fresh database with every migration applied. */
export async function migratedDatabase(provider: Provider): Promise<TestDatabase> {
  const db = await freshDatabase(provider);
  await migrate(db.url);
  return db;
}

/** A fresh database with every migration applied, and a connection to it opened as the app opens it. */
export async function openMigratedDatabase(provider: Provider): Promise<{ testDb: TestDatabase; db: Database }> {
  const testDb = await migratedDatabase(provider);
  return { testDb, db: await openDatabase(testDb.config) };
}

/** Closes a connection from openMigratedDatabase and drops its database (either may be unset if setup failed). */
export async function closeAndDrop(db: Database | undefined, testDb: TestDatabase | undefined): Promise<void> {
  await db?.close();
  await testDb?.drop();
}
