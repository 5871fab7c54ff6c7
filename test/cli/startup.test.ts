import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, migrate, type TestDatabase } from '../support/databases.js';
import { freePort, spawnXaa, waitForStatus } from '../support/process.js';

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

  it('answers /readyz 503 while migrations are pending', async () => {
    const db = await freshDatabase('sqlite');
    dropLater.push(db);
    const port = await freePort();
    const run = spawnXaa(['serve'], { X_CONSUMER_SECRET: SECRET, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200);
      const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 503);
      expect(await ready.json()).toMatchObject({ status: 'not ready' });
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
  });
});
