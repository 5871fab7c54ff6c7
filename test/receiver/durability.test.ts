import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody, openDatabase, type Database } from '../../src/store/index.js';
import { postSigned, startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { migratedDatabase, postgresUrl, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { spawnServe, stopSpawned, type Served } from '../support/process.js';
import { postDelivery, sha256Hex } from './helpers.js';

/** Activity times of this run: recent, so that none is older than the dedupe window (stale, never dispatched). */
const RECENT = Date.now() - 60_000;

const SUBSCRIBED = '2244994945';

/** A distinct delivery carrying two posts (so that "stored with its events" means both of them). */
function twoPosts(n: number): { body: Buffer; keys: string[] } {
  const a = String(1985234567000000000n + BigInt(2 * n));
  const b = String(1985234567000000000n + BigInt(2 * n + 1));
  const post = (id: string) => `{"id":${id},"id_str":"${id}","text":"post ${id}","user":{"id_str":"1375036644"},"timestamp_ms":"${RECENT}"}`;
  const body = Buffer.from(`{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[${post(a)},${post(b)}]}`);
  return { body, keys: [`${SUBSCRIBED}:post:${a}`, `${SUBSCRIBED}:post:${b}`] };
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

describe.each(providersUnderTest())('store unavailable on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider, { SQLITE_BUSY_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Makes the store refuse the app's writes until the returned function is called. */
  async function makeUnavailable(): Promise<() => Promise<void>> {
    if (provider === 'sqlite') {
      const locker = new BetterSqlite3(app.testDb.config.file!);
      locker.pragma('busy_timeout = 0');
      locker.exec('BEGIN EXCLUSIVE');
      return async () => {
        locker.exec('ROLLBACK');
        locker.close();
      };
    }
    const name = databaseName(app.testDb.url);
    await withAdmin(async (admin) => {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    });
    // Let the pool see its connections die.
    await new Promise((r) => setTimeout(r, 200));
    return () => withAdmin(async (admin) => void (await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)));
  }

  it('answers 503 while the store is unavailable, and 200 (stored) when X retries after it is back', async () => {
    // Warm the connection(s) up first: the failure must happen on a live app.
    const warm = twoPosts(1_000_001);
    expect((await postDelivery(app.handler, warm.body)).status).toBe(200);

    const { body, keys } = twoPosts(1);
    const restore = await makeUnavailable();
    let restored = false;
    try {
      const started = Date.now();
      const res = await postDelivery(app.handler, body);
      expect(res.status, res.text).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.body).toMatchObject({ error: expect.any(String) });
      expect(res.text).not.toContain(TEST_SECRET);
      // It fails fast enough for X (well under its time limit).
      expect(Date.now() - started).toBeLessThan(3000);
      await restore();
      restored = true;
    } finally {
      if (!restored) await restore();
    }

    const retry = await postDelivery(app.handler, body);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toMatchObject({ status: 'accepted', events: 2, duplicates: 0 });
    const deliveries = await app.db.prisma.delivery.findMany({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.events.map((e) => e.dedupeKey).sort()).toEqual([...keys].sort());
    expect(decodeBody(deliveries[0]!.body, deliveries[0]!.bodyEncoding).equals(body)).toBe(true);
  });

  it('counts the 503 in xaa_deliveries_total{result="unavailable"}', async () => {
    const { values } = await app.metrics.deliveries.get();
    expect(values.find((v) => v.labels.result === 'unavailable')?.value).toBeGreaterThanOrEqual(1);
  });

  it('answers 20 concurrent deliveries 503 promptly while the store is unavailable, and keeps answering CRCs', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => twoPosts(2_000_000 + i).body);
    const restore = await makeUnavailable();
    let crcMs = -1;
    let postsMs = -1;
    let statuses: number[] = [];
    try {
      const started = Date.now();
      const posts = Promise.all(bodies.map((b) => postDelivery(app.handler, b).then((r) => r.status)));
      // A CRC challenge arriving meanwhile (X allows 3 s; it must not wait for the store).
      await new Promise((r) => setTimeout(r, 20));
      const crcStarted = Date.now();
      const crc = await request(app.handler).get('/webhook?crc_token=c3RvcmUtaXMtZG93bi1jcmM');
      crcMs = Date.now() - crcStarted;
      expect(crc.status).toBe(200);
      statuses = await posts;
      postsMs = Date.now() - started;
    } finally {
      await restore();
    }
    expect(statuses).toEqual(Array(20).fill(503));
    // SQLITE_BUSY_TIMEOUT_MS is 200: a few multiples of it at most, not one busy timeout per queued delivery.
    // (One busy timeout per queued delivery would be 20 x 200 ms = 4 s; the bounds leave room for a
    // busy machine.)
    expect.soft(postsMs, `20 deliveries answered after ${postsMs} ms`).toBeLessThan(3500);
    expect.soft(crcMs, `CRC answered after ${crcMs} ms`).toBeLessThan(3000);
    // Nothing half-stored; all of them go through once the store is back.
    for (const b of bodies) expect(await app.db.prisma.delivery.count({ where: { bodySha256: sha256Hex(b) } })).toBe(0);
    const retried = await Promise.all(bodies.map((b) => postDelivery(app.handler, b).then((r) => r.status)));
    expect(retried).toEqual(Array(20).fill(200));
  });

  it('serves normally afterwards', async () => {
    const { body } = twoPosts(2);
    expect((await postDelivery(app.handler, body)).status).toBe(200);
  });
});

