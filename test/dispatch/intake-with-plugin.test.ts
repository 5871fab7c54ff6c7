// A server with a handler plugin under concurrent load: every delivery is answered 200 (no 503,
// no SQLITE_BUSY) while the dispatcher works beside the inbox, and every event is handled exactly
// once. On SQLite this is the one-writer path: deliveries, claims and outcomes share the writer
// thread, and new events reach the dispatcher straight from the commit that stored them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.js';
import { postSigned } from '../support/app.js';
import { followDelivery } from '../support/events.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { lines, pluginEnv, spawnServe, stopSpawned, until, type Served } from '../support/process.js';

const USERS = ['2244994945', '783214', '6253282', '17874544', '1375036644'];

/** Posts every body with `concurrency` requests in flight; returns the status of each. */
async function postAll(port: number, bodies: Buffer[], concurrency: number): Promise<number[]> {
  const statuses: number[] = new Array(bodies.length);
  let next = 0;
  async function lane() {
    while (next < bodies.length) {
      const i = next++;
      const body = bodies[i]!;
      const res = await postSigned(`http://127.0.0.1:${port}/webhook`, body);
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return statuses;
}

/**
 * Per user in a recorder trace: one event at a time (start, then its finish or failure, before the
 * next start), and events completed in the order they were stored (`order`: dedupe key to id).
 */
function expectPerUserOrder(traceLines: string[], order: Map<string, string>, total: number): void {
  const trace = traceLines.map((l) => l.split(' ') as [string, string, string]);
  for (const user of USERS) {
    const mine = trace.filter(([, u]) => u === user);
    let open: string | undefined;
    const completed: string[] = [];
    for (const [kind, , id] of mine) {
      if (kind === 'S') {
        expect(open, `user ${user}: ${id} started while ${open} was running`).toBeUndefined();
        open = id;
      } else {
        expect(open).toBe(id);
        open = undefined;
        if (kind === 'F') completed.push(order.get(id)!);
      }
    }
    expect(completed).toHaveLength(total / USERS.length);
    expect(completed).toEqual([...completed].sort());
  }
}

describe.each(providersUnderTest())('intake with a handler plugin on %s', (provider) => {
  let testDb: TestDatabase;
  let dir: string;
  let proc: Served | undefined;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-intake-'));
  });
  afterEach(async () => {
    await stopSpawned(proc, 'SIGKILL');
    await testDb.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}) {
    proc = await spawnServe(testDb.url, { ...pluginEnv('./test/fixtures/plugins/recorder.ts', dir), ...env });
    return proc.port;
  }

  it('answers 2,000 deliveries at 32-way concurrency with 200 and handles each event exactly once', async () => {
    const port = await start({ DISPATCH_CONCURRENCY: '16' });
    const bodies = Array.from({ length: 2_000 }, (_, i) => followDelivery(i, USERS[i % USERS.length]!));
    const statuses = await postAll(port, bodies, 32);
    const counts = statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 200: 2_000 });

    await until(() => lines(path.join(dir, 'finishes.log')).length >= 2_000, 60_000);
    const db = await openDatabase(testDb.config);
    try {
      // A handler's finish line is written before its outcome is committed: wait for the commits.
      await until(async () => (await db.prisma.event.count({ where: { state: 'done' } })) === 2_000, 60_000);
      // Nothing more arrives later: a second run of any event would show up here.
      await new Promise((r) => setTimeout(r, 500));
      const starts = lines(path.join(dir, 'starts.log'));
      const finishes = lines(path.join(dir, 'finishes.log'));
      expect(starts).toHaveLength(2_000);
      expect(new Set(starts).size).toBe(2_000);
      expect(new Set(finishes).size).toBe(2_000);

      expect(await db.prisma.event.count()).toBe(2_000);
      expect(await db.prisma.event.count({ where: { state: 'done' } })).toBe(2_000);
      expect(await db.prisma.handlerRun.count({ where: { state: 'done', attempts: 1 } })).toBe(2_000);
      // Each completed once, its completing try recorded on the run (no attempt rows: no other try).
      expect(await db.prisma.handlerRun.count({ where: { completedBy: { not: null }, startedAt: { not: null } } })).toBe(2_000);
      expect(await db.prisma.handlerAttempt.count()).toBe(0);
      expect(proc!.output()).not.toMatch(/SQLITE_BUSY|database is locked/);
    } finally {
      await db.close();
    }
  });

  it('keeps per-user order through failures and retries, each event completed once', async () => {
    const port = await start({
      DISPATCH_CONCURRENCY: '8',
      DISPATCH_PER_USER_ORDER: 'true',
      DISPATCH_RETRY_SCHEDULE: '200ms',
      DISPATCH_POLL_MS: '50',
      RECORDER_TRACE: '1',
      RECORDER_FAIL_EVERY: '7',
    });
    const total = 600;
    const bodies = Array.from({ length: total }, (_, i) => followDelivery(i, USERS[i % USERS.length]!));
    const statuses = await postAll(port, bodies, 32);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await until(() => new Set(lines(path.join(dir, 'finishes.log'))).size >= total, 60_000);
    const db = await openDatabase(testDb.config);
    let order: Map<string, string>;
    try {
      // A handler's finish line is written before its outcome is committed: wait for the commits.
      await until(async () => (await db.prisma.event.count({ where: { state: 'done' } })) === total, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      const events = await db.prisma.event.findMany({ select: { id: true, dedupeKey: true, state: true } });
      expect(events).toHaveLength(total);
      expect(events.every((e) => e.state === 'done')).toBe(true);
      order = new Map(events.map((e) => [e.dedupeKey, e.id]));
      expect(await db.prisma.handlerRun.count({ where: { state: 'done', completedBy: { not: null } } })).toBe(total);
      expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'ok' } })).toBe(0);
      expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'failed' } })).toBe(Math.ceil(total / 7));
    } finally {
      await db.close();
    }

    expectPerUserOrder(lines(path.join(dir, 'trace.log')), order!, total);
  });
  it('drains a per-user backlog stored while no plugin was loaded, without waiting for the poll', async () => {
    // Stored by a server without plugins, then dispatched by one with the plugin whose poll is a
    // minute: only claims made as each user's events finish can drain it in time (before, a
    // backlog drained one event per user per poll).
    const total = 500;
    const plain = await spawnServe(testDb.url, { LOG_LEVEL: 'warn' });
    const bodies = Array.from({ length: total }, (_, i) => followDelivery(i, USERS[i % USERS.length]!));
    expect((await postAll(plain.port, bodies, 16)).every((s) => s === 200)).toBe(true);
    await stopSpawned(plain);
    await start({ DISPATCH_CONCURRENCY: '8', DISPATCH_PER_USER_ORDER: 'true', DISPATCH_POLL_MS: '60000', RECORDER_TRACE: '1' });
    const db = await openDatabase(testDb.config);
    let order: Map<string, string>;
    try {
      await until(async () => (await db.prisma.event.count({ where: { state: 'done' } })) === total, 30_000);
      const events = await db.prisma.event.findMany({ select: { id: true, dedupeKey: true } });
      order = new Map(events.map((e) => [e.dedupeKey, e.id]));
      expect(await db.prisma.handlerRun.count({ where: { state: 'done', attempts: 1 } })).toBe(total);
    } finally {
      await db.close();
    }
    expect(lines(path.join(dir, 'starts.log'))).toHaveLength(total);
    expectPerUserOrder(lines(path.join(dir, 'trace.log')), order, total);
  });
});
