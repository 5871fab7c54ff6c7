// Storage faults: when the disk or the database fills up, deliveries get 503 (X retries), nothing
// acknowledged is lost, CRCs keep answering, /readyz and the metrics say why, and intake resumes by
// itself once space returns. The store is filled for real under a steady load of signed
// deliveries, two ways: SQLITE_MAX_SIZE_MB (SQLite's max_page_count, the portable way to make the
// database full), space coming back as in production by retention pruning old rows; and, where
// this machine lets the test mount one, a small tmpfs filled by another file that is then deleted
// (a real ENOSPC).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { prune, retentionPolicy } from '../../src/store/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { loadConfig } from '../../src/config/index.js';
import { migrate, type TestDatabase } from '../support/databases.js';
import { postOverHttp, until } from './helpers.js';

const ADMIN = 'store-full-admin-token-0123456789';
const DAY = 86_400_000;
/** Deliveries of the old backlog that fills most of a 2 MiB store. */
const OLD_DELIVERIES = 360;
const SUBSCRIBED = '2244994945';
let serial = 0;

/** A distinct signed-able delivery of one post whose time is `at`, with ~3 KB of incompressible text. */
function delivery(at: number): Buffer {
  const id = String(1985234567892000000n + BigInt(serial++));
  const text = randomBytes(2400).toString('base64');
  return Buffer.from(
    `{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[{"id":${id},"id_str":"${id}","text":"${text}",` +
      `"user":{"id_str":"1375036644"},"timestamp_ms":"${at}"}]}`,
  );
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small tmpfs mounted on a temporary folder, or null where this machine does not allow it. */
function mountTmpfs(sizeMb: number): { dir: string; unmount(): void } | null {
  if (process.platform !== 'linux') return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tmpfs = mountTmpfs(4);
if (!tmpfs) console.warn('[tests] cannot mount a tmpfs here: the real full-disk case is SKIPPED (the max_page_count case still runs)');

interface Scenario {
  name: string;
  skip: boolean;
  /** The app, its store already holding the data that fills it. */
  start(): Promise<TestApp>;
  /** Gives space back, the way this kind of full store gets it back. */
  free(app: TestApp): Promise<void>;
}

let ballast = '';
const scenarios: Scenario[] = [
  {
    name: 'the database at SQLITE_MAX_SIZE_MB, space freed by retention',
    skip: false,
    async start() {
      const app = await startTestApp('sqlite', { SQLITE_MAX_SIZE_MB: '2', ADMIN_TOKEN: ADMIN, RETENTION_DAYS: '7', DEDUPE_WINDOW_DAYS: '5' });
      // Old data filling most of the 2 MiB: a month-old backlog no handler took (what
      // RETENTION_UNHANDLED_DAYS prunes), written through the receiver's own inbox. (400 filled
      // it up before the last delivery once events gained their index by delivery.)
      const monthAgo = Date.now() - 30 * DAY;
      for (let i = 0; i < OLD_DELIVERIES; i++) {
        const r = await app.inbox.write({ receivedAt: new Date(monthAgo), body: delivery(monthAgo), contentType: 'application/json', userAgent: null, remoteAddr: null });
        expect(r.status).toBe('accepted');
      }
      return app;
    },
    async free(app) {
      // No restart, nothing else done: the pruned pages are reused.
      const pruned = await prune(app.db, retentionPolicy(app.config.retention));
      expect(pruned.unhandled).toBe(OLD_DELIVERIES);
    },
  },
  {
    name: 'a full disk (a 4 MiB tmpfs), space freed by deleting another file',
    skip: !tmpfs,
    async start() {
      const url = `file:${path.join(tmpfs!.dir, 'xaa.db')}`;
      await migrate(url);
      const testDb: TestDatabase = { provider: 'sqlite', url, config: loadConfig({ DATABASE_URL: url }).database, drop: async () => {} };
      const app = await startTestApp('sqlite', { ADMIN_TOKEN: ADMIN }, testDb);
      // Another file takes all but ~600 KiB of the disk.
      ballast = path.join(tmpfs!.dir, 'ballast');
      const free = Number(execFileSync('df', ['--output=avail', '-B1', tmpfs!.dir]).toString().trim().split('\n').at(-1));
      fs.writeFileSync(ballast, Buffer.alloc(Math.max(0, free - 600 * 1024)));
      return app;
    },
    async free() {
      fs.rmSync(ballast);
    },
  },
];

afterAll(() => tmpfs?.unmount());

describe.each(scenarios)('a full store under load: $name', (scenario) => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  afterAll(async () => {
    agent.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await app?.close();
  });


  const post = (body: Buffer) => postOverHttp(`${base}/webhook`, body, agent);

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(async (r) => ({ status: r.status, text: await r.text() }));

  function series(text: string, name: string): number {
    const line = text.split('\n').find((l) => l.startsWith(name + ' '));
    return line ? Number(line.split(' ').at(-1)) : NaN;
  }

  it.skipIf(scenario.skip)('answers 503 while full, loses nothing it acknowledged, keeps answering CRCs, says why, and resumes once space returns', async () => {
    app = await scenario.start();
    server = http.createServer(app.handler).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // A steady load: 8 clients posting distinct deliveries until told to stop.
    const sent: Array<{ sha: string; status: number; error?: string; phase: 'before' | 'after' }> = [];
    let phase: 'before' | 'after' = 'before';
    let running = true;
    const client = async () => {
      while (running) {
        const body = delivery(Date.now());
        const at = phase;
        const res = await post(body);
        sent.push({ sha: sha256(body), status: res.status, phase: at, ...(res.status === 503 ? { error: (JSON.parse(res.body) as { error: string }).error } : {}) });
      }
    };
    const clients = Array.from({ length: 8 }, client);

    try {
      // Full: 503s, each saying the store is full.
      await until(() => sent.filter((s) => s.status === 503).length >= 40, 60_000);
      expect(sent.filter((s) => s.status === 503).every((s) => s.error === 'store_full')).toBe(true);

      // CRCs keep answering while every delivery is refused.
      for (let i = 0; i < 10; i++) {
        const crc = await get(`/webhook?crc_token=${'crc-token-while-full-'}${i}`);
        expect(crc.status).toBe(200);
        expect(JSON.parse(crc.text)).toHaveProperty('response_token');
      }
      // /readyz: not ready; why, with the admin token.
      expect(await get('/readyz')).toEqual({ status: 503, text: JSON.stringify({ status: 'not ready' }) });
      const ready = await get('/readyz', ADMIN);
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text)).toMatchObject({ status: 'not ready', database: { reachable: true }, store: { writable: false, reason: 'full' } });
      // The metrics say why.
      const metrics = (await get('/metrics', ADMIN)).text;
      expect(series(metrics, 'xaa_store_writable')).toBe(0);
      expect(series(metrics, 'xaa_store_full')).toBe(1);
      expect(series(metrics, 'xaa_store_write_failures_total{reason="full"}')).toBeGreaterThanOrEqual(40);

      // Space returns (no restart).
      await scenario.free(app);
      phase = 'after';
      await until(() => sent.filter((s) => s.phase === 'after' && s.status === 200).length >= 40, 60_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    // Every answer was a 200 or a 503: nothing dropped, nothing else.
    expect([...new Set(sent.map((s) => s.status))].sort()).toEqual([200, 503]);
    // Every acknowledged delivery is stored; none that was refused is.
    const stored = new Set((await app.db.prisma.delivery.findMany({ select: { bodySha256: true } })).map((d) => d.bodySha256));
    const acked = sent.filter((s) => s.status === 200);
    expect(acked.filter((s) => !stored.has(s.sha))).toEqual([]);
    expect(sent.filter((s) => s.status === 503 && stored.has(s.sha))).toEqual([]);
    expect(await app.db.prisma.event.count({ where: { delivery: { bodySha256: { in: acked.map((s) => s.sha) } } } })).toBe(acked.length);

    // Ready again, and the metrics say so.
    expect((await get('/readyz')).status).toBe(200);
    expect(JSON.parse((await get('/readyz', ADMIN)).text)).toMatchObject({ status: 'ready', store: { writable: true } });
    const after = (await get('/metrics', ADMIN)).text;
    expect(series(after, 'xaa_store_writable')).toBe(1);
    expect(series(after, 'xaa_store_full')).toBe(0);
    console.log(
      `[store-full: ${scenario.name}] ${acked.length} acknowledged (${acked.filter((s) => s.phase === 'after').length} after space returned), ` +
        `${sent.length - acked.length} refused with 503 while full; all acknowledged stored`,
    );
  });
});
