import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { xWebhooks, type XWebhooksMiddleware } from '../../src/embed/express.js';
import { openDatabase, type Database } from '../../src/store/index.js';
import { FIXTURE_WINDOW_DAYS, sample, TEST_SECRET, xSignature } from '../support/app.js';
import { migratedDatabase, repoRoot, type TestDatabase } from '../support/databases.js';
import { until } from '../support/process.js';
import { endlessBody } from '../support/raw-http.js';
import { sha256Hex, SIGNATURE_HEADER } from '../receiver/helpers.js';

// A user's own Express app, with routes and a JSON body parser of its own, and the receiver mounted in it.
describe('xWebhooks() mounted in an Express app', () => {
  let testDb: TestDatabase;
  let db: Database;
  let hooks: XWebhooksMiddleware;
  let base: string;
  let server: import('node:http').Server;
  let dir: string;

  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-embed-'));
    hooks = xWebhooks({
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        X_CONSUMER_SECRET: TEST_SECRET,
        DATABASE_URL: testDb.url,
        WEBHOOK_PATH: '/x/webhook',
        // The fixtures are dated November 2026: not stale.
        DEDUPE_WINDOW_DAYS: FIXTURE_WINDOW_DAYS,
        HANDLERS: path.join(repoRoot, 'test/fixtures/plugins/recorder.ts'),
        RECORDER_DIR: dir,
        DISPATCH_POLL_MS: '50',
        LOG_LEVEL: 'warn',
      },
    });
    const app = express();
    app.get('/hello', (_req, res) => res.json({ hello: 'world' }));
    app.use(hooks); // before the app's body parser: the receiver needs the raw bytes
    app.use(express.json());
    app.post('/api/echo', (req, res) => res.json(req.body));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await hooks.ready();
    db = await openDatabase(testDb.config);
  });
  afterAll(async () => {
    await hooks?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await db?.close();
    await testDb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: Buffer, signature: string | null) =>
    fetch(`${base}/x/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) },
      body,
    });

  it('answers the CRC on its path', async () => {
    const res = await fetch(`${base}/x/webhook?crc_token=abcdefghijklmnop`);
    expect(res.status).toBe(200);
    expect((await res.json()) as { response_token: string }).toEqual({ response_token: expect.stringMatching(/^sha256=/) });
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    const body = sample('aaa-tweet-create-mention.json');
    expect((await post(body, xSignature(body, 'another-secret-0123456789'))).status).toBe(401);
    expect((await post(body, null)).status).toBe(401);
    expect(await db.prisma.delivery.count({ where: { bodySha256: sha256Hex(body) } })).toBe(0);
  });

  it('answers 200 once the delivery is committed, drops the duplicate, and runs the handler once', async () => {
    const body = sample('aaa-tweet-create-mention.json');
    const first = await post(body, xSignature(body));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'accepted', events: 1 });
    // Committed before the 200: readable at once through another connection.
    expect(await db.prisma.delivery.count({ where: { bodySha256: sha256Hex(body) } })).toBe(1);
    const again = await post(body, xSignature(body));
    expect(await again.json()).toMatchObject({ status: 'duplicate', duplicates: 1 });
    const starts = () => (fs.existsSync(path.join(dir, 'starts.log')) ? fs.readFileSync(path.join(dir, 'starts.log'), 'utf8').trim().split('\n') : []);
    await until(() => starts().length >= 1);
    await until(async () => (await db.prisma.event.count({ where: { state: 'pending' } })) === 0);
    expect(starts()).toHaveLength(1);
    const runs = await db.prisma.handlerRun.findMany();
    expect(runs).toEqual([expect.objectContaining({ handler: 'recorder', state: 'done' })]);
  });

  it("leaves the app's other routes and its body parser alone", async () => {
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'world' });
    const echo = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await echo.json()).toEqual({ a: 1 });
  });
});

// The receiver cannot start (here: a database with migrations pending, no migrate: true).
describe('xWebhooks() that cannot start', () => {
  let server: import('node:http').Server;
  let base: string;
  let dir: string;
  let hooks: XWebhooksMiddleware;
  const said: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-embed-fail-'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      said.push(String(chunk));
      return true;
    });
    try {
      hooks = xWebhooks({
        env: { PATH: process.env.PATH, NODE_ENV: 'test', X_CONSUMER_SECRET: TEST_SECRET, DATABASE_URL: `file:${path.join(dir, 'new.db')}`, LOG_LEVEL: 'warn' },
      });
      const app = express();
      app.use(hooks);
      app.get('/hello', (_req, res) => res.json({ hello: 'world' }));
      server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expect(hooks.ready()).rejects.toThrow(/pending migration/);
    } finally {
      stderr.mockRestore();
    }
  });
  afterAll(async () => {
    await hooks?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("says why once, in one line, and leaves the app's other routes working", async () => {
    const lines = said.join('').split('\n').filter((l) => l.startsWith('xWebhooks:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^xWebhooks: the X webhook receiver did not start: .*pending migration.*xaa db migrate/);
    const hello = await fetch(`${base}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: 'world' });
  });

  it('answers deliveries and CRCs 503 in JSON (X retries), with no stack trace or path of the server', async () => {
    const body = sample('aaa-tweet-create-mention.json');
    for (const res of [
      await post(`${base}/webhook`, body, xSignature(body)),
      await fetch(`${base}/webhook?crc_token=abcdefghijklmnop1234`),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: 'unavailable', message: 'the webhook receiver did not start' });
      expect(text).not.toContain(dir);
    }
  });

  it('closes the connection of a delivery whose body has not all arrived, rather than reading it', async () => {
    const { answer, closed } = await endlessBody({
      port: Number(new URL(base).port),
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: xSignature(Buffer.from('{}')) },
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.connection).toBe('close');
    expect(closed.byServer).toBe(true);
  });
});

