// The XAA persistent stream end to end: the X stand-in serves GET /2/activity/stream over
// loopback, `xaa stream` (or `xaa serve --stream`) runs from source with a recording handler
// plugin on a real database. Connections cut mid-burst, a consumer killed and restarted
// mid-burst, a gap longer than X's backfill, and the same events by webhook and by stream:
// every event is handled once, none lost within the backfill window, and what is not covered is
// reported.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, saveStreamLastSeen } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { freePort, lines, spawnXaa, until, waitForStatus, type Spawned } from '../support/process.js';

const USER = '2244994945';
const BEARER = 'stream-test-app-bearer-token-0123456789';
const SECRET = 'stream-test-consumer-secret-0123456789abcdef';
const ADMIN = 'stream-test-admin-token-0123456789';

describe.each(providersUnderTest())('the XAA persistent stream on %s', (provider) => {
  let testDb: TestDatabase;
  let dir: string;
  let x: XStandIn;
  /** The stand-in's clock runs this far from the real one (tests move it instead of waiting). */
  let clockOffsetMs = 0;
  const procs: Spawned[] = [];

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-stream-'));
    clockOffsetMs = 0;
    x = new XStandIn({
      consumerKey: 'stream-test-consumer-key',
      consumerSecret: SECRET,
      bearerToken: BEARER,
      users: [{ id: USER, username: 'streamtest', oauth2Token: 'stream-test-user-token' }],
      allowLoopbackHttp: true,
      streamKeepAliveMs: 200,
      clock: () => new Date(Date.now() + clockOffsetMs),
    });
    await x.start();
  });

  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    await x.stop();
    await testDb.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function api(method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${x.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** An XAA subscription to the user's own posts (public: the app bearer token), to the stream only or also to a webhook. */
  async function subscribe(webhookId?: string): Promise<void> {
    await api('POST', '/2/activity/subscriptions', { event_type: 'post.create', filter: { user_id: USER }, ...(webhookId ? { webhook_id: webhookId } : {}) });
  }

  async function spawn(command: string[], env: Record<string, string> = {}): Promise<{ proc: Spawned; port: number }> {
    const port = await freePort();
    const proc = spawnXaa(command, {
      DATABASE_URL: testDb.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      X_API_BASE_URL: x.url,
      X_BEARER_TOKEN: BEARER,
      ADMIN_TOKEN: ADMIN,
      HANDLERS: './test/fixtures/plugins/recorder.ts',
      RECORDER_DIR: dir,
      DISPATCH_LEASE_MS: '1000',
      DISPATCH_POLL_MS: '50',
      XAA_STREAM_IDLE_TIMEOUT_MS: '3000',
      XAA_STREAM_BACKOFF_INITIAL_MS: '50',
      XAA_STREAM_BACKOFF_MAX_MS: '500',
      LOG_LEVEL: 'info',
      ...env,
    });
    procs.push(proc);
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200);
    return { proc, port };
  }

  /** Emits `count` of the user's own posts, yielding now and then so that the consumer reads between them. */
  async function burst(count: number, every = 10): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push((await x.emit('post.create', USER, { variant: 'author' })).activity.id);
      if (i % every === every - 1) await new Promise((r) => setTimeout(r, 5));
    }
    return ids;
  }

  async function withDb<T>(fn: (prisma: Awaited<ReturnType<typeof openDatabase>>['prisma']) => Promise<T>): Promise<T> {
    const db = await openDatabase(testDb.config);
    try {
      return await fn(db.prisma);
    } finally {
      await db.close();
    }
  }

  /** Every event of the burst handled once: one event per post, one completed handler run each, every id recorded. */
  async function expectHandledOnce(postIds: string[]): Promise<void> {
    const keys = postIds.map((id) => `${USER}:post:${id}`);
    await until(async () => new Set(lines(path.join(dir, 'finishes.log'))).size >= postIds.length, 60_000);
    await withDb(async (prisma) => {
      // A handler's finish line is written before its outcome is committed: wait for the commits.
      await until(async () => (await prisma.event.count({ where: { state: 'done' } })) >= postIds.length, 60_000);
      // Nothing more arrives later: a second run of any event would show up.
      await new Promise((r) => setTimeout(r, 300));
      const events = await prisma.event.findMany({ select: { id: true, dedupeKey: true, state: true } });
      expect(events.map((e) => e.dedupeKey).sort()).toEqual([...keys].sort());
      expect(events.every((e) => e.state === 'done')).toBe(true);
      expect(await prisma.handlerRun.count({ where: { state: 'done' } })).toBe(postIds.length);
      const finishes = lines(path.join(dir, 'finishes.log'));
      expect(new Set(finishes)).toEqual(new Set(events.map((e) => e.dedupeKey)));
    });
  }

  it('the stand-in drops the connection mid-burst (mid-line): the backfill brings the rest, every event handled exactly once', async () => {
    await subscribe();
    const { proc } = await spawn(['stream']);
    await until(() => x.stream.connections === 1, 30_000);
    x.stream.drop(40);
    const ids = await burst(300);
    await expectHandledOnce(ids);
    // One handler attempt per event: the redelivered lines were absorbed as duplicates, never dispatched.
    const finishes = lines(path.join(dir, 'finishes.log'));
    expect(finishes).toHaveLength(300);
    expect(lines(path.join(dir, 'starts.log'))).toHaveLength(300);
    expect(x.streamRequests.length).toBeGreaterThanOrEqual(2);
    expect(x.streamRequests[0]!.backfillMinutes).toBe(0);
    expect(x.streamRequests[1]!.backfillMinutes).toBeGreaterThanOrEqual(1);
    expect(proc.output()).toMatch(/stream: disconnected; reconnecting/);
    await withDb(async (prisma) => {
      const repeats = (await prisma.event.findMany({ select: { duplicateCount: true } })).reduce((n, e) => n + e.duplicateCount, 0);
      expect(repeats).toBeGreaterThanOrEqual(40);
      expect(await prisma.delivery.count({ where: { source: 'webhook' } })).toBe(0);
      expect(await prisma.delivery.count({ where: { source: 'stream' } })).toBeGreaterThanOrEqual(340);
    });
    const shown = spawnXaa(['events', 'show', `${USER}:post:${ids[7]}`, '--json'], { DATABASE_URL: testDb.url });
    await shown.exited;
    expect(JSON.parse(shown.output())).toMatchObject({ source: 'stream', type: 'post.create', format: 'xaa' });
  });

  it('the consumer killed and restarted mid-burst: every event of the backfill window handled once', async () => {
    await subscribe();
    const first = await spawn(['stream']);
    await until(() => x.stream.connections === 1, 30_000);
    const ids = await burst(60, 5);
    await until(() => lines(path.join(dir, 'finishes.log')).length >= 20, 30_000);
    first.proc.child.kill('SIGKILL');
    const more = burst(140, 5);
    await first.proc.exited;
    ids.push(...(await more));
    await spawn(['stream']);
    ids.push(...(await burst(50, 5)));
    await expectHandledOnce(ids);
    const last = x.streamRequests.at(-1)!;
    expect(last.backfillMinutes).toBeGreaterThanOrEqual(1);
  });

  it('reports a gap longer than the 5 minutes X backfills: log line, metric, store, doctor', async () => {
    await subscribe();
    const lastSeen = new Date(Date.now() - 12 * 60_000);
    await withDb((prisma) => saveStreamLastSeen(prisma, lastSeen));
    // Published at the stand-in's time 7 minutes ago (past its 5 minutes kept) and 2 minutes ago.
    clockOffsetMs = -7 * 60_000;
    const [lost] = await burst(1);
    clockOffsetMs = -2 * 60_000;
    const kept = await burst(3);
    clockOffsetMs = 0;

    const { proc, port } = await spawn(['stream']);
    await until(() => x.stream.connections === 1, 30_000);
    expect(x.streamRequests[0]!.backfillMinutes).toBe(5);
    await expectHandledOnce(kept);
    expect(lines(path.join(dir, 'starts.log'))).not.toContain(`${USER}:post:${lost}`);

    expect(proc.output()).toMatch(/may be missing/);
    const gaps = await withDb((prisma) => prisma.streamGap.findMany());
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.fromAt.getTime()).toBe(lastSeen.getTime());
    expect(gaps[0]!.seconds).toBeGreaterThanOrEqual(420);
    expect(gaps[0]!.seconds).toBeLessThan(600);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const uncovered = Number(/^xaa_stream_uncovered_gap_seconds_total (\S+)$/m.exec(metrics)?.[1]);
    expect(uncovered).toBeGreaterThanOrEqual(420);
    expect(metrics).toMatch(/^xaa_stream_connected 1$/m);
    expect(metrics).toMatch(/^xaa_stream_events_total\{outcome="new"\} 3$/m);
    expect(Number(/^xaa_stream_gap_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(720);

    const doctor = spawnXaa(['doctor', '--json'], { DATABASE_URL: testDb.url, X_API_BASE_URL: x.url, X_BEARER_TOKEN: BEARER });
    await doctor.exited;
    const report = JSON.parse(doctor.output().slice(doctor.output().indexOf('{'))) as { checks: Array<{ check: string; status: string; detail: string }> };
    const check = report.checks.find((c) => c.check === 'stream');
    expect(check?.status).toBe('warn');
    expect(check?.detail).toMatch(/not covered/);
  });

  it('the same events by webhook and by stream (`serve --stream`): each handled once', async () => {
    const { port } = await spawn(['serve', '--stream'], { X_CONSUMER_SECRET: SECRET });
    const created = await api('POST', '/2/webhooks', { url: `http://127.0.0.1:${port}/webhook` });
    const webhookId = (created.data as { id: string }).id;
    await subscribe(webhookId);
    await until(() => x.stream.connections === 1, 30_000);
    const ids = await burst(50);
    expect(x.deliveries.filter((d) => d.status === 200)).toHaveLength(50);
    await expectHandledOnce(ids);
    expect(lines(path.join(dir, 'starts.log'))).toHaveLength(50);
    await until(async () => (await withDb((prisma) => prisma.delivery.count({ where: { source: 'stream' } }))) >= 50, 30_000);
    await withDb(async (prisma) => {
      expect(await prisma.delivery.count({ where: { source: 'webhook' } })).toBe(50);
      expect(await prisma.delivery.count({ where: { source: 'stream' } })).toBe(50);
      const events = await prisma.event.findMany({ select: { duplicateCount: true } });
      expect(events.every((e) => e.duplicateCount === 1)).toBe(true);
    });
  });

  // X may send the stream's headers only with its first keep-alive: `xaa stream` waits for them to
  // check the token. A SIGTERM during that wait used to find no handler (installed only after it),
  // and node's default killed the process: no clean stop, exit by signal.
  it('stops cleanly on SIGTERM while X has not answered the first connection yet', async () => {
    const silent = net.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = await freePort();
      const proc = spawnXaa(['stream'], {
        DATABASE_URL: testDb.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        X_API_BASE_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        X_BEARER_TOKEN: BEARER,
        LOG_LEVEL: 'info',
      });
      procs.push(proc);
      await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect(proc.output()).toMatch(/"msg":"stopped"/);
    } finally {
      silent.close();
    }
  });

  it('stops at startup with one clear line when X refuses the bearer token, never printing it', async () => {
    const port = await freePort();
    const wrong = 'not-the-app-bearer-token-abcdef0123456789';
    const proc = spawnXaa(['stream'], {
      DATABASE_URL: testDb.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      X_API_BASE_URL: x.url,
      X_BEARER_TOKEN: wrong,
      LOG_LEVEL: 'info',
    });
    procs.push(proc);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toMatch(/xaa: X refused the stream's bearer token \(HTTP 401/);
    expect(proc.output()).not.toContain(wrong);

    // Without a bearer token at all: one configuration line, before anything starts.
    const bare = spawnXaa(['stream'], { DATABASE_URL: testDb.url, PORT: String(port), HOST: '127.0.0.1', X_API_BASE_URL: x.url });
    procs.push(bare);
    expect((await bare.exited).code).toBe(1);
    expect(bare.output().trim()).toBe(
      "xaa: configuration error: X_BEARER_TOKEN is required to consume the XAA persistent stream: set it to the X app's bearer token (app-only OAuth 2.0)",
    );
    expect(x.requests.filter((r) => r.route === 'GET /2/activity/stream')).toHaveLength(1);
  });
});
