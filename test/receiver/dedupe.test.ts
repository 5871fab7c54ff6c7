import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startTestApp, withPayloads, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { counterValue, postDelivery, postOverHttp, sha256Hex } from './helpers.js';

const SUBSCRIBED = '2244994945';
const MENTION_ID = '1985234567890123456';

/** An XAA post.create for the same post and subscribed user as aaa-tweet-create-mention.json. */
function xaaPostCreate(postId: string, userId: string, uuid = '0e1b2c3d-aaaa-4bbb-8ccc-000000000001'): Buffer {
  return Buffer.from(
    `{"data":{"event_type":"post.create","event_uuid":"${uuid}","filter":{"user_id":"${userId}"},"tag":"migration",` +
      `"payload":{"id":"${postId}","text":"@XDevelopers is the webhook replay endpoint live yet?",` +
      `"author_id":"1375036644","created_at":"2026-11-02T09:15:41.000Z"}}}`,
  );
}

/** The AAA mention sample re-addressed to another subscribed user, every other byte kept. */
function mentionFor(userId: string): Buffer {
  const text = sample('aaa-tweet-create-mention.json').toString('utf8');
  const changed = text.replace(`"for_user_id": "${SUBSCRIBED}"`, `"for_user_id": "${userId}"`);
  expect(changed).not.toBe(text);
  return Buffer.from(changed);
}

/** POSTs a signed delivery to the receiver on `port`, on a connection of its own. */
const post = (port: number, body: Buffer) => postOverHttp(`http://127.0.0.1:${port}/webhook`, body);