// Without the webhook (events by the stream only), WEBHOOK_PATH belongs to the app: its requests
// go on at once, whether a body parser ran first, and whether the receiver started or not.
describe('xWebhooks({ webhook: false }) mounted in an Express app', () => {
  async function appRoute(databaseUrl: string, started: (hooks: XWebhooksMiddleware) => Promise<unknown>) {
    const hooks = xWebhooks({
      webhook: false,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: databaseUrl, WEBHOOK_PATH: '/x/webhook', LOG_LEVEL: 'warn' },
    });
    const app = express();
    app.use(express.json()); // before the middleware: the app reads this path's bodies itself
    app.use(hooks);
    app.post('/x/webhook', (req, res) => res.status(202).json({ mine: true, got: req.body }));
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => server.once('listening', resolve));
      await started(hooks);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x/webhook`;
      const res = await Promise.race([
        post(url, Buffer.from('{"a":1}'), 'sha256=irrelevant'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the request to WEBHOOK_PATH was left unanswered')), 5_000)),
      ]);
      return { status: res.status, body: await res.json() };
    } finally {
      await hooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it("passes requests to WEBHOOK_PATH on to the app's own routes, its body parser first", async () => {
    const testDb = await migratedDatabase('sqlite');
    try {
      expect(await appRoute(testDb.url, (hooks) => hooks.ready())).toEqual({ status: 202, body: { mine: true, got: { a: 1 } } });
    } finally {
      await testDb.drop();
    }
  });

  it('passes them on when the receiver could not start, too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-embed-nowebhook-'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const unmigrated = `file:${path.join(dir, 'new.db')}`;
      const answer = await appRoute(unmigrated, (hooks) => expect(hooks.ready()).rejects.toThrow(/pending migration/));
      expect(answer).toEqual({ status: 202, body: { mine: true, got: { a: 1 } } });
    } finally {
      stderr.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function post(url: string, body: Buffer, signature: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body });
}
