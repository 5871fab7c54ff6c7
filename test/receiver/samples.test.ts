import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/index.js';
import { decodeBody } from '../../src/store/index.js';
import { sample, sampleNames, startTestApp, withPayloads, xSignature, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { postDelivery, sha256Hex } from './helpers.js';

interface Expected {
  type: (typeof EVENT_TYPES)[number];
  action: string | null;
  forUserId: string | null;
  /** X's own id for the activity, which must appear verbatim in the dedupe key. */
  xId?: string;
}

const SUBSCRIBED = '2244994945';

/** What each sample must become, per the mapping in src/events/names.ts and src/normalize/envelope/. */
const EXPECTED: Record<string, { format: 'aaa' | 'xaa'; events: Expected[] }> = {
  'aaa-block.json': { format: 'aaa', events: [{ type: 'block', action: 'block', forUserId: SUBSCRIBED }] },
  'aaa-direct-message-read.json': { format: 'aaa', events: [{ type: 'dm.read', action: null, forUserId: SUBSCRIBED }] },
  'aaa-direct-message-typing.json': { format: 'aaa', events: [{ type: 'dm.typing', action: null, forUserId: SUBSCRIBED }] },
  'aaa-direct-message.json': {
    format: 'aaa',
    events: [{ type: 'dm.message', action: 'received', forUserId: SUBSCRIBED, xId: '1985234567890400001' }],
  },
  'aaa-favorite.json': {
    format: 'aaa',
    events: [{ type: 'like', action: 'like', forUserId: SUBSCRIBED, xId: 'a7ba59eab0bfcba386f7acedac279542' }],
  },
  'aaa-follow.json': { format: 'aaa', events: [{ type: 'follow', action: 'follow', forUserId: SUBSCRIBED }] },
  'aaa-mute.json': { format: 'aaa', events: [{ type: 'mute', action: 'mute', forUserId: SUBSCRIBED }] },
  'aaa-replay-job-status.json': {
    format: 'aaa',
    events: [{ type: 'replay.status', action: 'Complete', forUserId: null, xId: '1915510368169844736' }],
  },
  // user_event carries no for_user_id: the revoking user is the subscribed user of the event.
  'aaa-revoke.json': { format: 'aaa', events: [{ type: 'app.revoke', action: null, forUserId: '1375036644' }] },
  'aaa-tweet-create-batch.json': {
    format: 'aaa',
    events: [
      { type: 'post.create', action: null, forUserId: SUBSCRIBED, xId: '1985234567890300001' },
      { type: 'post.create', action: null, forUserId: SUBSCRIBED, xId: '1985234567890300002' },
    ],
  },
  'aaa-tweet-create-mention.json': {
    format: 'aaa',
    events: [{ type: 'post.create', action: null, forUserId: SUBSCRIBED, xId: '1985234567890123456' }],
  },
  'aaa-tweet-create-retweet.json': {
    format: 'aaa',
    events: [{ type: 'post.create', action: null, forUserId: SUBSCRIBED, xId: '1985234567890200001' }],
  },
  'aaa-tweet-delete.json': {
    format: 'aaa',
    events: [{ type: 'post.delete', action: null, forUserId: SUBSCRIBED, xId: '1985234567890300001' }],
  },
  'aaa-unblock.json': { format: 'aaa', events: [{ type: 'block', action: 'unblock', forUserId: SUBSCRIBED }] },
  'aaa-unfollow.json': { format: 'aaa', events: [{ type: 'follow', action: 'unfollow', forUserId: SUBSCRIBED }] },
  'aaa-unmute.json': { format: 'aaa', events: [{ type: 'mute', action: 'unmute', forUserId: SUBSCRIBED }] },
  'xaa-follow-follow.json': { format: 'xaa', events: [{ type: 'follow', action: 'follow', forUserId: SUBSCRIBED }] },
  'xaa-post-create.json': {
    format: 'xaa',
    events: [{ type: 'post.create', action: null, forUserId: SUBSCRIBED, xId: '1985234567890500001' }],
  },
  'xaa-profile-update-bio.json': {
    format: 'xaa',
    // X gives a profile change no id: keyed by its content, never by the event_uuid.
    events: [{ type: 'profile.update', action: 'bio', forUserId: SUBSCRIBED }],
  },
};

/** Every run of 16+ digits in a text, in order: the 64-bit ids. */
function longDigitRuns(text: string): string[] {
  return text.match(/\d{16,}/g) ?? [];
}

describe('the sample set', () => {
  it('has an expectation for every sample file and the files exist', () => {
    expect(sampleNames().length).toBeGreaterThan(0);
    expect(sampleNames()).toEqual(Object.keys(EXPECTED).sort());
    for (const { events } of Object.values(EXPECTED)) for (const e of events) expect(EVENT_TYPES).toContain(e.type);
  });
});

describe.each(providersUnderTest())('sample deliveries on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(sampleNames())('%s: stored byte-exact with its canonical events', async (name) => {
    const body = sample(name);
    const expected = EXPECTED[name];
    expect(expected, `no expectation for ${name}`).toBeDefined();
    const before = await app.db.prisma.event.count();

    const res = await postDelivery(app.handler, body);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: 'accepted', events: expected!.events.length, duplicates: 0 });

    const deliveries = await app.db.prisma.delivery.findMany({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0]!;
    expect(delivery.format).toBe(expected!.format);
    expect(delivery.status).toBe('accepted');
    expect(delivery.eventCount).toBe(expected!.events.length);
    expect(delivery.duplicateCount).toBe(0);
    expect(delivery.contentType).toBe('application/json');
    // Nothing replayable is kept: the signature header appears nowhere in the stored row.
    expect(JSON.stringify({ ...delivery, body: null })).not.toContain(xSignature(body).slice('sha256='.length));
    // The raw body, byte for byte.
    expect(delivery.body).not.toBeNull();
    expect(decodeBody(delivery.body, delivery.bodyEncoding).equals(body)).toBe(true);

    expect(await app.db.prisma.event.count()).toBe(before + expected!.events.length);
    const events = await withPayloads(app.db, [...delivery.events].sort((a, b) => a.id.localeCompare(b.id)));
    expect(events).toHaveLength(expected!.events.length);
    events.forEach((event, i) => {
      const want = expected!.events[i]!;
      expect(event.type).toBe(want.type);
      expect(event.action).toBe(want.action);
      expect(event.forUserId).toBe(want.forUserId);
      expect(event.format).toBe(expected!.format);
      expect(event.state).toBe('pending');
      expect(event.duplicateCount).toBe(0);
      expect(event.dedupeKey.startsWith(`${want.forUserId ?? '-'}:`)).toBe(true);
      if (want.xId) expect(event.dedupeKey).toContain(want.xId);
      // Payload and side objects are JSON text, and any 64-bit id in them is exactly one from the body.
      const payload: unknown = JSON.parse(event.payload);
      expect(payload).not.toBeNull();
      JSON.parse(event.sideObjects ?? 'null');
      for (const run of longDigitRuns(event.payload)) expect(body.toString('utf8')).toContain(run);
      for (const run of longDigitRuns(event.dedupeKey)) expect(body.toString('utf8')).toContain(run);
    });
    // Events of one delivery have distinct dedupe keys.
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(events.length);
  });

  it('keeps 64-bit ids as exact strings in the stored payload (never numbers)', async () => {
    const event = (await withPayloads(app.db, [await app.db.prisma.event.findFirstOrThrow({ where: { dedupeKey: { contains: '1985234567890123456' } } })]))[0]!;
    expect(event.dedupeKey).toBe(`${SUBSCRIBED}:post:1985234567890123456`);
    // The text itself: the numeric 64-bit "id" is quoted (a string) with its original digits, not rounded.
    expect(event.payload).toMatch(/"id_str":\s*"1985234567890123456"/);
    expect(event.payload).toMatch(/"id":\s*"1985234567890123500"/);
    expect(event.payload).not.toMatch(/"id":\s*1985234567890123\d*/);
    const payload = JSON.parse(event.payload) as Record<string, unknown>;
    expect(payload.id_str).toBe('1985234567890123456');
    expect(typeof payload.id).toBe('string');
    expect(payload.id).toBe('1985234567890123500');
    expect(payload.text).toBe('@XDevelopers is the webhook replay endpoint live yet?');
    // Small ids that fit in 53 bits stay as X sent them.
    expect((payload.user as Record<string, unknown>).id_str).toBe('1375036644');
  });

  it('keeps every 64-bit id of the samples verbatim somewhere in the stored events', async () => {
    const stored = (await withPayloads(app.db, await app.db.prisma.event.findMany())).map((e) => e.payload + e.dedupeKey + (e.sideObjects ?? '')).join('\n');
    for (const name of sampleNames()) {
      const text = sample(name).toString('utf8');
      for (const run of longDigitRuns(text)) expect(stored, `${name}: ${run}`).toContain(run);
    }
  });

  it('stores XAA side objects (filter, tag, event_uuid) next to the payload', async () => {
    const event = (await withPayloads(app.db, [await app.db.prisma.event.findFirstOrThrow({ where: { dedupeKey: { contains: '1985234567890500001' } } })]))[0]!;
    expect(event.dedupeKey).toBe(`${SUBSCRIBED}:post:1985234567890500001`);
    const side = JSON.parse(event.sideObjects ?? '{}') as Record<string, unknown>;
    expect(side).toMatchObject({
      source: 'post.create',
      filter: { user_id: SUBSCRIBED },
      tag: 'dev-posts',
      eventUuid: '4a8c2e71-9d3b-4f60-b1a2-5e7d9c0f3b18',
    });
    expect(JSON.parse(event.payload)).toEqual({
      id: '1985234567890500001',
      text: 'Webhooks now deliver XAA events',
      author_id: SUBSCRIBED,
      created_at: '2026-11-02T12:00:00.000Z',
    });
    expect(event.occurredAt?.toISOString()).toBe('2026-11-02T12:00:00.000Z');
  });

  it('keeps a negative event_uuid as an opaque string', async () => {
    const event = (await withPayloads(app.db, [await app.db.prisma.event.findFirstOrThrow({ where: { format: 'xaa', type: 'follow' } })]))[0]!;
    const side = JSON.parse(event.sideObjects ?? '{}') as Record<string, unknown>;
    expect(side.eventUuid).toBe('-6124589234091823740');
  });

  it('stores the DM side objects (users, apps) and the AAA source key', async () => {
    const event = (await withPayloads(app.db, [await app.db.prisma.event.findFirstOrThrow({ where: { type: 'dm.message' } })]))[0]!;
    const side = JSON.parse(event.sideObjects ?? '{}') as Record<string, unknown>;
    expect(side.source).toBe('direct_message_events');
    expect(side.users).toHaveProperty('1375036644');
    expect(side.apps).toHaveProperty('268278');
    expect(event.occurredAt?.getTime()).toBe(1793618400000);
  });

  it('stored one event per sample, two for the batch', async () => {
    const total = Object.values(EXPECTED).reduce((n, e) => n + e.events.length, 0);
    expect(total).toBe(sampleNames().length + 1);
    expect(await app.db.prisma.event.count()).toBe(total);
    expect(await app.db.prisma.delivery.count()).toBe(sampleNames().length);
  });
});
