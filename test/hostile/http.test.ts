/**
 * Hostile HTTP on a listening receiver: CRC tokens of every shape, duplicate and oversized
 * headers, malformed framing, odd paths and methods, slow and stalled clients (request
 * timeouts), and floods on the non-webhook routes (rate limited while the webhook keeps answering).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectCleanLogs,
  expectCleanResponse,
  hostileSuite,
  post,
  rawExchange,
  request,
  RUNS,
  startHostile,
  storedCounts,
  TEST_SECRET,
  xSignature,
  type Hostile,
} from './support.js';
import { endlessBody as sendEndlessBody, openRequest } from '../support/raw-http.js';

const CONSOLE_TOKEN = 'hostile-console-token-0123456789';

/** X's token shape, restated here independently of src/. */
const ALLOWED_TOKEN = /^[A-Za-z0-9+/=_-]{16,128}$/;

function crcAnswer(token: string): string {
  return `sha256=${createHmac('sha256', TEST_SECRET).update(token).digest('base64')}`;
}

/** No lone surrogate (String#isWellFormed is ES2024, beyond this project's lib). */
function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

let counter = 0;
function delivery(): Buffer {
  counter += 1;
  return Buffer.from(JSON.stringify({ for_user_id: '9', tweet_create_events: [{ id_str: `${Date.now()}${counter}` }] }));
}