describe.each(providersUnderTest())('SIGKILL with deliveries in flight on %s', (provider) => {
  const TOTAL = 400;
  const CONCURRENCY = 32;
  const KILL_AFTER = 150;
  let testDb: TestDatabase;
  let proc: Served | undefined;

  beforeAll(async () => {
    testDb = await migratedDatabase(provider);
  });
  afterAll(async () => {
    await stopSpawned(proc, 'SIGKILL');
    await testDb?.drop();
  });

  async function start(): Promise<{ port: number; proc: Served }> {
    proc = await spawnServe(testDb.url, { LOG_LEVEL: 'warn' }, { ready: '/readyz', readyTimeoutMs: 30_000 });
    return { port: proc.port, proc };
  }

  async function send(port: number, body: Buffer): Promise<number> {
    const res = await postSigned(`http://127.0.0.1:${port}/webhook`, body);
    await res.arrayBuffer();
    return res.status;
  }

  async function storedBySha(db: Database, shas: string[]) {
    const rows = [];
    for (let i = 0; i < shas.length; i += 100) {
      rows.push(
        ...(await db.prisma.delivery.findMany({
          where: { bodySha256: { in: shas.slice(i, i + 100) } },
          select: { id: true, bodySha256: true, eventCount: true, status: true, events: { select: { dedupeKey: true } } },
        })),
      );
    }
    return rows;
  }

  it('keeps every delivery it answered 200, with all its events; retries after a restart lose nothing', async () => {
    const deliveries = Array.from({ length: TOTAL }, (_, i) => twoPosts(i));
    const first = await start();
    const acked: number[] = [];
    const failed: number[] = [];
    let next = 0;
    let killed = false;

    async function worker(): Promise<void> {
      while (next < TOTAL) {
        const i = next++;
        if (killed) {
          failed.push(i);
          continue;
        }
        try {
          const status = await send(first.port, deliveries[i]!.body);
          if (status === 200) acked.push(i);
          else failed.push(i);
          if (!killed && acked.length >= KILL_AFTER) {
            killed = true;
            first.proc.child.kill('SIGKILL');
          }
        } catch {
          failed.push(i);
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const exit = await first.proc.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failed.length).toBeGreaterThan(0);
    expect(acked.length + failed.length).toBe(TOTAL);
    if (process.env.DEBUG_DURABILITY) console.log(JSON.stringify({ provider, acked: acked.length, failed: failed.length }));

    if (provider === 'sqlite') {
      const raw = new BetterSqlite3(testDb.config.file!);
      try {
        expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        raw.close();
      }
    }

    const db = await openDatabase(testDb.config);
    try {
      // Every delivery answered 200 is there, byte-identified, with both of its events.
      const ackedShas = acked.map((i) => sha256Hex(deliveries[i]!.body));
      const stored = await storedBySha(db, ackedShas);
      const bySha = new Map(stored.map((d) => [d.bodySha256, d]));
      for (const i of acked) {
        const row = bySha.get(sha256Hex(deliveries[i]!.body));
        expect(row, `acknowledged delivery ${i} is missing`).toBeDefined();
        expect(row!.events.map((e) => e.dedupeKey).sort()).toEqual([...deliveries[i]!.keys].sort());
      }
      // No torn writes: any delivery row at all has exactly its events (atomic with them).
      const all = await db.prisma.delivery.findMany({ select: { eventCount: true, _count: { select: { events: true } } } });
      for (const d of all) expect(d._count.events).toBe(d.eventCount);
      expect(await db.prisma.event.count()).toBe(2 * all.length);

      // X retries what got no 200: after a restart everything is stored exactly once.
      const second = await start();
      const statuses = await Promise.all(failed.map((i) => send(second.port, deliveries[i]!.body)));
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(await db.prisma.event.count()).toBe(2 * TOTAL);
      const everything = await storedBySha(
        db,
        deliveries.map((d) => sha256Hex(d.body)),
      );
      expect(new Set(everything.map((d) => d.bodySha256)).size).toBe(TOTAL);
      second.proc.child.kill('SIGTERM');
      expect((await second.proc.exited).code).toBe(0);
    } finally {
      await db.close();
    }
  });
});
