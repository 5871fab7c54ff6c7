// Many instances on one PostgreSQL: two `xaa serve` processes take signed deliveries while two
// `xaa worker` processes dispatch them to two plugins; one worker is SIGKILLed midway while it
// holds work. Every acknowledged event must complete exactly once per handler, and what the
// killed worker held must be finished by the other. This is also the fault "a worker killed
// mid-handler on PostgreSQL: the event completes once on another worker" (asserted explicitly).
//
// The servers run with DISPATCH_IN_SERVER=false: that is the documented N receivers + M workers
// deployment, and it makes the two workers the only dispatchers, so the work the killed one held
// can only have been finished by the survivor (the assertion is about the workers, not about
// whichever process happened to claim first).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../support/app.js';
import { migratedDatabase, postgresUrl, type TestDatabase } from '../support/databases.js';
import { freePort, spawnXaa, waitForStatus, type Spawned } from '../support/process.js';
import { openDatabase, type Database } from '../../src/store/index.js';
import { followDelivery } from '../support/events.js';
import { TALLY_NAMES, TALLY_PLUGINS, postDelivery, tallied, until, type PostResult } from './helpers.js';

const DELIVERIES = 400;
const CLIENT_CONCURRENCY = 16;
/** The victim hangs every attempt after this many (per plugin): from then on it holds work until killed. */
const VICTIM_HANG_AFTER = 20;

const pg = postgresUrl();
if (!pg) console.warn('[tests] test/scale/many-instances: TEST_POSTGRES_URL is not set, SKIPPED (needs PostgreSQL)');

