import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.js';
import { postSigned } from '../support/app.js';
import { eventInput, followDelivery, storeEvents } from '../support/events.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { lines, pluginEnv, spawnServe, spawnXaa, stopSpawned, until, type Served } from '../support/process.js';

/** POSTs a signed delivery to the receiver on `port`; resolves with the status. */
async function post(port: number, body: Buffer): Promise<number> {
  return (await postSigned(`http://127.0.0.1:${port}/webhook`, body)).status;
}

describe.each(providersUnderTest())('dispatch across process deaths on %s', (provider) => {
  let testDb: TestDatabase;
  let dir: string;
  let proc: Served | undefined;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-recorder-'));
  });
  afterEach(async () => {
    await stopSpawned(proc, 'SIGKILL');
    await testDb.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>) {
    proc = await spawnServe(testDb.url, { ...pluginEnv('./test/fixtures/plugins/recorder.ts', dir), DISPATCH_POLL_MS: '50', ...env });
    return { port: proc.port, proc };
  }

  it('runs an event again after SIGKILL mid-handler, and completes it once', async () => {
    const first = await start({ RECORDER_HANG_FIRST: '1', DISPATCH_LEASE_MS: '1000' });
    expect(await post(first.port, followDelivery(1))).toBe(200);
    await until(() => fs.existsSync(path.join(dir, 'hung')));
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;

    const second = await start({ RECORDER_HANG_FIRST: '1', DISPATCH_LEASE_MS: '1000' });
    const db = await openDatabase(testDb.config);
    try {
      await until(async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === 1);
      expect(lines(path.join(dir, 'starts.log'))).toHaveLength(2);
      expect(lines(path.join(dir, 'finishes.log'))).toHaveLength(1);
      const run = await db.prisma.handlerRun.findFirstOrThrow();
      expect(run).toMatchObject({ handler: 'recorder', state: 'done', attempts: 1, completedBy: expect.any(String) });
      expect(await db.prisma.handlerAttempt.count()).toBe(0);
    } finally {
      await db.close();
      second.proc.child.kill('SIGTERM');
      expect((await second.proc.exited).code).toBe(0);
    }
  });

  it('on SIGTERM lets in-flight handlers finish, exits 0, and loses nothing', async () => {
    const { port, proc: p } = await start({ RECORDER_DELAY_MS: '300', DISPATCH_CONCURRENCY: '4', SHUTDOWN_TIMEOUT_MS: '5000' });
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => post(port, followDelivery(i))));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await until(() => lines(path.join(dir, 'starts.log')).length >= 1);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    // Everything started has finished; nothing is leased; the rest is still pending.
    const started = lines(path.join(dir, 'starts.log'));
    expect(lines(path.join(dir, 'finishes.log')).sort()).toEqual(started.sort());
    const db = await openDatabase(testDb.config);
    try {
      expect(await db.prisma.event.count()).toBe(12);
      expect(await db.prisma.event.count({ where: { leaseOwner: { not: null } } })).toBe(0);
      const again = await start({});
      await until(async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === 12);
      expect(new Set(lines(path.join(dir, 'finishes.log'))).size).toBe(12);
      again.proc.child.kill('SIGTERM');
      expect((await again.proc.exited).code).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('on SIGTERM releases handlers that outlive the shutdown timeout, and exits 0', async () => {
    const { port, proc: p } = await start({ RECORDER_HANG_FIRST: '1', SHUTDOWN_TIMEOUT_MS: '500' });
    expect(await post(port, followDelivery(7))).toBe(200);
    await until(() => fs.existsSync(path.join(dir, 'hung')));
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    if (process.env.TEST_LOG_LEVEL) console.log(p.output());
    const db = await openDatabase(testDb.config);
    try {
      const event = await db.prisma.event.findFirstOrThrow();
      expect(event).toMatchObject({ state: 'pending', leaseOwner: null });
      expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'released' } })).toBe(1);
      const again = await start({ RECORDER_HANG_FIRST: '1' });
      await until(async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === 1);
      again.proc.child.kill('SIGTERM');
      expect((await again.proc.exited).code).toBe(0);
    } finally {
      await db.close();
    }
  });
  it("keeps an xaa worker running through a plugin's stray rejections (at load, handling, in the shutdown's drain): logged, nothing lost", async () => {
    const db = await openDatabase(testDb.config);
    try {
      await storeEvents(db, [eventInput(), eventInput(), eventInput()]);
      const env = { DATABASE_URL: testDb.url, ...pluginEnv('./test/fixtures/plugins/recorder.ts', dir), RECORDER_STRAY_REJECTION: '1', DISPATCH_POLL_MS: '50' };
      // Handled while running: all three, each leaving a rejection as it finishes.
      const worker = spawnXaa(['worker'], env);
      try {
        await until(async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === 3 || worker.child.exitCode !== null, 30_000);
        expect(worker.child.exitCode, worker.output()).toBeNull();
        // One line each: the plugin's load, and the three finishes.
        await until(() => (worker.output().match(/unhandled rejection in a handler plugin/g) ?? []).length === 4);
        expect(worker.output()).toContain('stray rejection at load');
        for (const e of await db.prisma.event.findMany()) expect(worker.output()).toContain(`stray rejection at the finish of ${e.dedupeKey}`);
      } finally {
        worker.child.kill('SIGTERM');
        expect((await worker.exited).code, worker.output()).toBe(0);
      }
      // Stopped while handlers run: they finish in the shutdown's drain, rejections and all.
      await storeEvents(db, [eventInput(), eventInput()]);
      const stopping = spawnXaa(['worker'], { ...env, RECORDER_DELAY_MS: '500', SHUTDOWN_TIMEOUT_MS: '10000' });
      await until(() => lines(path.join(dir, 'starts.log')).length === 5, 30_000);
      stopping.child.kill('SIGTERM');
      expect((await stopping.exited).code, stopping.output()).toBe(0);
      expect(stopping.output()).toMatch(/stray rejection at the finish of/);
      expect(lines(path.join(dir, 'finishes.log'))).toHaveLength(5);
      expect(await db.prisma.handlerRun.count({ where: { state: 'done' } })).toBe(5);
    } finally {
      await db.close();
    }
  });
});
