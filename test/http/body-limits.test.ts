/**
 * The webhook route's limits on request bodies, over real sockets from several loopback
 * addresses: the budget (in total and per client) is reserved before a body is read, given back
 * however the request ends (answered, refused, aborted, cut off), never goes negative; past it a
 * delivery gets 503 with Retry-After and the connection is closed; a body that trickles in slower
 * than the minimum upload rate is cut off with 408. The route runs on the real ingest and inbox
 * (SQLite); only its budget and rate window are made small here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBodyBudget, type BodyBudget } from '../../src/http/body-budget.js';
import { readRawBody, BodyTooSlow } from '../../src/http/raw-body.js';
import { webhookRoute } from '../../src/http/webhook.js';
import { createIngest } from '../../src/receiver/ingest.js';
import { sample, startTestApp, TEST_SECRET, xSignature, type TestApp } from '../support/app.js';
import { capturingLogger } from '../support/logs.js';
import { until } from '../support/process.js';
import { openRequest, type RawRequest } from '../support/raw-http.js';

const KIB = 1024;
const WRONG = `sha256=${Buffer.alloc(32, 7).toString('base64')}`;

interface Served {
  port: number;
  budget: BodyBudget;
  /** Every value the budget's in-flight count had, read after each request event. */
  seen: number[];
  close(): Promise<void>;
}

