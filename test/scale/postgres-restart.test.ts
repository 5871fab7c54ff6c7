// Fault: PostgreSQL restarted while deliveries arrive. On a throwaway cluster of this test's own
// (never the shared TEST_POSTGRES_URL server): a spawned `xaa serve` takes a steady stream of
// signed deliveries; the cluster is stopped (pg_ctl -m fast), kept down, then started again on
// the same port. While it is down every delivery must get a 503 promptly (not a 200, not a hang);
// afterwards 200s must resume without restarting the server, every delivery that got a 200 must
// be stored with its event, and the in-server dispatcher must finish every stored event.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.js';
import { loadConfig } from '../../src/config/index.js';
import { TEST_SECRET } from '../support/app.js';
import { migrate, postgresUrl } from '../support/databases.js';
import { freePort, spawnXaa, waitForStatus, type Spawned } from '../support/process.js';
import { followDelivery } from '../support/events.js';
import { OwnCluster, TALLY_NAMES, TALLY_PLUGINS, postDelivery, postgresBinDir, until } from './helpers.js';

/** A 503 must come within this (the pool's connectionTimeoutMillis is 5 s; a refused connect is immediate). */
const MAX_503_MS = 6_000;
const DOWN_FOR_MS = 3_000;

const pg = postgresUrl();
const bin = postgresBinDir();
if (!bin && process.env.CI) throw new Error('PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing under CI (.ci/run installs them)');
const skip = !pg ? 'TEST_POSTGRES_URL is not set' : !bin ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin' : '';
if (skip) console.warn(`[tests] test/scale/postgres-restart: ${skip}: SKIPPED (needs PostgreSQL)`);

interface Sent {
  i: number;
  body: Buffer;
  startedAt: number;
  endedAt: number;
  status: number;
  ms: number;
  error?: string;
}

describe.skipIf(Boolean(skip))('PostgreSQL restarted while deliveries arrive', () => {
  let dir: string;
  let cluster: OwnCluster | undefined;
  let server: Spawned | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-pg-restart-'));
    // pg-temp.sh hands the cluster's folder to an unprivileged user, who must reach it.
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'tally'));
    cluster = await OwnCluster.start(path.join(dir, 'pg'));
    await migrate(cluster.url);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server?.exited;
    await cluster?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, 200 again once it is back, and loses nothing acknowledged', async () => {
    const port = await freePort();
    server = spawnXaa(['serve'], {
      X_CONSUMER_SECRET: TEST_SECRET,
      DATABASE_URL: cluster!.url,
      DATABASE_POOL_SIZE: '8',
      PORT: String(port),
      HOST: '127.0.0.1',
      HANDLERS: TALLY_PLUGINS,
      TALLY_DIR: path.join(dir, 'tally'),
      DISPATCH_POLL_MS: '50',
      // Work whose completion could not be recorded during the outage stays leased until the lease
      // runs out: keep that short so that the test sees it handled again soon after the restart.
      DISPATCH_LEASE_MS: '1000',
      // Retries of handler runs hit by the outage come back quickly.
      DISPATCH_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,2s',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200);

    // A steady stream: 4 clients, each posting a distinct delivery every ~20 ms.
    const sent: Sent[] = [];
    let next = 0;
    let streaming = true;
    const clientLoop = async () => {
      while (streaming) {
        const i = next++;
        const body = followDelivery(i);
        const startedAt = Date.now();
        const r = await postDelivery(port, body, 15_000);
        sent.push({ i, body, startedAt, endedAt: Date.now(), ...r });
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    const clients = Promise.all(Array.from({ length: 4 }, clientLoop));
    const ok = (from: number) => sent.filter((s) => s.status === 200 && s.startedAt >= from).length;

    try {
      await until(() => ok(0) >= 40, 20_000, '200s before the outage');

      // Down.
      const tStopping = Date.now();
      await cluster!.stop();
      const tDown = Date.now();
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      await new Promise((r) => setTimeout(r, DOWN_FOR_MS));
      await until(() => sent.filter((s) => s.startedAt >= tDown).length >= 20, 20_000, 'answers while down');

      // Up again, on the same port; the server is not restarted.
      const tStarting = Date.now();
      await cluster!.restart();
      const tUp = Date.now();
      await until(() => ok(tUp) >= 40, 20_000, '200s after the restart');
      streaming = false;
      await clients;

      expect(server.child.exitCode, server.output().slice(-3000)).toBeNull();
      await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 10_000);

      // Every request got an answer: 200 or 503, nothing else (no dropped connection, no timeout).
      const statuses = new Map<number, number>();
      for (const s of sent) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
      expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503), JSON.stringify(sent.filter((s) => s.status !== 200 && s.status !== 503).slice(0, 3), ['status', 'error', 'ms'])).toEqual([]);

      // While down (sent after the stop completed, answered before the start began): only 503s, promptly.
      const whileDown = sent.filter((s) => s.startedAt >= tDown && s.endedAt <= tStarting);
      expect(whileDown.length).toBeGreaterThanOrEqual(20);
      expect(whileDown.filter((s) => s.status !== 503)).toEqual([]);
      expect(Math.max(...whileDown.map((s) => s.ms))).toBeLessThan(MAX_503_MS);
      // Nothing sent before the stop began or after the restart took longer than that either.
      expect(Math.max(...sent.map((s) => s.ms))).toBeLessThan(MAX_503_MS);
      // After the restart: 200s again (a few 503s right at the start are allowed: stale pooled connections).
      const afterUp = sent.filter((s) => s.startedAt >= tUp);
      expect(afterUp.filter((s) => s.status === 200).length).toBeGreaterThanOrEqual(40);
      const firstOkAfterUp = Math.min(...afterUp.filter((s) => s.status === 200).map((s) => s.startedAt));

      // Everything acknowledged is stored, with its event.
      const acknowledged = sent.filter((s) => s.status === 200);
      const db = await openDatabase(loadConfig({ DATABASE_URL: cluster!.url }).database);
      try {
        const rows = await db.prisma.delivery.findMany({ select: { bodySha256: true, eventCount: true, _count: { select: { events: true } } } });
        const stored = new Map(rows.map((r) => [r.bodySha256, r]));
        const missing = acknowledged.filter((s) => {
          const row = stored.get(createHash('sha256').update(s.body).digest('hex'));
          return !row || row.eventCount !== 1 || row._count.events !== 1;
        });
        expect(missing.map((s) => s.i)).toEqual([]);

        // The in-server dispatcher survived the outage too: every stored event completes for both plugins.
        const events = await db.prisma.event.count();
        await until(
          async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === events * TALLY_NAMES.length,
          30_000,
          'every stored event handled after the restart',
        );
        expect(await db.prisma.deadLetter.count()).toBe(0);

        console.log(
          `[fault] ${sent.length} deliveries: ${statuses.get(200) ?? 0} x 200 (all ${acknowledged.length} stored with their events), ` +
            `${statuses.get(503) ?? 0} x 503; stop took ${tDown - tStopping} ms, down ${tStarting - tDown} ms, start took ${tUp - tStarting} ms; ` +
            `${whileDown.length} answered while down, slowest ${Math.round(Math.max(...whileDown.map((s) => s.ms)))} ms; ` +
            `first 200 sent ${firstOkAfterUp - tUp} ms after the restart; ${events} events handled by both plugins`,
        );
      } finally {
        await db.close();
      }
    } finally {
      streaming = false;
      await clients;
    }

    server.child.kill('SIGTERM');
    expect((await server.exited).code, server.output().slice(-3000)).toBe(0);
  });
});
