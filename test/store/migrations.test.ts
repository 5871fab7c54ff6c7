// The offline migration toolchain against real databases (no mocks): scripts/prisma/migrate.mjs
// (prisma migrate deploy/status through the Wasm schema engine), the committed migrations of both
// providers, and the PostgreSQL shadow database rules of scripts/prisma/schema-engine.mjs.
//
// PostgreSQL: TEST_POSTGRES_URL (a server where databases may be created and dropped). Unset:
// those tests are skipped with a message; unset while CI is set: they fail.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Provider = 'sqlite' | 'postgresql';

const root = path.resolve(import.meta.dirname, '../..');
const prismaBin = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const migrateScript = path.join(root, 'scripts', 'prisma', 'migrate.mjs');
const writeSchemasScript = path.join(root, 'scripts', 'prisma', 'write-schemas.mjs');
const engineScript = path.join(root, 'scripts', 'prisma', 'schema-engine.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], env: Record<string, string | undefined>, cwd = root): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', ...env }, maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Our migrate.mjs, as `npm start` runs it (the Wasm engine unless PRISMA_SCHEMA_ENGINE_BINARY is set). */
const migrate = (command: 'deploy' | 'status', databaseUrl: string, cwd = root) =>
  runNode([migrateScript, command], { DATABASE_URL: databaseUrl }, cwd);

/** The Prisma CLI itself, with the offline engine. */
const prisma = (args: string[], databaseUrl: string, extraEnv: Record<string, string> = {}) =>
  runNode([prismaBin, ...args], {
    DATABASE_URL: databaseUrl,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || engineScript,
    ...extraEnv,
  });

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

interface Migration {
  name: string;
  checksum: string;
}

/** The committed migrations of a provider, with the sha256 of each migration.sql. */
function committedMigrations(provider: Provider): Migration[] {
  const dir = path.join(root, 'prisma', provider, 'migrations');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256').update(fs.readFileSync(path.join(dir, name, 'migration.sql'))).digest('hex'),
    }));
}