describe.skipIf(!pg)('two servers and two workers on one PostgreSQL', () => {
  let testDb: TestDatabase;
  let dir: string;
  const procs: Spawned[] = [];

  beforeAll(async () => {
    testDb = await migratedDatabase('postgresql');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-scale-'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await testDb?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const common = () => ({
    DATABASE_URL: testDb.url,
    DATABASE_POOL_SIZE: '8',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
  });

  async function server(): Promise<{ port: number; proc: Spawned }> {
    const port = await freePort();
    const proc = spawnXaa(['serve'], {
      ...common(),
      X_CONSUMER_SECRET: TEST_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      DISPATCH_IN_SERVER: 'false',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    });
    procs.push(proc);
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200);
    return { port, proc };
  }

  async function worker(env: Record<string, string>): Promise<Spawned> {
    const proc = spawnXaa(['worker'], {
      ...common(),
      HANDLERS: TALLY_PLUGINS,
      TALLY_DIR: dir,
      TALLY_DELAY_MS: '5',
      DISPATCH_LEASE_MS: '1000',
      DISPATCH_POLL_MS: '50',
      DISPATCH_CONCURRENCY: '8',
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    });
    procs.push(proc);
    await until(() => proc.output().includes('worker started') || proc.child.exitCode !== null, 60_000, 'worker start');
    if (proc.child.exitCode !== null) throw new Error(`worker exited at start:\n${proc.output()}`);
    return proc;
  }

  it('completes every acknowledged event exactly once per handler, across a SIGKILLed worker', async () => {
    const t0 = performance.now();
    const [s1, s2] = await Promise.all([server(), server()]);
    const [victim, survivor] = await Promise.all([worker({ TALLY_HANG_AFTER: String(VICTIM_HANG_AFTER) }), worker({})]);
    const victimPid = victim.child.pid!;
    const survivorPid = survivor.child.pid!;
    const tStarted = performance.now();

    // Deliveries, CLIENT_CONCURRENCY at a time, alternating between the two servers. The kill must
    // fall midway whatever the relative speeds: past 60 % the clients wait for it, then go on.
    const results: PostResult[] = new Array(DELIVERIES);
    let next = 0;
    let answered = 0;
    let killed!: () => void;
    const afterKill = new Promise<void>((resolve) => (killed = resolve));
    const client = async () => {
      for (let i = next++; i < DELIVERIES; i = next++) {
        if (i >= DELIVERIES * 0.6) await afterKill;
        results[i] = await postDelivery(i % 2 === 0 ? s1.port : s2.port, followDelivery(i));
        answered += 1;
      }
    };
    const posting = Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, client));

    // Midway, while the victim holds work (hung handlers, leases it keeps renewing): SIGKILL.
    await until(
      () => answered >= DELIVERIES / 2 && TALLY_NAMES.some((p) => tallied(dir, victimPid, p, 'hung').length > 0),
      30_000,
      'victim holding work midway',
    );
    const answeredAtKill = answered;
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    killed();
    await posting;
    const tPosted = performance.now();

    // Every delivery was acknowledged (no fault on this path) and split over both servers.
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200), JSON.stringify(results.filter((r) => r.status !== 200).slice(0, 3))).toEqual([]);
    expect(answeredAtKill).toBeLessThan(DELIVERIES);

    const db: Database = await openDatabase(testDb.config);
    try {
      const expectedRuns = DELIVERIES * TALLY_NAMES.length;
      await until(
        async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === expectedRuns,
        40_000,
        'all handler runs done',
      );
      const tDone = performance.now();

      // The store: one event per acknowledged delivery, every one done, one done run per
      // (event, handler), each completed once, no dead letters.
      expect(await db.prisma.delivery.count()).toBe(DELIVERIES);
      expect(await db.prisma.event.count()).toBe(DELIVERIES);
      expect(await db.prisma.event.count({ where: { state: { not: 'done' } } })).toBe(0);
      expect(await db.prisma.event.count({ where: { leaseOwner: { not: null } } })).toBe(0);
      const runs = await db.prisma.$queryRawUnsafe<Array<{ handler: string; state: string; n: bigint }>>(
        'SELECT handler, state, count(*) AS n FROM handler_runs GROUP BY handler, state',
      );
      expect(runs.map((r) => [r.handler, r.state, Number(r.n)]).sort()).toEqual(
        TALLY_NAMES.map((h) => [h, 'done', DELIVERIES]),
      );
      // Each run's completing try is recorded on the run, once.
      expect(await db.prisma.handlerRun.count({ where: { completedBy: { not: null }, startedAt: { not: null } } })).toBe(expectedRuns);
      // No failures, no releases, and no second completion. 'expired' (a handler that finished after
      // its lease had run out and the run had been completed by the other worker) is allowed:
      // execution is at-least-once.
      const outcomes = await db.prisma.$queryRawUnsafe<Array<{ outcome: string | null; n: bigint }>>(
        'SELECT outcome, count(*) AS n FROM handler_attempts GROUP BY outcome',
      );
      const byOutcome = Object.fromEntries(outcomes.map((o) => [o.outcome, Number(o.n)]));
      expect(Object.keys(byOutcome).filter((o) => o !== 'expired')).toEqual([]);
      expect(await db.prisma.deadLetter.count()).toBe(0);

      // Both workers did work; the victim's held work was finished by the survivor.
      const events = await db.prisma.event.findMany({ select: { id: true, dedupeKey: true } });
      const keyOf = new Map(events.map((e) => [e.id, e.dedupeKey]));
      const done = await db.prisma.handlerRun.findMany({ select: { completedBy: true, eventId: true, handler: true } });
      const completedBy = new Map(done.map((r) => [`${r.handler} ${keyOf.get(r.eventId)}`, r.completedBy]));
      let held = 0;
      for (const plugin of TALLY_NAMES) {
        const victimStarts = tallied(dir, victimPid, plugin, 'starts');
        const victimFinishes = new Set(tallied(dir, victimPid, plugin, 'finishes'));
        const victimHung = tallied(dir, victimPid, plugin, 'hung');
        const survivorFinishes = new Set(tallied(dir, survivorPid, plugin, 'finishes'));
        expect(victimFinishes.size).toBeGreaterThan(0);
        expect(survivorFinishes.size).toBeGreaterThan(0);
        // Started by the victim and never finished there: held, mid-handler, when it died. Each one
        // completed on the survivor (its run's completing try is the survivor's, checked above: once).
        const unfinished = victimStarts.filter((k) => !victimFinishes.has(k));
        expect(unfinished.length).toBeGreaterThanOrEqual(victimHung.length);
        for (const key of unfinished) {
          expect(survivorFinishes.has(key), `${plugin} ${key} finished by the survivor`).toBe(true);
          expect(completedBy.get(`${plugin} ${key}`)?.startsWith(`${survivorPid}-`)).toBe(true);
        }
        held += unfinished.length;
        // Every (event, handler) finished somewhere.
        const finished = new Set([...victimFinishes, ...survivorFinishes]);
        expect(events.filter((e) => !finished.has(e.dedupeKey))).toEqual([]);
      }
      expect(held).toBeGreaterThan(0);

      const ms = (a: number, b: number) => Math.round(b - a);
      console.log(
        `[scale] ${DELIVERIES} deliveries over 2 servers (${CLIENT_CONCURRENCY} concurrent): posted in ${ms(tStarted, tPosted)} ms ` +
          `(p50 ${percentile(results.map((r) => r.ms), 0.5)} ms, max ${percentile(results.map((r) => r.ms), 1)} ms); ` +
          `${expectedRuns} handler runs done ${ms(tStarted, tDone)} ms after the first post; victim killed after ${answeredAtKill} answers ` +
          `holding ${held} (event, handler) pairs; ${byOutcome.expired ?? 0} expired attempts; startup ${ms(t0, tStarted)} ms`,
      );
    } finally {
      await db.close();
    }

    // The rest shut down cleanly.
    for (const p of [survivor, s1.proc, s2.proc]) p.child.kill('SIGTERM');
    for (const p of [survivor, s1.proc, s2.proc]) expect((await p.exited).code, p.output().slice(-2000)).toBe(0);

    // No deadlock along the way (each costs deadlock_timeout, 1 s, and fails one side: a lease
    // renewal that fails lets the lease run out). Read once every session has ended and flushed
    // its statistics.
    await new Promise((r) => setTimeout(r, 300));
    const stats = await pgClient(pg!, async (c) =>
      (await c.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = $1`, [new URL(testDb.url).pathname.slice(1)])).rows,
    );
    expect(stats.map((r) => Number(r.deadlocks))).toEqual([0]);
  });
});

async function pgClient<T>(url: string, fn: (client: pgDriver.Client) => Promise<T>): Promise<T> {
  const client = new pgDriver.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!);
}