describe('on a receiver with default limits', () => {
  // A high limit: these cases send many requests to non-webhook paths on purpose.
  const h = hostileSuite({ RATE_LIMIT_PER_MINUTE: '100000' });

  describe('CRC tokens of every shape', () => {
    const tokens = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 140 }),
      fc.stringMatching(/^[A-Za-z0-9+/=_-]{10,140}$/),
      fc.stringMatching(/^[A-Za-z0-9+/=_-]{16,128}$/),
      fc.constantFrom('{"for_user_id":"1"}', '[]', 'a'.repeat(15), 'a'.repeat(16), 'a'.repeat(128), 'a'.repeat(129), ' '.repeat(20), `${'a'.repeat(16)}\n`),
    );

    it('200 with the right HMAC only for the allowed shape, else 400', async () => {
      await fc.assert(
        fc.asyncProperty(tokens, async (token) => {
          fc.pre(wellFormed(token));
          const res = await request(h.port, { path: `/webhook?crc_token=${encodeURIComponent(token)}` });
          expectCleanResponse(res);
          if (ALLOWED_TOKEN.test(token)) {
            expect(res.status).toBe(200);
            expect(JSON.parse(res.body)).toEqual({ response_token: crcAnswer(token) });
          } else {
            expect(res.status).toBe(400);
            expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_crc_token' });
          }
        }),
        { numRuns: 200 },
      );
    });

    it('raw query strings: repeated, empty, undecodable or "+"-spaced tokens get 400', async () => {
      const good = 'A'.repeat(32);
      const cases: Array<[string, number]> = [
        [`/webhook?crc_token=${good}`, 200],
        [`/webhook?crc_token=${good}&crc_token=${good}`, 400],
        [`/webhook?crc_token=${good}&crc_token=`, 400],
        ['/webhook?crc_token=', 400],
        ['/webhook?crc_token', 400],
        ['/webhook?', 400],
        ['/webhook', 400],
        [`/webhook?crc_token=${good.slice(0, 10)}+${good.slice(0, 10)}`, 400],
        [`/webhook?crc_token=%FF%FE${good}`, 400],
        [`/webhook?crc_token=%${good}`, 400],
        [`/webhook?crc_token=${good}%00`, 400],
        [`/webhook?a=1&crc_token=${good}&b=%ZZ`, 200],
        [`/webhook?crc_token=${'A'.repeat(8000)}`, 400],
      ];
      for (const [path, status] of cases) {
        const res = await request(h.port, { path });
        expectCleanResponse(res);
        expect(res.status, path).toBe(status);
      }
      const head = await request(h.port, { method: 'HEAD', path: `/webhook?crc_token=${good}` });
      expect(head.status).toBe(200);
    });
  });

  describe('headers', () => {
    it('oversized headers: 431 from Node, on the webhook and elsewhere, nothing stored', async () => {
      const before = await storedCounts(h.app);
      const huge = 'a'.repeat(100 * 1024);
      for (const path of ['/webhook', '/healthz', '/nope']) {
        const body = delivery();
        const raw = await rawExchange(
          h.port,
          `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Twitter-Webhooks-Signature: ${xSignature(body)}\r\n` +
            `X-Big: ${huge}\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`,
        );
        expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      }
      // Many small headers adding up past the limit.
      const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
      expect(await rawExchange(h.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
      // A signature header that is huge on its own.
      const body = delivery();
      const res = await post(h.port, body, { signature: `sha256=${'A'.repeat(12_000)}` });
      expect(res.status).toBe(401);
      expect(await storedCounts(h.app)).toEqual(before);
    });

    it('a thousand, or more than Node keeps (2,000), harmless headers: still 200', async () => {
      for (const n of [1000, 2100]) {
        const body = delivery();
        const many = Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
        const raw = await rawExchange(
          h.port,
          `POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
            `X-Twitter-Webhooks-Signature: ${xSignature(body)}\r\n${many}Content-Length: ${body.length}\r\n\r\n${body}`,
        );
        expect(raw).toMatch(/^HTTP\/1\.1 200 /);
      }
    });

    it('duplicate and conflicting framing headers: 400 from Node, nothing stored', async () => {
      const before = await storedCounts(h.app);
      const body = delivery();
      const sig = xSignature(body);
      const head = `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Twitter-Webhooks-Signature: ${sig}\r\n`;
      const cases = [
        `${head}Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n\r\n${body}`,
        `${head}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        `${head}Transfer-Encoding: chunked\r\n\r\nZZ\r\n${body}\r\n0\r\n\r\n`,
        `${head}Content-Length: -1\r\n\r\n${body}`,
        `${head}Content-Length: 1e3\r\n\r\n${body}`,
        `${head}Transfer-Encoding: gzip, chunked, identity\r\n\r\n`,
        `POST /webhook HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n`,
        `POST /webhook HTTP/1.1\r\nHost: x\r\nX: a\nb\r\n\r\n`,
        `GARBAGE\r\n\r\n`,
        `POST /webhook HTTP/9.9\r\n\r\n`,
      ];
      for (const raw of cases) {
        const answer = await rawExchange(h.port, raw);
        expect(answer, raw.slice(0, 200)).toMatch(/^HTTP\/1\.1 (400|501|505) /);
        expect(answer).not.toContain('    at ');
      }
      expect(await storedCounts(h.app)).toEqual(before);
    });

    it('a duplicated signature header is refused even when both copies are right', async () => {
      const body = delivery();
      const res = await post(h.port, body, { signature: [xSignature(body), xSignature(body)] });
      expect(res.status).toBe(401);
    });

    it('a Content-Length larger than the limit is refused before reading: 413', async () => {
      const res = await rawExchange(
        h.port,
        `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}`,
      );
      expect(res).toMatch(/^HTTP\/1\.1 (400|413) /);
    });
  });

  describe('paths and methods', () => {
    const paths = fc.oneof(
      fc.constantFrom(
        '/webhook/',
        '/WEBHOOK',
        '//webhook',
        '/webhook%2F',
        '/webhook;x=1',
        '/%',
        '/%ZZ',
        '/%E0%A4%A',
        '/..%2F..%2Fetc%2Fpasswd',
        '/healthz/..',
        '/metrics',
        '/readyz?x=%',
        `/${'a'.repeat(8000)}`,
        '/__proto__',
        '/constructor',
        '*',
      ),
      fc.webPath().map((p) => p || '/'),
      fc.string({ maxLength: 50 }).map((s) => `/${encodeURIComponent(wellFormed(s) ? s : 'x')}`),
    );
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE');

    it('any path, any method: a 2xx-4xx answer, never a 5xx nor a stack trace', async () => {
      await fc.assert(
        fc.asyncProperty(paths, methods, async (path, method) => {
          // No body on GET, HEAD and TRACE (a TRACE body would be sent unframed and poison the socket).
          const body = ['GET', 'HEAD', 'TRACE'].includes(method) ? undefined : '{}';
          const res = await request(h.port, { method, path, headers: { 'content-type': 'application/json' }, body });
          expectCleanResponse(res);
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
        }),
        RUNS,
      );
    });

    it('other methods on the webhook path: 405 with Allow', async () => {
      for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
        const res = await request(h.port, { method, path: '/webhook', body: method === 'TRACE' ? undefined : '{}' });
        expect(res.status).toBe(405);
        expect(res.headers.allow).toBe('GET, POST');
        expectCleanResponse(res);
      }
    });
  });
});

