import http from 'node:http';
import zlib from 'node:zlib';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/store/index.js';
import { sample, startTestApp, TEST_SECRET, xSignature, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { counterValue, counts, postDelivery, SIGNATURE_HEADER, sha256Hex, until } from './helpers.js';

const PREVIOUS_SECRET = 'previous-consumer-secret-fedcba9876543210';

/** A small valid AAA delivery, unique per `n`, of exactly `size` bytes when size is given. */
function delivery(n: number, size?: number): Buffer {
  const base = { for_user_id: '2244994945', tweet_create_events: [{ id_str: String(1985234567890000000n + BigInt(n)), text: '' }] };
  let text = JSON.stringify(base);
  if (size !== undefined) {
    const pad = size - text.length;
    if (pad < 0) throw new Error('size too small');
    base.tweet_create_events[0]!.text = 'x'.repeat(pad);
    text = JSON.stringify(base);
  }
  return Buffer.from(text);
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A POST over a real socket, the body written in chunks (chunked transfer encoding unless a length is given). */
function rawPost(port: number, chunks: Buffer[], headers: Record<string, string | string[]>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/webhook', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    // The server may answer and close before the whole body is written: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    (async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        req.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
      req.end();
    })().catch(reject);
  });
}

function split(body: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
  return out;
}