/** Table names the data model maps to (@@map), i.e. what a fully migrated database must hold. */
function modelTables(): string[] {
  const models = fs.readFileSync(path.join(root, 'prisma', 'models.prisma'), 'utf8');
  return [...models.matchAll(/@@map\("([^"]+)"\)/g)].map((m) => m[1]!).sort();
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
  started_at: unknown;
  applied_steps_count: number | bigint;
  logs: string | null;
}

function expectRowsMatchCommitted(rows: MigrationRow[], provider: Provider) {
  const committed = committedMigrations(provider);
  expect(committed.length).toBeGreaterThan(0);
  expect(rows.map((r) => ({ name: r.migration_name, checksum: r.checksum }))).toEqual(committed);
  for (const r of rows) {
    expect(r.finished_at).not.toBeNull();
    expect(r.rolled_back_at).toBeNull();
    expect(Number(r.applied_steps_count)).toBe(1);
  }
}

describe('schema files', () => {
  it('prisma/<provider>/schema.prisma are up to date with prisma/models.prisma (write-schemas --check)', async () => {
    const r = await runNode([writeSchemasScript, '--check'], {});
    expect(r.code, show(r)).toBe(0);
  });

  it('both providers have the same migrations (same folder names) and a lockfile', () => {
    const names = (p: Provider) => committedMigrations(p).map((m) => m.name);
    expect(names('sqlite')).toEqual(names('postgresql'));
    for (const p of ['sqlite', 'postgresql'] as const) {
      const lock = fs.readFileSync(path.join(root, 'prisma', p, 'migrations', 'migration_lock.toml'), 'utf8');
      expect(lock).toContain(`provider = "${p}"`);
    }
  });
});

describe('migrations on SQLite', () => {
  let dir: string;
  let file: string;
  // Relative to the working directory, as the product reads DATABASE_URL.
  const url = 'file:./nested/folder/test.db';

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-migrations-'));
    file = path.join(dir, 'nested', 'folder', 'test.db');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const rows = (): MigrationRow[] => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT * FROM _prisma_migrations ORDER BY migration_name').all() as MigrationRow[];
    } finally {
      db.close();
    }
  };

  it('deploy on a fresh database creates the file, every table and one _prisma_migrations row per migration', async () => {
    const r = await migrate('deploy', url, dir);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/applied \d+ migration/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // concise: it runs at every start
    expect(fs.existsSync(file)).toBe(true);

    const db = new Database(file, { readonly: true });
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]
    ).map((t) => t.name);
    db.close();
    expect(tables.sort()).toEqual([...modelTables(), '_prisma_migrations'].sort());
    expectRowsMatchCommitted(rows(), 'sqlite');
    // Timestamps as the native engine writes them on SQLite: unix milliseconds.
    expect(typeof rows()[0]!.started_at === 'number' || typeof rows()[0]!.started_at === 'bigint').toBe(true);
  });

  it('a second deploy applies nothing and keeps the bookkeeping and the data', async () => {
    const db = new Database(file);
    db.prepare(`INSERT INTO webhooks (id, url, valid, synced_at) VALUES ('w1', 'https://example.test/hook', 1, 0)`).run();
    db.close();
    const before = rows();

    const r = await migrate('deploy', url, dir);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/up to date/);
    expect(rows()).toEqual(before);
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT id, url FROM webhooks').all()).toEqual([{ id: 'w1', url: 'https://example.test/hook' }]);
    check.close();
  });

  it('migrate status says the database is up to date', async () => {
    const r = await migrate('status', url, dir);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('Database schema is up to date');
  });

  it('the committed migrations produce exactly the schema (migrate diff is empty)', async () => {
    const r = await prisma(
      [
        'migrate', 'diff', '--exit-code', '--script',
        '--from-migrations', path.join(root, 'prisma', 'sqlite', 'migrations'),
        '--to-schema', path.join(root, 'prisma', 'sqlite', 'schema.prisma'),
      ],
      `file:${path.join(dir, 'diff.db')}`,
    );
    expect(r.code, show(r)).toBe(0); // --exit-code: 2 would mean a difference
    expect(r.stdout.replace(/^--.*$/gm, '').trim()).toBe('');
  });

  it("deploy takes DATABASE_URL from the working directory's .env when the environment leaves it unset or empty, as the server does", async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'dotenv-'));
    fs.writeFileSync(path.join(cwd, '.env'), 'DATABASE_URL=file:./from-dotenv.db\n');
    const r = await migrate('deploy', '', cwd); // as `DATABASE_URL: ${DATABASE_URL}` in a compose file, unset on the host
    expect(r.code, show(r)).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'from-dotenv.db'))).toBe(true);
    expect(fs.existsSync(path.join(cwd, 'data', 'xaa.db'))).toBe(false);
  });

  it('deploy fails with one readable line and a non-zero exit on an unusable database', async () => {
    const bad = path.join(dir, 'not-a-db.db');
    fs.writeFileSync(bad, 'this is not an SQLite database, it is plain text '.repeat(200));
    const r = await migrate('deploy', `file:${bad}`);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^db:migrate failed/);
  });
});

const postgresUrl = process.env.TEST_POSTGRES_URL;

