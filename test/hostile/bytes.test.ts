/**
 * Hostile bytes on POST /webhook: random bodies, signatures of every shape, unicode edge cases.
 * Nothing unsigned is stored; anything signed is stored byte for byte and answered 200 (JSON) or
 * 400 (not JSON); nothing is ever a 5xx.
 */
import fc from 'fast-check';
import { CRC_TOKEN_PATTERN } from '../../src/receiver/crc.js';
import { describe, expect, it } from 'vitest';
import {
  expectCleanResponse,
  hostileSuite,
  isJson,
  post,
  RUNS,
  storedCounts,
  storedDelivery,
  TEST_SECRET,
  xSignature,
} from './support.js';
import { withPayloads } from '../support/app.js';

const h = hostileSuite();

/** Any bytes, sometimes JSON-looking, sometimes valid JSON, sometimes large. */
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.jsonValue().map((v) => Buffer.from(`${JSON.stringify(v)}`.slice(0, -1))),
  fc.constantFrom('', '{', '}', '[]', 'null', '"', '{"for_user_id":', '\uFEFF{}', ' ', '\u0000').map((s) => Buffer.from(s)),
  fc.integer({ min: 1, max: 300_000 }).map((n) => Buffer.alloc(n, 0x7b)),
);

/** A signature header that is not the right one for the body. */
const wrongSignatures = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.string({ maxLength: 100 }),
  fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `sha256=${b}`),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => `sha256=${Buffer.from(a).toString('base64')}`),
  fc.constantFrom('sha256=', 'sha1=abc', 'SHA256=', 'sha256= ', 'sha256=====', '\t'),
);

describe('unsigned or wrongly signed bytes', () => {
  it('any bytes with a wrong or missing signature: 401 and nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, wrongSignatures, async (body, signature) => {
        // Only a 1 in 2^256 coincidence would make a random signature right.
        fc.pre(signature !== xSignature(body));
        const before = await storedCounts(h.app);
        const res = await post(h.port, body, { signature });
        expect(res.status).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_signature' });
        expectCleanResponse(res);
        expect(await storedCounts(h.app)).toEqual(before);
      }),
      RUNS,
    );
  });

  it('a body signed with another secret, or the right signature of other bytes: 401', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, fc.string({ minLength: 1, maxLength: 64 }), async (body, secret) => {
        fc.pre(secret !== TEST_SECRET);
        const before = await storedCounts(h.app);
        const other = Buffer.concat([body, Buffer.from(' ')]);
        for (const signature of [xSignature(body, secret), xSignature(other)]) {
          const res = await post(h.port, body, { signature });
          expect(res.status).toBe(401);
          expectCleanResponse(res);
        }
        expect(await storedCounts(h.app)).toEqual(before);
      }),
      { numRuns: 50 },
    );
  });

  it('two signature headers (even both correct) are refused: 401, nothing stored', async () => {
    const body = Buffer.from('{"for_user_id":"1","tweet_create_events":[{"id_str":"1"}]}');
    const before = await storedCounts(h.app);
    for (const signature of [
      [xSignature(body), xSignature(body)],
      [xSignature(body), 'sha256=AAAA'],
      ['sha256=AAAA', xSignature(body)],
    ]) {
      const res = await post(h.port, body, { signature });
      expect(res.status).toBe(401);
      expectCleanResponse(res);
    }
    expect(await storedCounts(h.app)).toEqual(before);
  });
});

describe('validly signed bytes', () => {
  it('any signed bytes: 200 when JSON, 400 when not, never 5xx; the stored body is the exact bytes', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const res = await post(h.port, body);
        expectCleanResponse(res);
        // A body shaped like a CRC token (a JSON number of 16+ digits is one) could carry a
        // signature our own CRC endpoint made: refused, nothing stored (receiver/ingest.ts).
        if (body.length <= 128 && CRC_TOKEN_PATTERN.test(body.toString('latin1'))) {
          expect(res.status).toBe(401);
          return;
        }
        expect(res.status).toBe(isJson(body) ? 200 : 400);
        const stored = await storedDelivery(h.app, body);
        expect(stored, 'a signed delivery is always stored').toBeDefined();
        expect(Buffer.compare(Buffer.from(stored!.body), body)).toBe(0);
        expect(stored!.status).toBe(res.status === 400 ? 'unparseable' : stored!.status);
        if (res.status === 400) expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_json', delivery: stored!.id });
      }),
      RUNS,
    );
  });

  it('a signed body shaped like a CRC token (a JSON number of 16 digits) is refused, not stored', async () => {
    const before = await storedCounts(h.app);
    const res = await post(h.port, Buffer.from('1000000000000000'));
    expect(res.status).toBe(401);
    expect(await storedCounts(h.app)).toEqual(before);
  });

  it('an unusual but acceptable content type still reaches the signature check; others get 415', async () => {
    const body = Buffer.from('{"hello":"world"}');
    const ok = ['application/json', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json;charset=latin1'];
    for (const contentType of ok) expect((await post(h.port, body, { contentType })).status).toBe(200);
    const before = await storedCounts(h.app);
    const refused = [null, '', 'text/plain', 'application/jsonx', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'json'];
    for (const contentType of refused) {
      const res = await post(h.port, body, { contentType });
      expect(res.status).toBe(415);
      expectCleanResponse(res);
    }
    // Node keeps the first of two content-type headers (duplicates are dropped for this header).
    expect((await post(h.port, body, { contentType: ['text/plain', 'application/json'] })).status).toBe(415);
    expect(await storedCounts(h.app)).toEqual(before);
  });
});

