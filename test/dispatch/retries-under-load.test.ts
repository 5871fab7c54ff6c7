// A retry is due while deliveries keep coming faster than the handler takes them: the dispatcher's
// slots are then always spoken for by new events pushed from their commits, and it used to claim
// nothing from the store until the load stopped, so the retry (and any backlog stored beyond what
// was pushed) waited for the whole busy period. It must run about when it is due.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../src/testing/index.js';

describe('a retry due under sustained intake (SQLite, in-server dispatch)', () => {
  let receiver: TestReceiver | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await receiver?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    receiver = dir = undefined;
  });

  it('runs when due, not after the load stops', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-retry-load-'));
    const file = path.join(dir, 'trace');
    fs.writeFileSync(file, '');
    receiver = await startTestReceiver({
      handlers: './test/fixtures/plugins/slow-trace.ts',
      // 25 ms an event, one at a time: 40 events a second at most.
      options: { 'slow-trace': { file, ms: 25 } },
      env: { DISPATCH_CONCURRENCY: '1', DISPATCH_RETRY_SCHEDULE: '1s', LOG_LEVEL: 'error' },
    });
    await receiver.deliver('post.create', { text: 'fail once' });
    // About 80 deliveries a second for 4 s: twice what the handler takes.
    const until = Date.now() + 4_000;
    let n = 0;
    while (Date.now() < until) {
      await Promise.all([receiver.deliver('post.create', { text: `load ${n++}` }), new Promise((r) => setTimeout(r, 12))]);
    }
    const loadEnded = Date.now();
    const trace = () => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const firstTry = trace().find(([, text, attempt]) => text?.endsWith('fail_once') && attempt === '1');
    expect(firstTry).toBeDefined();
    await receiver.waitForHandlers({ timeoutMs: 30_000 });
    const retry = trace().find(([, text, attempt]) => text?.endsWith('fail_once') && attempt === '2');
    expect(retry, 'the retry ran').toBeDefined();
    // Due about 1 s after the first try (with its jitter): well before the load ended.
    expect(Number(retry![0]), `retry at +${Number(retry![0]) - Number(firstTry![0])} ms, load ended at +${loadEnded - Number(firstTry![0])} ms`).toBeLessThan(loadEnded - 1_000);
    expect(n).toBeGreaterThan(150);
  }, 60_000);
});