if (!postgresUrl) {
  describe('migrations on PostgreSQL', () => {
    if (process.env.CI) {
      it('needs TEST_POSTGRES_URL under CI', () => {
        throw new Error('TEST_POSTGRES_URL is not set while CI is: PostgreSQL migration tests must not be skipped');
      });
    } else {
      console.warn('[migrations.test] TEST_POSTGRES_URL is not set: PostgreSQL migration tests are SKIPPED');
      it.skip('PostgreSQL migration tests (set TEST_POSTGRES_URL to run them)', () => {});
    }
  });
} else {
  describe('migrations on PostgreSQL', () => {
    const dbName = `xaa_migrations_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const urlOf = (database: string) => {
      const u = new URL(postgresUrl);
      u.pathname = `/${database}`;
      return u.toString();
    };
    const url = urlOf(dbName);
    let admin: pg.Client;
    let logDir: string;

    const withDb = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    };
    const rows = () =>
      withDb(async (c) => (await c.query<MigrationRow>('SELECT * FROM _prisma_migrations ORDER BY migration_name')).rows);
    const databases = async () =>
      (await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname).sort();

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}"`);
      logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-migrations-pg-'));
    });
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
      fs.rmSync(logDir, { recursive: true, force: true });
    });

    it('deploy on a fresh database creates every table and one _prisma_migrations row per migration', async () => {
      const r = await migrate('deploy', url);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/applied \d+ migration/);
      expect(r.stdout).not.toContain(postgresUrl); // no credentials in the output
      const tables = await withDb(
        async (c) =>
          (await c.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map(
            (t) => t.tablename,
          ),
      );
      expect(tables.sort()).toEqual([...modelTables(), '_prisma_migrations'].sort());
      expectRowsMatchCommitted(await rows(), 'postgresql');
    });

    it('a second deploy applies nothing and keeps the bookkeeping and the data', async () => {
      await withDb((c) =>
        c.query(`INSERT INTO webhooks (id, url, valid, synced_at) VALUES ('w1', 'https://example.test/hook', true, now())`),
      );
      const before = await rows();
      const r = await migrate('deploy', url);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/up to date/);
      expect(await rows()).toEqual(before);
      expect(await withDb(async (c) => (await c.query('SELECT id, url FROM webhooks')).rows)).toEqual([
        { id: 'w1', url: 'https://example.test/hook' },
      ]);
    });

    it('migrate status says the database is up to date', async () => {
      const r = await migrate('status', url);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain('Database schema is up to date');
    });

    it('migrate diff is empty, through a separate shadow database that is dropped afterwards', async () => {
      const before = await databases();
      const markerBefore = await rows();
      const log = path.join(logDir, 'engine.log');
      const r = await prisma(
        [
          'migrate', 'diff', '--exit-code', '--script',
          '--from-migrations', path.join(root, 'prisma', 'postgresql', 'migrations'),
          '--to-schema', path.join(root, 'prisma', 'postgresql', 'schema.prisma'),
        ],
        url,
        { SCHEMA_ENGINE_WASM_LOG: log },
      );
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout.replace(/^--.*$/gm, '').trim()).toBe('');

      if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
        // The Wasm engine says which shadow databases it made: never the main one, all dropped.
        const text = fs.readFileSync(log, 'utf8');
        const created = [...text.matchAll(/created shadow database (\S+)/g)].map((m) => m[1]!);
        const dropped = [...text.matchAll(/dropped shadow database (\S+)/g)].map((m) => m[1]!);
        expect(created.length).toBeGreaterThan(0);
        expect(created).not.toContain(dbName);
        expect(dropped.sort()).toEqual(created.sort());
      }
      const after = await databases();
      // Only shadow databases count: other test files create their own databases in parallel.
      expect(after.filter((d) => !before.includes(d) && d.startsWith('prisma_shadow_'))).toEqual([]);
      expect(after).toContain(dbName);
      // The main database was not used as the shadow: its history and data are intact.
      expect(await rows()).toEqual(markerBefore);
      expect(await withDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n)).toBe(1);
    });

    it('the engine never hands out the main database as the shadow, and drops the shadow on dispose', async () => {
      const engine = (await import(pathToFileURL(engineScript).href)) as {
        openDatasource(ds: { url: string }): Promise<{
          factory: { connectToShadowDb(): Promise<ShadowAdapter> };
          close(): Promise<void>;
        }>;
      };
      interface ShadowAdapter {
        queryRaw(q: { sql: string; args: unknown[]; argTypes: unknown[] }): Promise<{ rows: unknown[][] }>;
        dispose(): Promise<void>;
      }
      const ds = await engine.openDatasource({ url });
      const shadow = await ds.factory.connectToShadowDb();
      const result = await shadow.queryRaw({
        // "char" (OID 18) columns read as text (defect 3).
        sql: `SELECT current_database(), (SELECT contype FROM pg_constraint LIMIT 1)`,
        args: [],
        argTypes: [],
      });
      const shadowName = String(result.rows[0]![0]);
      expect(shadowName).not.toBe(dbName);
      expect(shadowName).toMatch(/^prisma_shadow_/);
      expect(typeof result.rows[0]![1]).toBe('string');
      expect(await databases()).toContain(shadowName);
      await shadow.dispose();
      await ds.close();
      expect(await databases()).not.toContain(shadowName);
    });

    it('refuses a configured shadowDatabaseUrl (it could be the main database)', async () => {
      const engine = (await import(pathToFileURL(engineScript).href)) as {
        openDatasource(ds: { url: string; shadowDatabaseUrl?: string }): Promise<unknown>;
      };
      await expect(engine.openDatasource({ url, shadowDatabaseUrl: url })).rejects.toThrow(/shadowDatabaseUrl/);
    });
  });
}