describe('unicode and encoding edge cases (signed)', () => {
  const cases: Array<[string, Buffer, 200 | 400]> = [
    ['lone high surrogate, escaped', Buffer.from('{"for_user_id":"\\ud800","tweet_create_events":[{"id_str":"\\udbff","text":"\\ud800"}]}'), 200],
    ['lone low surrogate, escaped', Buffer.from('{"data":{"event_type":"post.create","filter":{"user_id":"\\udc00"},"payload":{"id":"\\udfff"}}}'), 200],
    ['escaped NUL in ids and text', Buffer.from('{"for_user_id":"1\\u00002","tweet_create_events":[{"id_str":"\\u0000","text":"a\\u0000b"}]}'), 200],
    ['raw NUL byte inside a string (invalid JSON)', Buffer.from('{"a":"x\u0000y"}'), 400],
    ['raw NUL byte between tokens (invalid JSON)', Buffer.from('{"a":1}\u0000'), 400],
    ['RTL and zero-width marks', Buffer.from('{"for_user_id":"\u202e1\u200f","tweet_create_events":[{"id_str":"\u2066123\u2069","text":"\u200b\u200d"}]}'), 200],
    ['emoji, astral and combining characters', Buffer.from('{"for_user_id":"1","tweet_create_events":[{"id_str":"😀","text":"👩‍👩‍👧‍👦 e\u0301 𝔘𝔫𝔦"}]}'), 200],
    ['a UTF-8 BOM before the JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"for_user_id":"1"}')]), 400],
    ['a UTF-16 LE body', Buffer.from('\ufeff{"for_user_id":"1"}', 'utf16le'), 400],
    ['overlong UTF-8 encoding of "/" inside a string', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 200],
    ['overlong UTF-8 encoding of a quote', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xa2]), Buffer.from('}')]), 400],
    ['overlong NUL (C0 80)', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0x80]), Buffer.from('"}')]), 200],
    ['CESU-8 encoded surrogate pair', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]), Buffer.from('"}')]), 200],
    ['invalid UTF-8 continuation bytes', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0x80, 0xbf, 0xfe, 0xff]), Buffer.from('"}')]), 200],
    ['truncated multi-byte sequence at the end', Buffer.concat([Buffer.from('{"a":"x"}'), Buffer.from([0xe2, 0x82])]), 400],
    ['unicode escapes of every plane', Buffer.from('{"a":"\\u0001\\u001f\\u007f\\u00ad\\u2028\\u2029\\ufeff\\uffff\\ud83d\\ude00"}'), 200],
    ['a leading-zero 17-digit integer (invalid JSON)', Buffer.from('{"for_user_id":"1","tweet_create_events":[{"id":01234567890123456}]}'), 400],
    ['a negative leading-zero long integer (invalid JSON)', Buffer.from('[-00000000000000001]'), 400],
  ];

  it.each(cases)('%s', async (_name, body, status) => {
    const res = await post(h.port, body);
    expectCleanResponse(res);
    expect(res.status).toBe(status);
    const stored = await storedDelivery(h.app, body);
    expect(Buffer.compare(Buffer.from(stored!.body), body)).toBe(0);
  });

  it('distinct ids that differ only by lone surrogates or NUL stay distinct events', async () => {
    // SQLite stores text as UTF-8: a lone surrogate would become U+FFFD, and two different ids
    // would collide on one dedupe key (the second silently counted as a duplicate).
    const ids = ['\\ud800', '\\ud801', '\\udfff', '\\u0000', '\\u0000\\u0000', 'a\\u0000', 'a'];
    let fresh = 0;
    for (const id of ids) {
      const body = `{"for_user_id":"70","tweet_create_events":[{"id_str":"${id}","text":"t"}]}`;
      const res = await post(h.port, body);
      expect(res.status).toBe(200);
      fresh += (JSON.parse(res.body) as { events: number }).events;
    }
    expect(fresh).toBe(ids.length);
  });

  it('arbitrary full-unicode strings in every text position: 200, one event, payload text round-trips', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), async (a, b) => {
        const activity = { id_str: `${b}|${a}`, text: a + b, user: { id_str: b, name: a } };
        const body = Buffer.from(JSON.stringify({ for_user_id: `u${a}`, tweet_create_events: [activity] }));
        const res = await post(h.port, body);
        expectCleanResponse(res);
        expect(res.status).toBe(200);
        const reply = JSON.parse(res.body) as { events: number; duplicates: number };
        const key = JSON.stringify([a, b]);
        expect(reply).toMatchObject(seen.has(key) ? { events: 0, duplicates: 1 } : { events: 1, duplicates: 0 });
        seen.add(key);
        const stored = await storedDelivery(h.app, body);
        const events = await withPayloads(h.app.db, await h.app.db.prisma.event.findMany({ where: { deliveryId: stored!.id } }));
        for (const e of events) expect(JSON.parse(e.payload)).toEqual(activity);
      }),
      { numRuns: 60 },
    );
  });
});