describe('webhook body limits', () => {
  let app: TestApp;
  const logs: string[] = [];
  const servers: Served[] = [];

  beforeAll(async () => {
    app = await startTestApp('sqlite');
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await app?.close();
  });

  /** The webhook route on its own server, with this budget and rate, on the test app's real ingest. */
  async function serve(options: { total: number; perClient: number; maxBody?: number; minRate?: number; windowMs?: number }): Promise<Served> {
    const budget = createBodyBudget({ totalBytes: options.total, perClientBytes: options.perClient });
    const logger = capturingLogger(logs, { level: 'warn', secrets: [TEST_SECRET] });
    const ingest = createIngest({ secrets: [TEST_SECRET], inbox: app.inbox, metrics: app.metrics, logger });
    const webhook = webhookRoute({
      path: '/webhook',
      consumerSecret: TEST_SECRET,
      maxBodyBytes: options.maxBody ?? 64 * KIB,
      bodyBudget: budget,
      minUploadBytesPerSecond: options.minRate ?? 0,
      uploadRateWindowMs: options.windowMs ?? 300,
      ingest,
      metrics: app.metrics,
      logger,
    });
    const seen: number[] = [];
    const server = http.createServer((req, res) => {
      const note = () => seen.push(budget.inFlight);
      req.on('data', note);
      res.on('close', () => setImmediate(note));
      if (!webhook(req, res)) res.writeHead(404).end();
      note();
    });
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const served = {
      port: (server.address() as AddressInfo).port,
      budget,
      seen,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
    servers.push(served);
    return served;
  }

  /** A POST whose body is the caller's to send: `length` announced (or chunked when null). */
  function start(s: Served, from: string, length: number | null, signature = WRONG): RawRequest {
    return openRequest({
      port: s.port,
      localAddress: from,
      headers: {
        'content-type': 'application/json',
        'x-twitter-webhooks-signature': signature,
        ...(length === null ? { 'transfer-encoding': 'chunked' } : { 'content-length': length }),
      },
    });
  }

  const chunk = (bytes: Buffer) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);

  it('reserves the announced length before reading, refuses past the total or the client share with 503, Retry-After and a closed connection', async () => {
    const s = await serve({ total: 150 * KIB, perClient: 100 * KIB });
    const a = start(s, '127.0.0.1', 60 * KIB);
    await a.write(Buffer.alloc(KIB, 0x20));
    await until(() => s.budget.inFlight === 60 * KIB);
    const b = start(s, '127.0.0.2', 60 * KIB);
    await until(() => s.budget.inFlight === 120 * KIB);

    // The same client again: 60 + 60 KiB is past its share of 100 KiB.
    const againRequest = start(s, '127.0.0.1', 60 * KIB);
    const again = await againRequest.answer;
    expect(again.status).toBe(503);
    expect(again.headers['retry-after']).toMatch(/^\d+$/);
    expect(again.headers.connection).toBe('close');
    expect((await againRequest.closed).byServer).toBe(true);
    expect(JSON.parse(again.body)).toMatchObject({ error: 'busy' });

    // A third client: 120 + 60 KiB is past the total of 150 KiB.
    const thirdRequest = start(s, '127.0.0.3', 60 * KIB);
    const third = await thirdRequest.answer;
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect((await thirdRequest.closed).byServer).toBe(true);

    // A small signed delivery from the third client still fits, and is stored.
    const body = sample('aaa-follow.json');
    const small = start(s, '127.0.0.3', body.length, xSignature(body));
    await small.write(body);
    expect((await small.answer).status).toBe(200);
    small.abort();

    // The held bodies complete (wrong signature: 401); everything is given back.
    await a.write(Buffer.alloc(59 * KIB, 0x20));
    await b.write(Buffer.alloc(60 * KIB, 0x20));
    expect((await a.answer).status).toBe(401);
    expect((await b.answer).status).toBe(401);
    a.abort();
    b.abort();
    await until(() => s.budget.inFlight === 0 && s.budget.clients === 0);
    expect(Math.min(...s.seen)).toBe(0);
    expect(Math.max(...s.seen)).toBeLessThanOrEqual(150 * KIB);

    // And the client refused before gets in now.
    const later = start(s, '127.0.0.3', body.length, xSignature(body));
    await later.write(body);
    expect((await later.answer).status).toBe(200);
    later.abort();
  });

  it('gives the bytes back when the client aborts mid-body, and after 401, 413 and 400 answers', async () => {
    const s = await serve({ total: 150 * KIB, perClient: 100 * KIB, maxBody: 64 * KIB });
    // Aborted mid-body.
    const aborted = start(s, '127.0.0.1', 60 * KIB);
    await aborted.write(Buffer.alloc(10 * KIB, 0x20));
    await until(() => s.budget.inFlight === 60 * KIB);
    aborted.abort();
    await until(() => s.budget.inFlight === 0 && s.budget.clients === 0);

    // Chunked, past the largest body: 413, connection closed.
    const large = start(s, '127.0.0.1', null);
    for (let i = 0; i < 4 && (await large.write(chunk(Buffer.alloc(20 * KIB, 0x20)))); i++);
    const tooLarge = await large.answer;
    expect(tooLarge.status).toBe(413);
    await until(() => s.budget.inFlight === 0);

    // Announced past the largest body: 413 before anything is reserved.
    const announced = await start(s, '127.0.0.1', 65 * KIB).answer;
    expect(announced.status).toBe(413);

    // A malformed chunked body: 400 from the route or Node's own parser; either way nothing held.
    const malformed = start(s, '127.0.0.1', null);
    await malformed.write('zz\r\nnot a chunk\r\n');
    expect((await malformed.answer).status).toBe(400);
    await until(() => s.budget.inFlight === 0 && s.budget.clients === 0);

    expect(s.seen.every((n) => n >= 0)).toBe(true);
  });

  it('a body without a length grows its reservation as it arrives, and gets 503 mid-body when the budget cannot hold it', async () => {
    const s = await serve({ total: 150 * KIB, perClient: 100 * KIB, maxBody: 64 * KIB });
    const b = start(s, '127.0.0.2', 60 * KIB);
    const c = start(s, '127.0.0.3', 60 * KIB);
    await until(() => s.budget.inFlight === 120 * KIB);
    const a = start(s, '127.0.0.1', null);
    await a.write(chunk(Buffer.alloc(20 * KIB, 0x20)));
    await until(() => s.budget.heldBy('127.0.0.1') === 20 * KIB);
    await a.write(chunk(Buffer.alloc(20 * KIB, 0x20)));
    const answer = await a.answer;
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect((await a.closed).byServer).toBe(true);
    expect(s.budget.heldBy('127.0.0.1')).toBe(0);
    b.abort();
    c.abort();
    await until(() => s.budget.inFlight === 0 && s.budget.clients === 0);
  });

  it('cuts off a trickling body with 408 and a closed connection, and gives its bytes back', async () => {
    // At least 1000 bytes/s over 300 ms windows: 300 bytes per window.
    const s = await serve({ total: 150 * KIB, perClient: 100 * KIB, minRate: 1000, windowMs: 300 });
    const slow = start(s, '127.0.0.1', 10 * KIB);
    await slow.write(Buffer.alloc(10, 0x20));
    const trickle = setInterval(() => void slow.write(' '), 100);
    const answer = await slow.answer;
    clearInterval(trickle);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'upload_too_slow' });
    expect((await slow.closed).byServer).toBe(true);
    await until(() => s.budget.inFlight === 0 && s.budget.clients === 0);

    // A body sent at once on the same route is read and answered.
    const body = sample('aaa-follow.json');
    const fast = start(s, '127.0.0.1', body.length, xSignature(body));
    await fast.write(body);
    expect((await fast.answer).status).toBe(200);
    fast.abort();
  });

  it('readRawBody: a body arriving steadily above the minimum rate, over many windows, is read whole', async () => {
    const server = http.createServer((req, res) => {
      // Windows of 500 ms: a stall of this process (it runs the sender too) shorter than that does not
      // look like a slow body.
      readRawBody(req, { limit: 1024 * KIB, minBytesPerSecond: 500, windowMs: 500 }).then(
        (body) => res.writeHead(200, { 'content-length': String(body.length).length }).end(String(body.length)),
        (error: unknown) => res.writeHead(error instanceof BodyTooSlow ? 408 : 500, { 'content-length': 0 }).end(),
      );
    });
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      // 200 bytes every 10 ms (about 20 KB/s) for about 2.5 s: five windows or more, each far above 250 bytes.
      const req = openRequest({ port, path: '/', headers: { 'content-length': 250 * 200 } });
      for (let i = 0; i < 250; i++) {
        await req.write(Buffer.alloc(200, 0x61));
        await new Promise((r) => setTimeout(r, 10));
      }
      const answer = await req.answer;
      req.abort();
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(String(250 * 200));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('logs refusals at warn, at most one line a second, without the secret', () => {
    const refusals = logs.filter((l) => l.includes('refused under load'));
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of logs) expect(line).not.toContain(TEST_SECRET);
  });
});
