import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_WINDOW_DAYS, sample, TEST_SECRET, xSignature } from '../support/app.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { pluginEnv, spawnServe, stopSpawned, type Served } from '../support/process.js';

const ADMIN = 'metrics-admin-token-0123456789';

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('/metrics on a running server', () => {
  let db: TestDatabase;
  let proc: Served;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    db = await migratedDatabase('sqlite');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-metrics-'));
    proc = await spawnServe(db.url, {
      ADMIN_TOKEN: ADMIN,
      // The fixtures are dated November 2026: not stale.
      DEDUPE_WINDOW_DAYS: FIXTURE_WINDOW_DAYS,
      ...pluginEnv('./test/fixtures/plugins/recorder.ts', dir),
      DISPATCH_POLL_MS: '50',
      LOG_LEVEL: 'warn',
    });
    base = `http://127.0.0.1:${proc.port}`;
  });
  afterAll(async () => {
    await stopSpawned(proc);
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('answers 401 without the token or with a wrong one', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-admin-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(ADMIN);
  });

  it('answers 401 to a token of the right length but the wrong value, and to a prefix of it', async () => {
    for (const token of [ADMIN.replace(/.$/, 'x'), ADMIN.slice(0, -1), `${ADMIN}0`]) {
      expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, token).toBe(401);
    }
  });

  it('/readyz: the status alone without the token, the details with it', async () => {
    const anyone = await fetch(`${base}/readyz`);
    expect(anyone.status).toBe(200);
    expect(await anyone.json()).toEqual({ status: 'ready' });
    const wrong = await fetch(`${base}/readyz`, { headers: { authorization: 'Bearer not-the-admin-token-at-all' } });
    expect(await wrong.json()).toEqual({ status: 'ready' });
    const admin = await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({
      status: 'ready',
      database: { provider: 'sqlite', reachable: true },
      migrations: { pending: [], failed: [] },
    });
  });

  it('serves the product series, changing as traffic flows', async () => {
    const before = await scrape();
    for (const name of [
      'xaa_deliveries_total',
      'xaa_crc_duration_seconds',
      'xaa_store_commit_duration_seconds',
      'xaa_dispatch_lag_seconds',
      'xaa_handler_duration_seconds',
      'xaa_handler_failures_total',
      'xaa_queue_depth',
      'xaa_dead_letters',
    ]) {
      expect(before, name).toContain(`# TYPE ${name}`);
    }

    const body = sample('aaa-follow.json');
    const post = (b: Buffer, signature: string) =>
      fetch(`${base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': signature }, body: b });
    expect((await post(body, xSignature(body))).status).toBe(200);
    expect((await post(body, xSignature(body))).status).toBe(200);
    expect((await post(body, xSignature(body, 'wrong-secret'))).status).toBe(401);
    expect((await fetch(`${base}/webhook?crc_token=${'a'.repeat(24)}`)).status).toBe(200);
    // Wait for the recorder plugin to have run.
    const deadline = Date.now() + 20_000;
    let after = await scrape();
    // The handler metric is observed when the handler returns; the event is marked done when its
    // outcome commits just after: wait for both.
    while (
      (value(after, 'xaa_handler_duration_seconds_count{plugin="recorder",outcome="ok"}') < 1 || value(after, 'xaa_queue_depth') !== 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrape();
    }
    expect(value(after, 'xaa_deliveries_total{result="accepted"}')).toBe(value(before, 'xaa_deliveries_total{result="accepted"}') + 1);
    expect(value(after, 'xaa_deliveries_total{result="duplicate"}')).toBe(value(before, 'xaa_deliveries_total{result="duplicate"}') + 1);
    expect(value(after, 'xaa_deliveries_total{result="bad_signature"}')).toBe(value(before, 'xaa_deliveries_total{result="bad_signature"}') + 1);
    expect(value(after, 'xaa_crc_duration_seconds_count{outcome="ok"}')).toBe(value(before, 'xaa_crc_duration_seconds_count{outcome="ok"}') + 1);
    expect(value(after, 'xaa_store_commit_duration_seconds_count{outcome="ok"}')).toBeGreaterThan(value(before, 'xaa_store_commit_duration_seconds_count{outcome="ok"}'));
    expect(value(after, 'xaa_handler_duration_seconds_count{plugin="recorder",outcome="ok"}')).toBe(1);
    expect(value(after, 'xaa_dispatch_lag_seconds_count')).toBe(1);
    expect(value(after, 'xaa_queue_depth')).toBe(0);
    expect(value(after, 'xaa_dead_letters')).toBe(0);
    expect(after).not.toContain(TEST_SECRET);
  });

  it.runIf(process.platform === 'linux')('xaa_thread_cpu_seconds_total: the HTTP, writer and dispatch threads and the rest, each growing with its own work', async () => {
    const before = await scrape();
    const threads = ['main', 'sqlite_writer', 'dispatch', 'other'];
    for (const t of threads) expect(value(before, `xaa_thread_cpu_seconds_total{thread="${t}"}`), t).toBeGreaterThan(0);
    // Deliveries keep the HTTP thread and the writer busy (each parses, verifies, stores).
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const body = Buffer.from(JSON.stringify({ for_user_id: '2244994945', follow_events: [{ type: 'follow', created_timestamp: String(Date.now()), target: { id: String(i) }, source: { id: '9' } }] }));
        return fetch(`${base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': xSignature(body) }, body }).then((r) => r.arrayBuffer());
      }),
    );
    const after = await scrape();
    for (const t of ['main', 'sqlite_writer']) {
      expect(value(after, `xaa_thread_cpu_seconds_total{thread="${t}"}`), t).toBeGreaterThan(value(before, `xaa_thread_cpu_seconds_total{thread="${t}"}`));
    }
    for (const t of threads) {
      expect(value(after, `xaa_thread_cpu_seconds_total{thread="${t}"}`), t).toBeGreaterThanOrEqual(value(before, `xaa_thread_cpu_seconds_total{thread="${t}"}`));
    }
  });
});
