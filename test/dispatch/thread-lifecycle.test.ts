// The dispatch thread ends with its stop: a plugin's own background work (a timer, a pool; plugins
// have no teardown hook) must not keep an old thread running after a reload (`xaa dev`,
// restartDispatcher) or after a start whose plugin failed to load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STOP_ANSWER_MARGIN_MS } from '../../src/dispatch/in-thread.js';
import { startReceiver } from '../../src/embed/receiver.js';
import { TEST_SECRET } from '../support/app.js';
import { migratedDatabase, repoRoot, type TestDatabase } from '../support/databases.js';
import { until } from '../support/process.js';
import { followDelivery } from '../support/events.js';
import { postDelivery } from '../receiver/helpers.js';

describe('the dispatch thread of a plugin with background work', () => {
  let testDb: TestDatabase;
  let dir: string;
  let ticks: string;

  beforeEach(async () => {
    testDb = await migratedDatabase('sqlite');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-thread-life-'));
    ticks = path.join(dir, 'ticks.log');
  });
  afterEach(async () => {
    await testDb.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = (over: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    X_CONSUMER_SECRET: TEST_SECRET,
    DATABASE_URL: testDb.url,
    HANDLERS: path.join(repoRoot, 'test/fixtures/plugins/ticker.ts'),
    TICKER_FILE: ticks,
    LOG_LEVEL: 'silent',
    ...over,
  });
  /** The threads that ticked in the last `ms` milliseconds. */
  async function tickingWithin(ms: number): Promise<Set<string>> {
    const before = fs.existsSync(ticks) ? fs.readFileSync(ticks, 'utf8').length : 0;
    await new Promise((r) => setTimeout(r, ms));
    return new Set(fs.readFileSync(ticks, 'utf8').slice(before).trim().split('\n').filter(Boolean));
  }

  it('a restart leaves one thread running, and a stop none', async () => {
    const receiver = await startReceiver(env());
    try {
      await until(() => fs.existsSync(ticks));
      await receiver.restartDispatcher();
      await receiver.restartDispatcher();
      // Past the stop's one-second wait for the old threads to exit by themselves.
      await new Promise((r) => setTimeout(r, 1_200));
      expect((await tickingWithin(300)).size).toBe(1);
    } finally {
      await receiver.stop();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await tickingWithin(300)).size).toBe(0);
  });

  it('a stop ends a thread whose handler never gives its event loop back, past the limit', async () => {
    const receiver = await startReceiver(env({ TICKER_SPIN: '1', SHUTDOWN_TIMEOUT_MS: '200' }));
    let stopped = false;
    try {
      await until(() => fs.existsSync(ticks));
      expect((await postDelivery(receiver.handler, followDelivery(1))).status).toBe(200);
      // The handler spins: the thread's own timer stops ticking.
      await until(async () => (await tickingWithin(200)).size === 0, 10_000);
      const started = Date.now();
      await receiver.stop();
      stopped = true;
      // Within the limit and the margin, not for ever.
      expect(Date.now() - started).toBeLessThan(200 + STOP_ANSWER_MARGIN_MS + 5_000);
    } finally {
      if (!stopped) await receiver.stop();
    }
  }, 30_000);

  it('a plugin that fails to load leaves no thread behind', async () => {
    await expect(startReceiver(env({ TICKER_FAIL: '1' }))).rejects.toThrow(/planned failure in setup/);
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(ticks)).toBe(true);
    expect((await tickingWithin(300)).size).toBe(0);
  });
});
