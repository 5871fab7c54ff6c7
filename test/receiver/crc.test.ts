import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { until } from './helpers.js';

/** The CRC answer, computed here independently of src/. */
function expectedResponseToken(token: string, secret = TEST_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(token).digest('base64')}`;
}

const crcUrl = (token: string) => `/webhook?crc_token=${encodeURIComponent(token)}`;

const VALID_TOKENS = [
  'abcdefghijklmnop', // 16: the shortest accepted
  'ODY2MTg3NTg5MjYxNTc0NTY2Ng', // a typical opaque token
  'A-B_C+D/E=F-g_h+i/j=k', // every punctuation character allowed
  'aB3+/=_-'.repeat(16), // 128: the longest accepted
  randomBytes(48).toString('base64'), // standard base64 with + / =
  randomBytes(48).toString('base64url'), // URL-safe base64 with - _
  '================', // padding only
];

const INVALID_QUERIES: Array<[string, string]> = [
  ['missing', '/webhook'],
  ['empty', '/webhook?crc_token='],
  ['over-long (129 characters)', crcUrl('a'.repeat(129))],
  ['too short (15 characters)', crcUrl('a'.repeat(15))],
  ['too short (1 character)', crcUrl('a')],
  ['JSON-shaped', crcUrl('{"a":1}')],
  ['JSON-shaped and long enough', crcUrl('{"for_user_id":"1","x":[]}')],
  ['repeated', `${crcUrl('abcdefghijklmnop')}&crc_token=${'q'.repeat(20)}`],
  ['repeated with the same value', `${crcUrl('abcdefghijklmnop')}&crc_token=abcdefghijklmnop`],
  ['containing a space', crcUrl('abcdefgh ijklmnop')],
  ['containing a dot', crcUrl('abcdefgh.ijklmnop')],
  ['containing non-ASCII', crcUrl('abcdefghijklmnopé')],
  ['containing a newline', crcUrl('abcdefghijklmnop\n')],
  ['bracketed (object) parameter', '/webhook?crc_token[a]=abcdefghijklmnop'],
  ['other parameter only', '/webhook?token=abcdefghijklmnop'],
];

describe.each(providersUnderTest())('CRC challenge on %s', (provider) => {
  let app: TestApp;
  const startedAt = new Date();

  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(VALID_TOKENS)('answers 200 application/json with the HMAC of %j', async (token) => {
    const res = await request(app.handler).get(crcUrl(token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(JSON.parse(res.text)).toEqual({ response_token: expectedResponseToken(token) });
    expect(res.text).not.toContain(TEST_SECRET);
  });

  it('answers a token of exactly 16 and 128 characters and refuses 15 and 129', async () => {
    for (const [length, status] of [
      [15, 400],
      [16, 200],
      [128, 200],
      [129, 400],
    ] as const) {
      const res = await request(app.handler).get(crcUrl('Z'.repeat(length)));
      expect(res.status, `length ${length}`).toBe(status);
    }
  });

  it('answers the same way when the older nonce parameter comes along', async () => {
    const token = 'bm9uY2UtY29tZXMtYWxvbmc';
    const res = await request(app.handler).get(`${crcUrl(token)}&nonce=1234567890`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ response_token: expectedResponseToken(token) });
  });

  it('signs with the current secret, never the previous one', async () => {
    const rotating = await startTestApp(provider, { X_CONSUMER_SECRET_PREVIOUS: 'the-previous-consumer-secret-000' }, app.testDb);
    try {
      const token = 'cm90YXRpbmctc2VjcmV0cw';
      const res = await request(rotating.handler).get(crcUrl(token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ response_token: expectedResponseToken(token) });
      expect(res.text).not.toContain('the-previous-consumer-secret-000');
    } finally {
      // Let its fire-and-forget CRC record land; close() keeps the shared database (it was passed in).
      await new Promise((r) => setTimeout(r, 100));
      await rotating.close();
    }
  });

  it.each(INVALID_QUERIES)('answers 400 JSON for a %s token', async (_name, url) => {
    const res = await request(app.handler).get(url);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(res.body).not.toHaveProperty('response_token');
    expect(res.text).not.toContain('sha256=');
    expect(res.text).not.toContain(TEST_SECRET);
  });

  it('records answered CRCs (time and latency, never the token), at most one write a second', async () => {
    // An earlier test's CRC may still be waiting out its one-second window: let it land first.
    await new Promise((r) => setTimeout(r, 1_100));
    const before = await app.db.prisma.crcCheck.count({ where: { outcome: 'ok' } });
    const tokens = Array.from({ length: 3 }, () => randomBytes(24).toString('base64url'));
    const firstSent = Date.now();
    let lastSent = 0;
    for (const token of tokens) {
      lastSent = Date.now();
      expect((await request(app.handler).get(crcUrl(token))).status).toBe(200);
    }
    // The latest CRC of a burst is always recorded (within the one-second write window).
    await until(async () => {
      const latest = await app.db.prisma.crcCheck.findFirst({ where: { outcome: 'ok' }, orderBy: { answeredAt: 'desc' } });
      return latest !== null && latest.answeredAt.getTime() >= lastSent - 5;
    });

    const rows = await app.db.prisma.crcCheck.findMany({ where: { outcome: 'ok' }, orderBy: { answeredAt: 'asc' } });
    expect(rows.length).toBeGreaterThan(before);
    // One write, then at most one a second: three CRCs within a second make two rows, not three
    // (a busy machine may spread them over more seconds).
    expect(rows.length).toBeLessThanOrEqual(before + 2 + Math.floor((lastSent - firstSent) / 1000));
    const now = Date.now();
    for (const row of rows) {
      expect(row.answeredAt.getTime()).toBeGreaterThanOrEqual(startedAt.getTime() - 1000);
      expect(row.answeredAt.getTime()).toBeLessThanOrEqual(now + 1000);
      expect(row.latencyMs).toBeGreaterThanOrEqual(0);
      expect(row.latencyMs).toBeLessThan(3000);
    }
    // Every column of the table, read raw: no token anywhere.
    const raw = await app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>('SELECT * FROM crc_checks');
    const dump = JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const token of tokens) expect(dump).not.toContain(token);
    for (const token of VALID_TOKENS) expect(dump).not.toContain(token);
  });

  it('never writes X_CONSUMER_SECRET or a CRC token into the logs', async () => {
    const token = 'bG9nLWxlYWstY2hlY2stdG9rZW4';
    expect((await request(app.handler).get(crcUrl(token))).status).toBe(200);
    expect((await request(app.handler).get(crcUrl('{"a":1}'))).status).toBe(400);
    await until(() => app.logs.some((line) => line.includes('/webhook')));
    const logs = app.logs.join('');
    expect(logs).not.toContain(TEST_SECRET);
    expect(logs).not.toContain(token);
    for (const t of VALID_TOKENS) expect(logs).not.toContain(t);
    expect(logs).not.toContain('crc_token');
  });

  it('logs CRCs at info at most once a second, each line counting those it did not log', async () => {
    // Anyone can send a CRC, and the route comes before the rate limiter: a flood of them must
    // not become a flood of log lines.
    await new Promise((r) => setTimeout(r, 1_100));
    const from = app.logs.length;
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const url = i % 2 === 0 ? crcUrl(randomBytes(24).toString('base64url')) : crcUrl('short');
      expect((await request(app.handler).get(url)).status).toBe(i % 2 === 0 ? 200 : 400);
    }
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await request(app.handler).get(crcUrl(randomBytes(24).toString('base64url')))).status).toBe(200);
    await until(() => app.logs.length > from && app.logs.slice(from).some((l) => l.includes('"notLogged"')));
    const lines = app.logs
      .slice(from)
      .filter((l) => l.includes('crc answered'))
      .map((l) => JSON.parse(l) as { level: number | string; notLogged?: number; status: number });
    // The first of the burst, then at most one a second, then the one after the pause.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(2 + Math.floor(elapsed / 1000));
    // Every CRC is either a line or counted in the next line (the first line's count is of CRCs
    // before the burst).
    expect(lines.slice(1).reduce((n, l) => n + 1 + (l.notLogged ?? 0), 1)).toBe(31);
    expect(lines.at(-1)!.status).toBe(200);
  });
});