describe.each(providersUnderTest())('deduplication on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('the same delivery 20 times concurrently', () => {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer(app.handler).listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('answers 200 to all, stores one set of events and counts 19 duplicates', async () => {
      const body = sample('aaa-tweet-create-mention.json');
      const acceptedBefore = await counterValue(app.metrics.deliveries, { result: 'accepted' });
      const duplicateBefore = await counterValue(app.metrics.deliveries, { result: 'duplicate' });

      const replies = await Promise.all(Array.from({ length: 20 }, () => post(port, body)));
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
      const bodies = replies.map((r) => JSON.parse(r.body) as { status: string; events: number; duplicates: number });
      expect(bodies.filter((b) => b.status === 'accepted')).toEqual([{ status: 'accepted', events: 1, duplicates: 0 }]);
      expect(bodies.filter((b) => b.status === 'duplicate')).toHaveLength(19);
      for (const b of bodies.filter((x) => x.status === 'duplicate')) expect(b).toEqual({ status: 'duplicate', events: 0, duplicates: 1 });

      const events = await app.db.prisma.event.findMany({ where: { dedupeKey: `${SUBSCRIBED}:post:${MENTION_ID}` } });
      expect(events).toHaveLength(1);
      expect(events[0]!.duplicateCount).toBe(19);

      // Every delivery is kept (the raw record of what X sent), 19 of them marked duplicate.
      const deliveries = await app.db.prisma.delivery.findMany({ where: { bodySha256: sha256Hex(body) } });
      expect(deliveries).toHaveLength(20);
      expect(deliveries.reduce((n, d) => n + d.duplicateCount, 0)).toBe(19);
      expect(deliveries.filter((d) => d.status === 'accepted')).toHaveLength(1);
      expect(deliveries.filter((d) => d.status === 'duplicate')).toHaveLength(19);
      // The first stored delivery is the one the event belongs to.
      const owner = deliveries.find((d) => d.status === 'accepted')!;
      expect(events[0]!.deliveryId).toBe(owner.id);
      expect(owner.duplicateCount).toBe(0);

      expect((await counterValue(app.metrics.deliveries, { result: 'duplicate' })) - duplicateBefore).toBe(19);
      expect((await counterValue(app.metrics.deliveries, { result: 'accepted' })) - acceptedBefore).toBe(1);
      const exposition = await app.metrics.registry.metrics();
      expect(exposition).toMatch(/xaa_deliveries_total\{result="duplicate"\} 19\b/);
    });

    it('a two-event batch posted 20 times concurrently stores two events, each with 19 duplicates', async () => {
      const body = sample('aaa-tweet-create-batch.json');
      const replies = await Promise.all(Array.from({ length: 20 }, () => post(port, body)));
      expect(replies.every((r) => r.status === 200)).toBe(true);
      const events = await app.db.prisma.event.findMany({ where: { dedupeKey: { startsWith: `${SUBSCRIBED}:post:19852345678903000` } } });
      expect(events.map((e) => e.dedupeKey).sort()).toEqual([
        `${SUBSCRIBED}:post:1985234567890300001`,
        `${SUBSCRIBED}:post:1985234567890300002`,
      ]);
      expect(events.map((e) => e.duplicateCount)).toEqual([19, 19]);
      const deliveries = await app.db.prisma.delivery.findMany({ where: { bodySha256: sha256Hex(body) } });
      expect(deliveries).toHaveLength(20);
      expect(deliveries.reduce((n, d) => n + d.duplicateCount, 0)).toBe(38);
    });
  });

  it('counts a sequential resend (X retry) as a duplicate too', async () => {
    const body = sample('aaa-favorite.json');
    const first = await postDelivery(app.handler, body);
    const second = await postDelivery(app.handler, body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'accepted', events: 1 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'duplicate', events: 0, duplicates: 1 });
    expect(await app.db.prisma.event.count({ where: { type: 'like' } })).toBe(1);
  });

  it('stores one event for an AAA and an XAA delivery of the same activity', async () => {
    // The mention is already stored (first test); XAA brings the same post for the same user.
    const key = `${SUBSCRIBED}:post:${MENTION_ID}`;
    const before = await app.db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: key } });
    const res = await postDelivery(app.handler, xaaPostCreate(MENTION_ID, SUBSCRIBED));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'duplicate', events: 0, duplicates: 1 });
    const after = await app.db.prisma.event.findMany({ where: { dedupeKey: { contains: MENTION_ID } } });
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.duplicateCount).toBe(before.duplicateCount + 1);
  });

  it('stores one event when the XAA delivery comes first and the AAA one second', async () => {
    const postId = '1985234567890999001';
    const xaa = xaaPostCreate(postId, SUBSCRIBED, '0e1b2c3d-aaaa-4bbb-8ccc-000000000002');
    const aaa = Buffer.from(
      `{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[{"id":${postId},"id_str":"${postId}","text":"x",` +
        `"user":{"id":1375036644,"id_str":"1375036644"},"timestamp_ms":"1793610941000"}]}`,
    );
    const first = await postDelivery(app.handler, xaa);
    const second = await postDelivery(app.handler, aaa);
    expect(first.body).toMatchObject({ status: 'accepted', events: 1 });
    expect(second.body).toMatchObject({ status: 'duplicate', duplicates: 1 });
    const events = await app.db.prisma.event.findMany({ where: { dedupeKey: { contains: postId } } });
    expect(events).toHaveLength(1);
    expect(events[0]!.format).toBe('xaa');
    expect(events[0]!.type).toBe('post.create');
    expect(events[0]!.dedupeKey).toBe(`${SUBSCRIBED}:post:${postId}`);
  });

  it('stores one event for an AAA follow and an XAA follow.follow of the same activity', async () => {
    const ms = 1793620860000;
    const aaa = Buffer.from(
      `{"for_user_id":"${SUBSCRIBED}","follow_events":[{"type":"follow","created_timestamp":"${ms}",` +
        `"target":{"id":${SUBSCRIBED},"id_str":"${SUBSCRIBED}"},"source":{"id":1985234567890777500,"id_str":"1985234567890777500"}}]}`,
    );
    const xaa = Buffer.from(
      `{"data":{"event_type":"follow.follow","event_uuid":"0e1b2c3d-aaaa-4bbb-8ccc-000000000010","filter":{"user_id":"${SUBSCRIBED}"},` +
        `"payload":{"source":{"id":"1985234567890777500","username":"someone"},"target":{"id":"${SUBSCRIBED}","username":"XDevelopers"},` +
        `"created_at":"${new Date(ms).toISOString()}"}}}`,
    );
    expect((await postDelivery(app.handler, aaa)).body).toMatchObject({ status: 'accepted', events: 1 });
    expect((await postDelivery(app.handler, xaa)).body).toMatchObject({ status: 'duplicate', duplicates: 1 });
    const events = await app.db.prisma.event.findMany({ where: { type: 'follow', occurredAt: new Date(ms) } });
    expect(events).toHaveLength(1);
    expect(events[0]!.action).toBe('follow');
  });

  it('stores one event for an AAA DM and an XAA DM event with the same DM id', async () => {
    const dmId = '1985234567890777600';
    const dm = `{"type":"message_create","id":"${dmId}","created_timestamp":"1793618400000","message_create":` +
      `{"target":{"recipient_id":"${SUBSCRIBED}"},"sender_id":"1375036644","message_data":{"text":"hi"}}}`;
    const aaa = Buffer.from(`{"for_user_id":"${SUBSCRIBED}","direct_message_events":[${dm}]}`);
    const xaa = Buffer.from(
      `{"data":{"event_type":"dm.received","event_uuid":"0e1b2c3d-aaaa-4bbb-8ccc-000000000011","filter":{"user_id":"${SUBSCRIBED}"},` +
        `"payload":${dm}}}`,
    );
    expect((await postDelivery(app.handler, xaa)).body).toMatchObject({ status: 'accepted', events: 1 });
    expect((await postDelivery(app.handler, aaa)).body).toMatchObject({ status: 'duplicate', duplicates: 1 });
    const events = await app.db.prisma.event.findMany({ where: { dedupeKey: { contains: dmId } } });
    expect(events).toHaveLength(1);
    expect(events[0]!).toMatchObject({ type: 'dm.message', action: 'received', dedupeKey: `${SUBSCRIBED}:dm:${dmId}` });
  });

  it('stores two events for the same post delivered for two different subscribed users', async () => {
    const other = '1375036644';
    const res = await postDelivery(app.handler, mentionFor(other));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'accepted', events: 1, duplicates: 0 });
    const events = await app.db.prisma.event.findMany({ where: { dedupeKey: { endsWith: `:post:${MENTION_ID}` } } });
    expect(events.map((e) => e.forUserId).sort()).toEqual([other, SUBSCRIBED].sort());
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(2);
    // And XAA for the other user is a duplicate of that user's AAA event only.
    const xaa = await postDelivery(app.handler, xaaPostCreate(MENTION_ID, other, '0e1b2c3d-aaaa-4bbb-8ccc-000000000003'));
    expect(xaa.body).toMatchObject({ status: 'duplicate', duplicates: 1 });
    expect(await app.db.prisma.event.count({ where: { dedupeKey: { endsWith: `:post:${MENTION_ID}` } } })).toBe(2);
  });

  it('stores an unknown AAA key as an unknown event, never dropped', async () => {
    const body = Buffer.from(
      `{"for_user_id":"${SUBSCRIBED}","community_note_events":[{"id":1985234567890777001,"note":"new kind"}]}`,
    );
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'accepted', events: 1 });
    const delivery = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(delivery.format).toBe('aaa');
    expect(delivery.events).toHaveLength(1);
    const event = (await withPayloads(app.db, delivery.events))[0]!;
    expect(event.type).toBe('unknown');
    expect(event.action).toBe('community_note_events');
    expect(event.forUserId).toBe(SUBSCRIBED);
    expect(event.payload).toContain('"1985234567890777001"');
    expect(event.payload).toContain('new kind');
    // Posting it again is a duplicate, not a second unknown event.
    expect((await postDelivery(app.handler, body)).body).toMatchObject({ status: 'duplicate' });
  });

  it('stores an unknown AAA key next to known ones, keeping both', async () => {
    const body = Buffer.from(
      `{"for_user_id":"${SUBSCRIBED}","tweet_delete_events":[{"status":{"id":"1985234567890777100","user_id":"${SUBSCRIBED}"},"timestamp_ms":"1793618500000"}],` +
        `"brand_new_thing":{"x":1}}`,
    );
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(200);
    const delivery = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(delivery.events.map((e) => e.type).sort()).toEqual(['post.delete', 'unknown']);
  });

  it('stores an unknown XAA event_type as an unknown event, never dropped', async () => {
    const body = Buffer.from(
      `{"data":{"event_type":"community.note.create","event_uuid":"7f7f7f7f-0000-4000-8000-000000000001","filter":{"user_id":"${SUBSCRIBED}"},` +
        `"payload":{"space_id":"1YqKDqWqdPLsV","host_id":1985234567890777200}}}`,
    );
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'accepted', events: 1 });
    const delivery = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(delivery.format).toBe('xaa');
    const [event] = await withPayloads(app.db, delivery.events);
    expect(event!.type).toBe('unknown');
    expect(event!.action).toBe('community.note.create');
    expect(event!.forUserId).toBe(SUBSCRIBED);
    expect(event!.format).toBe('xaa');
    expect(JSON.parse(event!.payload)).toEqual({ space_id: '1YqKDqWqdPLsV', host_id: '1985234567890777200' });
    // Keyed by its content, never by the delivery's event_uuid: a redelivery is a duplicate.
    expect(event!.dedupeKey).not.toContain('7f7f7f7f-0000-4000-8000-000000000001');
    const again = body.toString().replace('7f7f7f7f-0000-4000-8000-000000000001', '7f7f7f7f-0000-4000-8000-000000000002');
    expect((await postDelivery(app.handler, again)).body).toMatchObject({ status: 'duplicate', duplicates: 1 });
  });

  it('stores valid JSON of neither envelope as one unknown event', async () => {
    const body = Buffer.from('{"something":"else","id":1985234567890777300}');
    const res = await postDelivery(app.handler, body);
    expect(res.status).toBe(200);
    const delivery = await app.db.prisma.delivery.findFirstOrThrow({ where: { bodySha256: sha256Hex(body) }, include: { events: true } });
    expect(delivery.format).toBe('unknown');
    expect(delivery.events).toHaveLength(1);
    expect(delivery.events[0]!.type).toBe('unknown');
    expect((await withPayloads(app.db, delivery.events))[0]!.payload).toContain('"1985234567890777300"');
  });
});