describe.each(providersUnderTest())('signatures and request shape on %s', (provider) => {
  let app: TestApp;
  let small: TestApp;
  let server: http.Server;
  let port: number;
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp(provider);
    // A second app on the same database with a small body limit and a previous secret.
    small = await startTestApp(provider, { WEBHOOK_MAX_BODY_BYTES: '2048', X_CONSUMER_SECRET_PREVIOUS: PREVIOUS_SECRET }, app.testDb);
    server = http.createServer(small.handler).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await small?.inbox.drain();
    await small?.db.close();
    await app?.close();
  });

  async function expectRejected(body: Buffer, signature: string | null, status = 401) {
    const before = await counts(app.db);
    const res = await postDelivery(app.handler, body, { signature });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(res.text).not.toContain(TEST_SECRET);
    expect(await counts(app.db)).toEqual(before);
    return res;
  }

  it('accepts a correct signature (control)', async () => {
    const body = delivery(++n);
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(200);
    expect(await app.db.prisma.delivery.count({ where: { bodySha256: sha256Hex(body) } })).toBe(1);
  });

  it('refuses a body with one byte changed (401, nothing stored)', async () => {
    const body = sample('aaa-tweet-create-mention.json');
    const signature = xSignature(body);
    const tampered = Buffer.from(body);
    const at = tampered.indexOf('1985234567890123456');
    tampered[at + 18] = tampered[at + 18]! === 0x36 ? 0x37 : 0x36;
    expect(tampered.equals(body)).toBe(false);
    const res = await expectRejected(tampered, signature);
    expect(res.body.error).toBe('invalid_signature');
  });

  it('refuses a signature made with another secret', async () => {
    const body = delivery(++n);
    await expectRejected(body, xSignature(body, 'not-the-consumer-secret'));
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'sha256=not-a-digest'],
  ])('refuses a %s signature header before reading the body, and closes the connection', async (_what, signature) => {
    const before = await counts(app.db);
    // 2,000 bytes announced (within this app's 2,048-byte limit), a few bytes sent, the rest never: an answer can
    // only come from the headers.
    const res = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/webhook',
          headers: {
            'content-type': 'application/json',
            'content-length': '2000',
            ...(signature ? { [SIGNATURE_HEADER]: signature } : {}),
          },
        },
        (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, connection: r.headers.connection }));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      req.write('{"for_user_id":');
    });
    expect(res.status).toBe(401);
    expect(res.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_signature' });
    expect(await counts(app.db)).toEqual(before);
    // A server that waited for the body would never answer: the test fails on its timeout.
  }, 20_000);

  it('refuses a missing signature header', async () => {
    await expectRejected(delivery(++n), null);
  });

  it('refuses an empty signature header', async () => {
    await expectRejected(delivery(++n), '');
  });

  it("refuses a header without 'sha256='", async () => {
    const body = delivery(++n);
    await expectRejected(body, xSignature(body).slice('sha256='.length));
  });

  it("refuses another algorithm's prefix over the right digest", async () => {
    const body = delivery(++n);
    await expectRejected(body, xSignature(body).replace('sha256=', 'sha1='));
  });

  it('refuses a signature that is not valid base64', async () => {
    const body = delivery(++n);
    await expectRejected(body, 'sha256=!!!!not*base64@@@@####$$$$%%%%^^^^&&&&((((');
    await expectRejected(body, 'sha256=');
    // Right digest, wrong encoding (hex instead of base64).
    const hex = Buffer.from(xSignature(body).slice(7), 'base64').toString('hex');
    await expectRejected(body, `sha256=${hex}`);
    // Right digest, truncated.
    await expectRejected(body, xSignature(body).slice(0, -4));
  });

  it('refuses the signature of a different body', async () => {
    const body = delivery(++n);
    await expectRejected(body, xSignature(delivery(++n)));
  });

  it('refuses two signature headers', async () => {
    const body = delivery(++n);
    const before = await counts(app.db);
    const sig = xSignature(body);
    const res = await rawPost(port, [body], {
      'content-type': 'application/json',
      'content-length': String(body.length),
      [SIGNATURE_HEADER]: [sig, xSignature(body, 'other')],
    });
    expect(res.status).toBe(401);
    expect(await counts(app.db)).toEqual(before);
  });

  it('keeps a validly signed non-JSON body as unparseable and answers 400', async () => {
    const body = Buffer.from('this is {not json');
    const before = await counts(app.db);
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(res.body).toMatchObject({ error: 'invalid_json' });
    const after = await counts(app.db);
    expect(after).toEqual({ deliveries: before.deliveries + 1, events: before.events });
    const row = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) } });
    expect(row.status).toBe('unparseable');
    expect(row.format).toBe('unknown');
    expect(row.eventCount).toBe(0);
    expect(decodeBody(row.body, row.bodyEncoding).equals(body)).toBe(true);
    if (typeof res.body.delivery === 'string') expect(res.body.delivery).toBe(row.id);
  });

  it('keeps a validly signed empty body as unparseable (400)', async () => {
    const body = Buffer.alloc(0);
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(400);
    const row = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) } });
    expect(row.status).toBe('unparseable');
  });

  it('answers 415 for text/plain (nothing stored), even when signed', async () => {
    const body = delivery(++n);
    const before = await counts(app.db);
    const res = await postDelivery(app.handler, body, { contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(await counts(app.db)).toEqual(before);
    expect((await postDelivery(app.handler, body, { contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(await counts(app.db)).toEqual(before);
  });

  it('answers 415 for an encoded body (a proxy gzip), unread and not stored, and takes Content-Encoding: identity', async () => {
    const body = delivery(++n);
    const gzipped = zlib.gzipSync(body);
    const before = await counts(app.db);
    for (const [encoding, bytes, signature] of [
      ['gzip', gzipped, xSignature(body)], // signed before compression
      ['gzip', gzipped, xSignature(gzipped)], // signed as sent
      ['br, gzip', gzipped, xSignature(gzipped)],
    ] as const) {
      const res = await rawPost(port, [bytes], { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': String(bytes.length), [SIGNATURE_HEADER]: signature });
      expect(res.status).toBe(415);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'unsupported_content_encoding' });
      expect(res.headers.connection).toBe('close');
    }
    expect(await counts(app.db)).toEqual(before);
    const plain = await rawPost(port, [body], { 'content-type': 'application/json', 'content-encoding': 'Identity', 'content-length': String(body.length), [SIGNATURE_HEADER]: xSignature(body) });
    expect(plain.status).toBe(200);
  });

  it('answers 415 without a content-type', async () => {
    const body = delivery(++n);
    const before = await counts(app.db);
    const res = await rawPost(port, [body], { 'content-length': String(body.length), [SIGNATURE_HEADER]: xSignature(body) });
    expect(res.status).toBe(415);
    expect(await counts(app.db)).toEqual(before);
  });

  it('accepts application/json; charset=utf-8 and other casings of the media type', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/json ; charset=utf-8']) {
      const body = delivery(++n);
      const res = await postDelivery(app.handler, body, { contentType });
      expect(res.status, contentType).toBe(200);
      const row = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) } });
      expect(row.contentType).toBe(contentType);
    }
  });

  describe('body size limit (WEBHOOK_MAX_BODY_BYTES=2048)', () => {
    it('accepts a body of exactly the limit, with and without a content-length', async () => {
      for (const chunked of [false, true]) {
        const body = delivery(++n, 2048);
        expect(body.length).toBe(2048);
        const headers: Record<string, string> = { 'content-type': 'application/json', [SIGNATURE_HEADER]: xSignature(body) };
        if (!chunked) headers['content-length'] = String(body.length);
        const res = await rawPost(port, split(body, 500), headers);
        expect(res.status, `chunked=${chunked}: ${res.body}`).toBe(200);
      }
    });

    it('answers 413 with a content-length over the limit, nothing stored', async () => {
      const body = delivery(++n, 4096);
      const before = await counts(small.db);
      const res = await rawPost(port, [body], {
        'content-type': 'application/json',
        'content-length': String(body.length),
        [SIGNATURE_HEADER]: xSignature(body),
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large' });
      expect(await counts(small.db)).toEqual(before);
    });

    it('answers 413 to a chunked body (no content-length) once it grows over the limit, nothing stored', async () => {
      const body = delivery(++n, 4096);
      const before = await counts(small.db);
      const res = await rawPost(port, split(body, 512), {
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        [SIGNATURE_HEADER]: xSignature(body),
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large' });
      expect(await counts(small.db)).toEqual(before);
    });

    it('answers 413 through supertest too (content-length set by the client)', async () => {
      const body = delivery(++n, 2049);
      const before = await counts(small.db);
      const res = await postDelivery(small.handler, body);
      expect(res.status).toBe(413);
      expect(await counts(small.db)).toEqual(before);
    });

    it('stores nothing when the client disconnects mid-body, and keeps serving', async () => {
      const body = delivery(++n, 1500);
      const before = await counts(small.db);
      const rejectedBefore = await counterValue(small.metrics.deliveries, { result: 'rejected' });
      const sock = net.connect(port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(
        `POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
          `${SIGNATURE_HEADER}: ${xSignature(body)}\r\n\r\n`,
      );
      sock.write(body.subarray(0, 700));
      await new Promise((r) => setTimeout(r, 50));
      sock.destroy();
      await until(async () => (await counterValue(small.metrics.deliveries, { result: 'rejected' })) > rejectedBefore);
      expect(await counts(small.db)).toEqual(before);
    });

    it('keeps serving after a 413', async () => {
      const body = delivery(++n);
      const res = await rawPost(port, [body], {
        'content-type': 'application/json',
        'content-length': String(body.length),
        [SIGNATURE_HEADER]: xSignature(body),
      });
      expect(res.status).toBe(200);
    });
  });

  describe('secret rotation (X_CONSUMER_SECRET_PREVIOUS)', () => {
    it('accepts a delivery signed with the previous secret while it is configured', async () => {
      const body = delivery(++n);
      const res = await postDelivery(small.handler, body, { secret: PREVIOUS_SECRET });
      expect(res.status, res.text).toBe(200);
      expect(await small.db.prisma.delivery.count({ where: { bodySha256: sha256Hex(body) } })).toBe(1);
      expect(res.text).not.toContain(PREVIOUS_SECRET);
    });

    it('still accepts the current secret while rotating', async () => {
      const body = delivery(++n);
      expect((await postDelivery(small.handler, body)).status).toBe(200);
    });

    it('refuses (401) the previous secret in an app configured without it, storing nothing', async () => {
      const body = delivery(++n);
      const before = await counts(app.db);
      const res = await postDelivery(app.handler, body, { secret: PREVIOUS_SECRET });
      expect(res.status).toBe(401);
      expect(await counts(app.db)).toEqual(before);
    });

    it('still refuses an unknown secret while rotating', async () => {
      const body = delivery(++n);
      const before = await counts(small.db);
      expect((await postDelivery(small.handler, body, { secret: 'neither-current-nor-previous' })).status).toBe(401);
      expect(await counts(small.db)).toEqual(before);
    });

    it('never logs either secret', () => {
      const logs = app.logs.join('') + small.logs.join('');
      expect(logs).not.toContain(TEST_SECRET);
      expect(logs).not.toContain(PREVIOUS_SECRET);
    });
  });
});
