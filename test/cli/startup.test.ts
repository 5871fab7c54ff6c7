import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, migrate, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { freePort, spawnXaa, until, waitForStatus } from '../support/process.js';

const SECRET = 'startup-test-consumer-secret-value';

describe('xaa serve: startup', () => {
  const dropLater: TestDatabase[] = [];
  afterAll(async () => Promise.all(dropLater.map((d) => d.drop())));

  it('exits non-zero with one line naming X_CONSUMER_SECRET when it is missing', async () => {
    const run = spawnXaa(['serve'], { DATABASE_URL: 'file:/tmp/xaa-never-created/x.db' });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/X_CONSUMER_SECRET/);
    expect(fs.existsSync('/tmp/xaa-never-created')).toBe(false);
  });

  it('exits non-zero with one line naming DATABASE_URL when it is malformed, without its value', async () => {
    const run = spawnXaa(['serve'], { X_CONSUMER_SECRET: SECRET, DATABASE_URL: 'mysql://admin:pa55word@db/x' });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL/);
    expect(run.output()).not.toContain('pa55word');
    expect(run.output()).not.toContain(SECRET);
  });

  it('serves /healthz and /readyz once migrated, and stops with exit 0 on SIGTERM', async () => {
    const db = await freshDatabase('sqlite');
    dropLater.push(db);
    await migrate(db.url);
    const port = await freePort();
    const run = spawnXaa(['serve'], { X_CONSUMER_SECRET: SECRET, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1' });
    try {
      const health = await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200);
      // No ADMIN_TOKEN: the status alone, never the database kind or migration names.
      expect(await ready.json()).toEqual({ status: 'ready' });
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
    expect(run.output()).not.toContain(SECRET);
  });

  it('exits non-zero with one line, without the password, when the PostgreSQL server cannot be reached', async () => {
    const port = await freePort();
    const run = spawnXaa(['serve'], {
      X_CONSUMER_SECRET: SECRET,
      DATABASE_URL: `postgresql://xaa:s3cretPassw0rd@127.0.0.1:${port}/xaa`,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output().trim().split('\n')).toEqual([`xaa: cannot reach the database server at 127.0.0.1:${port} (DATABASE_URL)`]);
    expect(run.output()).not.toContain('s3cretPassw0rd');
  });
});

describe.each(providersUnderTest())('xaa serve and worker with pending migrations (%s)', (provider) => {
  const dropLater: TestDatabase[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-startup-'));
  afterAll(async () => {
    await Promise.all(dropLater.map((d) => d.drop()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function unmigrated(): Promise<TestDatabase> {
    const db = await freshDatabase(provider);
    dropLater.push(db);
    return db;
  }

  it('serve refuses to start: exit 1 with one line naming `xaa db migrate`, nothing listening', async () => {
    const db = await unmigrated();
    const port = await freePort();
    const run = spawnXaa(['serve'], { X_CONSUMER_SECRET: SECRET, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1' });
    const { code } = await run.exited;
    expect(code).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^xaa: the database at DATABASE_URL \(.+\) has \d+ pending migration\(s\) \(.*\): run `xaa db migrate` first, or start with --migrate/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('worker refuses to start the same way', async () => {
    const db = await unmigrated();
    const run = spawnXaa(['worker'], { DATABASE_URL: db.url, HANDLERS: './test/fixtures/plugins/recorder.ts', RECORDER_DIR: tmp });
    const { code } = await run.exited;
    expect(code).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pending migration\(s\).*run `xaa db migrate`/);
  });

  it('serve --migrate applies the migrations (as npm run db:migrate) and serves, /readyz 200', async () => {
    const db = await unmigrated();
    const port = await freePort();
    const run = spawnXaa(['serve', '--migrate'], { X_CONSUMER_SECRET: SECRET, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1' });
    try {
      const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      expect(run.output()).toMatch(/database migrations applied/);
      expect(run.output()).toMatch(/db:migrate .*: applied \d+ migration\(s\)/);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
  });

  it('MIGRATE_ON_START=true makes the worker apply them, then it runs', async () => {
    const db = await unmigrated();
    const run = spawnXaa(['worker'], {
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'true',
      HANDLERS: './test/fixtures/plugins/recorder.ts',
      RECORDER_DIR: tmp,
    });
    try {
      await until(() => run.output().includes('worker started') || run.child.exitCode !== null, 60_000);
      expect(run.output()).toMatch(/database migrations applied/);
      expect(run.output()).toContain('worker started');
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
  });

  it('xaa db status lists the pending migrations (exit 1), xaa db migrate applies them, then status says up to date (exit 0)', async () => {
    const db = await unmigrated();
    const before = spawnXaa(['db', 'status'], { DATABASE_URL: db.url });
    const b = await before.exited;
    expect(b.code).toBe(1);
    expect(before.output()).toMatch(/: 0 migration\(s\) applied, \d+ pending/);
    expect(before.output()).toMatch(/pending +\d{14}_/);
    expect(before.output()).toContain('run `xaa db migrate`');

    const run = spawnXaa(['db', 'migrate'], { DATABASE_URL: db.url });
    const r = await run.exited;
    expect(r.code).toBe(0);
    expect(run.output().trim().split('\n')).toHaveLength(1);
    expect(run.output()).toMatch(/db:migrate .*: applied \d+ migration\(s\)/);

    const after = spawnXaa(['db', 'status', '--json'], { DATABASE_URL: db.url });
    expect((await after.exited).code).toBe(0);
    const state = JSON.parse(after.output()) as { upToDate: boolean; pending: string[]; applied: string[] };
    expect(state.upToDate).toBe(true);
    expect(state.pending).toEqual([]);
    expect(state.applied.length).toBeGreaterThan(0);
  });
});