describe('a body the server will not read', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await startHostile({ RATE_LIMIT_PER_MINUTE: '100000', ADMIN_TOKEN: CONSOLE_TOKEN });
  });
  afterAll(async () => h?.close());

  /** A body that could go on for ever, to this server (see the support's endlessBody). */
  const endlessBody = (method: string, path: string, headers: Record<string, string>, sized = false) =>
    sendEndlessBody({ port: h.port, method, path, headers }, sized);

  it('is answered with Connection: close and the connection closed, not drained: 415, 405, 404', async () => {
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['POST', '/webhook', { 'content-type': 'text/plain', 'x-twitter-webhooks-signature': xSignature(Buffer.from('x')) }, 415],
      ['PUT', '/webhook', { 'content-type': 'application/json' }, 405],
      ['POST', '/nope', { 'content-type': 'application/json' }, 404],
      ['POST', '/healthz', { 'content-type': 'application/x-www-form-urlencoded' }, 404],
    ];
    for (const [method, path, headers, status] of cases) {
      const { answer, closed } = await endlessBody(method, path, headers);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.headers.connection, `${method} ${path}`).toBe('close');
      expect(closed.byServer, `${method} ${path}`).toBe(true);
    }
    expectCleanLogs(h.app.logs);
  });

  it('a request without a body keeps its connection alive', async () => {
    const res = await request(h.port, { method: 'GET', path: '/nope' });
    expect(res.status).toBe(404);
    expect(res.headers.connection).toBe('keep-alive');
  });

  it('a CRC (GET on the webhook, answered before Express) sent with a body is answered and its connection closed, not drained', async () => {
    const token = 'A'.repeat(32);
    const { answer, closed } = await endlessBody('GET', `/webhook?crc_token=${token}`, {});
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect(closed.byServer).toBe(true);
    // X's CRCs have no body: their connection stays open.
    const crc = await request(h.port, { method: 'GET', path: `/webhook?crc_token=${token}` });
    expect(crc.status).toBe(200);
    expect(crc.headers.connection).toBe('keep-alive');
    expectCleanLogs(h.app.logs);
  });

  it('a console form past its size limit gets 413 and its connection closed, the rest not drained (chunked, or a long Content-Length)', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // Body parsing runs before the login check: no session is needed to send one.
    for (const path of ['/console/login', '/console/events/x/redispatch', '/console/nope']) {
      const { answer, closed } = await endlessBody('POST', path, form);
      expect(answer.status, path).toBe(413);
      expect(answer.headers.connection, path).toBe('close');
      expect(closed.byServer, path).toBe(true);
    }
    const { answer, closed } = await endlessBody('POST', '/console/login', form, true);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(closed.byServer).toBe(true);
  });

  it('a console form read whole keeps its connection alive (Content-Length, or chunked), its answer after the body was parsed', async () => {
    const body = `token=${'x'.repeat(30)}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${h.port}` };
    const sized = await request(h.port, { method: 'POST', path: '/console/login', headers: form, body });
    expect(sized.status).toBe(401);
    expect(sized.headers.connection).toBe('keep-alive');
    // A chunked body, sent whole, its end arriving after a pause: read, parsed, the connection kept.
    const c = openRequest({ port: h.port, method: 'POST', path: '/console/login', headers: { ...form, origin: 'http://localhost', 'transfer-encoding': 'chunked' } });
    await c.write(`${body.length.toString(16)}\r\n${body}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await c.write('0\r\n\r\n');
    const answer = await c.answer;
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('keep-alive');
    c.abort();
    // A chunked body that is empty (only its last chunk): read, the connection kept.
    const empty = openRequest({ port: h.port, method: 'POST', path: '/console/login', headers: { ...form, origin: 'http://localhost', 'transfer-encoding': 'chunked' } });
    await empty.write('0\r\n\r\n');
    const emptyAnswer = await empty.answer;
    expect(emptyAnswer.status).toBe(401);
    expect(emptyAnswer.headers.connection).toBe('keep-alive');
    empty.abort();
    // Just within the limit: still parsed (401, the token is wrong), still kept alive.
    const full = await request(h.port, { method: 'POST', path: '/console/login', headers: form, body: `token=${'x'.repeat(16 * 1024 - 6)}` });
    expect(full.status).toBe(401);
    expect(full.headers.connection).toBe('keep-alive');
  });
});

describe('slow and stalled clients (HTTP_REQUEST_TIMEOUT_MS=800)', () => {
  const h = hostileSuite({ HTTP_REQUEST_TIMEOUT_MS: '800' });

  function headOf(body: Buffer, length = body.length): string {
    return (
      `POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `X-Twitter-Webhooks-Signature: ${xSignature(body)}\r\nContent-Length: ${length}\r\n\r\n`
    );
  }

  /** Writes `parts` with `gapMs` between them; resolves with what came back and when the server closed. */
  function trickle(parts: string[], gapMs: number, giveUpMs = 6_000): Promise<{ answer: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      import('node:net').then(({ default: net }) => {
        const started = Date.now();
        const socket = net.connect(h.port, '127.0.0.1');
        let answer = '';
        let stopped = false;
        const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
        socket.on('data', (d) => (answer += d.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', () => {
          stopped = true;
          clearTimeout(giveUp);
          resolve({ answer, closedAfterMs: Date.now() - started });
        });
        (async () => {
          for (const part of parts) {
            if (stopped) return;
            socket.write(part);
            await new Promise((r) => setTimeout(r, gapMs));
          }
        })().catch(reject);
      }, reject);
    });
  }

  it('half a body, then silence: 408 and the connection closed within the timeout, nothing stored', async () => {
    const before = await storedCounts(h.app);
    const body = delivery();
    const { answer, closedAfterMs } = await trickle([headOf(body) + body.subarray(0, body.length >> 1).toString()], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3_000);
    expect(await storedCounts(h.app)).toEqual(before);
  });

  it('headers that never end: 408, closed', async () => {
    const { answer, closedAfterMs } = await trickle(['POST /webhook HTTP/1.1\r\nHost: x\r\nX-Slow: '], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('a body trickled one byte at a time (slowloris): cut off at the timeout, nothing stored', async () => {
    const before = await storedCounts(h.app);
    const body = delivery();
    const parts = [headOf(body), ...body.toString().split('')];
    const { answer, closedAfterMs } = await trickle(parts, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3_000);
    expect(await storedCounts(h.app)).toEqual(before);
  });

  it('a Content-Length larger than what is sent: 408, nothing stored; the server keeps answering', async () => {
    const before = await storedCounts(h.app);
    const body = delivery();
    const { answer } = await trickle([headOf(body, body.length + 10) + body.toString()], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(await storedCounts(h.app)).toEqual(before);
    expect((await post(h.port, delivery())).status).toBe(200);
  });

  it('a slow but steady client within the timeout is served', async () => {
    const body = delivery();
    const parts = [headOf(body), body.subarray(0, 10).toString(), body.subarray(10).toString()];
    const { answer } = await trickle(parts, 150, 3_000);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('floods on non-webhook routes (RATE_LIMIT_PER_MINUTE=100)', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await startHostile({ RATE_LIMIT_PER_MINUTE: '100' });
  });
  afterAll(async () => h?.close());

  it('2,000 requests to /nope and /healthz: 100 answered, the rest 429; webhook deliveries all 200 meanwhile', async () => {
    const statuses = new Map<number, number>();
    const webhook: number[] = [];
    const paths = ['/nope', '/healthz', '/readyz', '/metrics', '/webhook/x'];
    let next = 0;
    async function worker(): Promise<void> {
      while (next < 2000) {
        const i = next++;
        const res = await request(h.port, { path: paths[i % paths.length]! });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) {
          expect(JSON.parse(res.body)).toMatchObject({ error: 'rate_limited' });
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
        expectCleanResponse(res);
        if (i % 40 === 0) webhook.push((await post(h.port, delivery())).status);
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(statuses.get(429)).toBe(1900);
    expect([...statuses.keys()].sort()).toEqual([200, 404, 429]);
    expect(webhook.length).toBe(50);
    expect(webhook.every((s) => s === 200)).toBe(true);
    // The CRC is on the webhook path: never throttled either.
    expect((await request(h.port, { path: `/webhook?crc_token=${'A'.repeat(20)}` })).status).toBe(200);

    // One warning for the flood, not one log line per refused request.
    expectCleanLogs(h.app.logs);
    const limited = h.app.logs.filter((l) => l.includes('rate limit reached'));
    expect(limited).toHaveLength(1);
    expect(h.app.logs.filter((l) => l.includes('"statusCode":429'))).toHaveLength(0);
    expect(h.app.logs.length).toBeLessThan(300);
    // The limiter's own configuration checks found nothing to complain about.
    expect(h.app.logs.join('\n')).not.toContain('ERR_ERL_');
  });

  it('RATE_LIMIT_PER_MINUTE=0 turns the limit off', async () => {
    const off = await startHostile({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const results = await Promise.all(Array.from({ length: 300 }, () => request(off.port, { path: '/healthz' })));
      expect(results.every((r) => r.status === 200)).toBe(true);
    } finally {
      await off.close();
    }
  });
});
