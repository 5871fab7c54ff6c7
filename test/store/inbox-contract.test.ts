// The durable inbox's contract, run against both databases through the one interface the receiver
// uses: openInbox(db).write/drain/close. On a SQLite file that is the writer thread, on PostgreSQL
// group commit over Prisma; every case below must hold for both.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { activityOf, prepareDelivery } from '../../src/normalize/prepare.js';
import {
  decodeBody,
  getEvent,
  openDatabase,
  openInbox,
  prune,
  retentionPolicy,
  type Database,
  type DeliveryInbox,
  type GroupCommitOptions,
  type RawDelivery,
  type RecordedDelivery,
} from '../../src/store/index.js';
import { sample, sampleNames, withPayloads } from '../support/app.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';

const SUBSCRIBED = '2244994945';
const MENTION = 'aaa-tweet-create-mention.json';

/** Post ids no other case uses: every case writes its own activities into the shared database. */
let nextPost = 0n;
function postIds(n: number): string[] {
  return Array.from({ length: n }, () => String(1985234567000000000n + nextPost++));
}

/** An AAA delivery of these posts for the subscribed user, the 64-bit ids as raw JSON numbers as X sends them. */
function aaaPosts(ids: string[]): Buffer {
  const post = (id: string) =>
    `{"id":${id},"id_str":"${id}","text":"post ${id}","user":{"id_str":"1375036644"},"timestamp_ms":"1793610941000"}`;
  return Buffer.from(`{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[${ids.map(post).join(',')}]}`);
}

/** An AAA delivery of `n` new posts, and the dedupe keys its events must get. */
function posts(n: number): { body: Buffer; keys: string[] } {
  const ids = postIds(n);
  return { body: aaaPosts(ids), keys: ids.map(keyOf) };
}

function keyOf(postId: string): string {
  return `${SUBSCRIBED}:post:${postId}`;
}

/** A verified POST as the receiver hands it to the inbox. */
function raw(body: Uint8Array, over: Partial<RawDelivery> = {}): RawDelivery {
  return {
    receivedAt: new Date(),
    body,
    contentType: 'application/json',
    userAgent: 'inbox-contract-test',
    remoteAddr: '203.0.113.7',
    ...over,
  };
}

function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array): boolean {
  return a != null && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/** Runs `count` tasks with at most `width` of them in flight at once. */
async function pooled<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

describe.each(providersUnderTest())('delivery inbox contract on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  const opened: DeliveryInbox[] = [];

  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterEach(async () => {
    // close() may be called again: a case that closed its inbox itself is not harmed.
    for (const inbox of opened.splice(0)) await inbox.close();
  });
  afterAll(() => closeAndDrop(db, testDb));

  function open(options?: GroupCommitOptions & { dedupeWindowMs?: number }): DeliveryInbox {
    const inbox = openInbox(db, options);
    opened.push(inbox);
    return inbox;
  }

  /** A connection opened after the fact, as after a restart: it sees only what was committed. */
  async function fresh<T>(fn: (reader: Database) => Promise<T>): Promise<T> {
    const reader = await openDatabase(testDb.config);
    try {
      return await fn(reader);
    } finally {
      await reader.close();
    }
  }

  it('writes through the writer thread on a SQLite file and through Prisma on PostgreSQL', () => {
    const inbox = open();
    // The contract below is only about the SQLite writer thread if the inbox really uses it.
    expect(inbox.writer !== undefined).toBe(provider === 'sqlite');
  });

  it('has each sample delivery committed when write resolves: raw bytes, headers and events as normalized', async () => {
    const inbox = open();
    const names = sampleNames();
    expect(names.length).toBeGreaterThan(0);
    const raws = names.map((name) => raw(sample(name)));
    // Written together (one group commit): each caller must still get the result of its own delivery.
    const results = await Promise.all(raws.map((r) => inbox.write(r)));

    await fresh(async (reader) => {
      for (const [i, name] of names.entries()) {
        const r = raws[i]!;
        const result = results[i]!;
        const want = prepareDelivery(r);
        expect(want.events.length, name).toBeGreaterThan(0);
        expect(result, name).toMatchObject({ status: 'accepted', duplicates: 0 });
        expect(result.newEventIds, name).toHaveLength(want.events.length);

        const row = await reader.prisma.delivery.findUnique({ where: { id: result.deliveryId }, include: { events: true } });
        expect(row, `${name}: no delivery row ${result.deliveryId}`).not.toBeNull();
        expect(sameBytes(decodeBody(row!.body, row!.bodyEncoding), r.body), `${name}: body bytes`).toBe(true);
        // Kept small: a delivery of X's size is stored compressed.
        if (r.body.byteLength >= 1024) expect(row!.bodyEncoding, name).toBe('br');
        expect(row).toMatchObject({
          receivedAt: r.receivedAt,
          format: want.format,
          status: 'accepted',
          bodySha256: sha256Hex(r.body),
          contentType: r.contentType,
          userAgent: r.userAgent,
          remoteAddr: r.remoteAddr,
          eventCount: want.events.length,
          duplicateCount: 0,
        });

        const events = [...row!.events].sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey));
        expect(events.map((e) => e.id).sort(), name).toEqual([...result.newEventIds].sort());
        const expected = [...want.events].sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey));
        expect(
          events.map((e) => ({
            dedupeKey: e.dedupeKey,
            type: e.type,
            action: e.action,
            forUserId: e.forUserId,
            format: e.format,
            occurredAt: e.occurredAt,
            receivedAt: e.receivedAt,
            state: e.state,
            leaseOwner: e.leaseOwner,
            duplicateCount: e.duplicateCount,
          })),
          name,
        ).toEqual(
          expected.map((e) => ({
            dedupeKey: e.dedupeKey,
            type: e.type,
            action: e.action ?? null,
            forUserId: e.forUserId ?? null,
            format: e.format,
            occurredAt: e.occurredAt ?? null,
            receivedAt: r.receivedAt,
            state: 'pending',
            leaseOwner: null,
            duplicateCount: 0,
          })),
        );
      }
      // Not only "whatever the normalizer says": one sample pinned by hand.
      const mention = await reader.prisma.event.findUniqueOrThrow({ where: { dedupeKey: `${SUBSCRIBED}:post:1985234567890123456` } });
      expect(mention).toMatchObject({ type: 'post.create', forUserId: SUBSCRIBED, format: 'aaa' });
      expect(mention.deliveryId).toBe(results[names.indexOf(MENTION)]!.deliveryId);
    });
  });

  it('keeps event payloads by reference into the body, read back as the activity X sent', async () => {
    const inbox = open();
    const { body, keys } = posts(3);
    const r = raw(body);
    const result = await inbox.write(r);
    expect(result.newEventIds).toHaveLength(3);
    const want = prepareDelivery(r).events.map((e) => activityOf(r.body, e.activityIndex!)!);

    await fresh(async (reader) => {
      const rows = await reader.prisma.event.findMany({ where: { deliveryId: result.deliveryId }, orderBy: { activityIndex: 'asc' } });
      expect(rows.map((e) => e.dedupeKey)).toEqual(keys);
      // Stored by reference: no second copy of the activity in the row.
      expect(rows.map((e) => [e.payload, e.sideObjects, e.activityIndex])).toEqual([
        [null, null, 0],
        [null, null, 1],
        [null, null, 2],
      ]);
      const read = await withPayloads(reader, rows);
      expect(read.map((e) => JSON.parse(e.payload))).toStrictEqual(want.map((e) => e.payload));
      expect(read.map((e) => JSON.parse(e.sideObjects ?? 'null'))).toStrictEqual(want.map((e) => e.side));
      // The 64-bit id that JSON.parse would round is kept exactly, as text.
      const id = keys[1]!.split(':').pop()!;
      expect(JSON.parse(read[1]!.payload)).toMatchObject({ id, id_str: id, text: `post ${id}` });

      const detail = await getEvent(reader.prisma, keys[2]!);
      expect(detail).not.toBeNull();
      expect(detail!.deliveryId).toBe(result.deliveryId);
      expect(detail!.payload).toEqual(want[2]!.payload);
      expect(detail!.sideObjects).toEqual({ source: 'tweet_create_events' });
    });
  });

  it.each([
    ['invalid UTF-8 with a NUL byte', Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d])],
    ['an empty body', Buffer.alloc(0)],
    ['JSON nested too deeply to normalize', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000))],
    ['JSON behind a byte order mark', Buffer.from('\ufeff{"for_user_id":"2244994945"}')],
  ])('keeps %s byte-exact as an unparseable delivery without events', async (_what, body) => {
    const inbox = open();
    const result = await inbox.write(raw(body));
    expect(result).toEqual({ deliveryId: expect.any(String), status: 'unparseable', newEventIds: [], duplicates: 0, stale: 0 });
    await fresh(async (reader) => {
      const row = await reader.prisma.delivery.findUniqueOrThrow({ where: { id: result.deliveryId }, include: { events: true } });
      expect(sameBytes(decodeBody(row.body, row.bodyEncoding), body)).toBe(true);
      expect(decodeBody(row.body, row.bodyEncoding).byteLength).toBe(body.byteLength);
      expect(row).toMatchObject({
        status: 'unparseable',
        format: 'unknown',
        eventCount: 0,
        duplicateCount: 0,
        bodySha256: sha256Hex(body),
      });
      expect(row.events).toEqual([]);
    });
  });

  it('stores exactly the bytes of the view it is given, not the buffer behind it', async () => {
    const inbox = open();
    const { body, keys } = posts(1);
    // The delivery in the middle of a larger buffer, with bytes around it that are not its own.
    const backing = new Uint8Array(body.length + 64).fill(0x2c);
    backing.set(body, 32);
    const view = backing.subarray(32, 32 + body.length);
    const result = await inbox.write(raw(view));
    expect(result).toMatchObject({ status: 'accepted', duplicates: 0 });
    await fresh(async (reader) => {
      const row = await reader.prisma.delivery.findUniqueOrThrow({ where: { id: result.deliveryId }, include: { events: true } });
      expect(sameBytes(decodeBody(row.body, row.bodyEncoding), body)).toBe(true);
      expect(row.events.map((e) => e.dedupeKey)).toEqual(keys);
      expect(JSON.parse((await withPayloads(reader, row.events))[0]!.payload)).toStrictEqual(activityOf(body, 0)!.payload);
    });
  });

  it('counts an activity that a later delivery brings again as a duplicate of the first, on its row', async () => {
    const inbox = open();
    const [a, b, c] = postIds(3) as [string, string, string];
    const [p1, p2, p3] = [a, b, c].map(keyOf);

    const first = await inbox.write(raw(aaaPosts([a, b])));
    expect(first).toMatchObject({ status: 'accepted', duplicates: 0 });
    expect(first.newEventIds).toHaveLength(2);
    const overlap = await inbox.write(raw(aaaPosts([b, c])));
    expect(overlap).toMatchObject({ status: 'accepted', duplicates: 1 });
    expect(overlap.newEventIds).toHaveLength(1);
    const again = await inbox.write(raw(aaaPosts([a])));
    expect(again).toEqual({ deliveryId: expect.any(String), status: 'duplicate', newEventIds: [], duplicates: 1, stale: 0 });

    await fresh(async (reader) => {
      const events = await reader.prisma.event.findMany({ where: { dedupeKey: { in: [p1!, p2!, p3!] } }, orderBy: { id: 'asc' } });
      expect(events.map((e) => [e.dedupeKey, e.deliveryId, e.duplicateCount])).toEqual([
        [p1, first.deliveryId, 1],
        [p2, first.deliveryId, 1],
        [p3, overlap.deliveryId, 0],
      ]);
      expect(overlap.newEventIds).toEqual([events[2]!.id]);
      const ids = [first.deliveryId, overlap.deliveryId, again.deliveryId];
      const deliveries = await reader.prisma.delivery.findMany({ where: { id: { in: ids } } });
      const byId = new Map(deliveries.map((d) => [d.id, d]));
      expect(byId.get(first.deliveryId)).toMatchObject({ status: 'accepted', eventCount: 2, duplicateCount: 0 });
      expect(byId.get(overlap.deliveryId)).toMatchObject({ status: 'accepted', eventCount: 2, duplicateCount: 1 });
      // Every delivery is kept (the record of what X sent), even one that brought nothing new.
      expect(byId.get(again.deliveryId)).toMatchObject({ status: 'duplicate', eventCount: 1, duplicateCount: 1 });
    });
  });

  it('recognizes the AAA and the XAA delivery of the same activity as one event', async () => {
    const inbox = open();
    const [id] = postIds(1) as [string];
    const key = keyOf(id);
    const aaa = aaaPosts([id]);
    const xaa = Buffer.from(
      `{"data":{"event_type":"post.create","event_uuid":"0e1b2c3d-aaaa-4bbb-8ccc-${id.slice(-12)}","filter":{"user_id":"${SUBSCRIBED}"},` +
        `"payload":{"id":"${id}","text":"post ${id}","author_id":"1375036644"}}}`,
    );
    expect((await inbox.write(raw(aaa))).status).toBe('accepted');
    expect(await inbox.write(raw(xaa))).toMatchObject({ status: 'duplicate', duplicates: 1 });
    await fresh(async (reader) => {
      const events = await reader.prisma.event.findMany({ where: { dedupeKey: key } });
      expect(events).toEqual([expect.objectContaining({ format: 'aaa', duplicateCount: 1 })]);
    });
  });

  it.each([
    ['in one group commit', undefined],
    ['across small group commits (maxBatch 3)', 3],
  ])('stores one event for 40 concurrent writes of the same two-event delivery, %s', async (_how, maxBatch) => {
    const sizes: number[] = [];
    const inbox = open({ ...(maxBatch ? { maxBatch } : {}), onCommit: (size, _s, ok) => ok && sizes.push(size) });
    const { body, keys } = posts(2);
    const results = await Promise.all(Array.from({ length: 40 }, () => inbox.write(raw(body))));

    const accepted = results.filter((r) => r.status === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ duplicates: 0 });
    expect(accepted[0]!.newEventIds).toHaveLength(2);
    for (const r of results.filter((x) => x !== accepted[0])) {
      expect(r).toMatchObject({ status: 'duplicate', newEventIds: [], duplicates: 2 });
    }
    expect(new Set(results.map((r) => r.deliveryId)).size).toBe(40);
    // Really concurrent: the writes were grouped, within the limit when one was set.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    if (maxBatch) expect(Math.max(...sizes)).toBeLessThanOrEqual(maxBatch);

    await fresh(async (reader) => {
      const events = await reader.prisma.event.findMany({ where: { dedupeKey: { in: keys } } });
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.duplicateCount)).toEqual([39, 39]);
      expect(events.map((e) => e.deliveryId)).toEqual([accepted[0]!.deliveryId, accepted[0]!.deliveryId]);
      expect(events.map((e) => e.id).sort()).toEqual([...accepted[0]!.newEventIds].sort());
      const deliveries = await reader.prisma.delivery.findMany({ where: { bodySha256: sha256Hex(body) } });
      expect(deliveries).toHaveLength(40);
      expect(deliveries.filter((d) => d.status === 'duplicate')).toHaveLength(39);
      expect(deliveries.reduce((n, d) => n + d.duplicateCount, 0)).toBe(78);
    });
  });

  it('resolves 500 distinct deliveries written 32-way, each stored once with its own events', async () => {
    const TOTAL = 500;
    const sizes: number[] = [];
    const inbox = open({ onCommit: (size, _s, ok) => ok && sizes.push(size) });
    const deliveries = Array.from({ length: TOTAL }, () => posts(2));
    const results: RecordedDelivery[] = await pooled(TOTAL, 32, (i) => inbox.write(raw(deliveries[i]!.body)));

    for (const r of results) expect(r).toMatchObject({ status: 'accepted', duplicates: 0 });
    expect(new Set(results.map((r) => r.deliveryId)).size).toBe(TOTAL);
    expect(new Set(results.flatMap((r) => r.newEventIds)).size).toBe(2 * TOTAL);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(sizes.length, 'concurrent writes share commits').toBeLessThan(TOTAL);

    await fresh(async (reader) => {
      const keys = deliveries.flatMap((d) => d.keys);
      const rows = [];
      for (let i = 0; i < keys.length; i += 200) {
        rows.push(
          ...(await reader.prisma.event.findMany({
            where: { dedupeKey: { in: keys.slice(i, i + 200) } },
            select: { id: true, dedupeKey: true, deliveryId: true, duplicateCount: true },
          })),
        );
      }
      expect(rows).toHaveLength(2 * TOTAL);
      const byKey = new Map(rows.map((e) => [e.dedupeKey, e]));
      const stored = new Map<string, Uint8Array>();
      for (let i = 0; i < TOTAL; i += 200) {
        const ids = results.slice(i, i + 200).map((r) => r.deliveryId);
        const bodies = await reader.prisma.delivery.findMany({ where: { id: { in: ids } }, select: { id: true, body: true, bodyEncoding: true } });
        for (const d of bodies) stored.set(d.id, decodeBody(d.body, d.bodyEncoding));
      }
      deliveries.forEach((d, i) => {
        const r = results[i]!;
        // Each caller got its own delivery's result: its row holds its body, its events its keys.
        expect(sameBytes(stored.get(r.deliveryId), d.body), `delivery ${i}`).toBe(true);
        const events = d.keys.map((k) => byKey.get(k)!);
        expect(events.map((e) => e.deliveryId)).toEqual([r.deliveryId, r.deliveryId]);
        expect(events.map((e) => e.id).sort()).toEqual([...r.newEventIds].sort());
        expect(events.map((e) => e.duplicateCount)).toEqual([0, 0]);
      });
    });
  });

  it('drain() resolves only after every write in flight has settled and is readable', async () => {
    const inbox = open({ maxBatch: 8 });
    await inbox.drain(); // idle: resolves at once
    const deliveries = Array.from({ length: 40 }, () => posts(1));
    const settled: boolean[] = [];
    const writes = deliveries.map((d, i) => inbox.write(raw(d.body)).finally(() => (settled[i] = true)));
    await inbox.drain();
    expect(settled.filter(Boolean)).toHaveLength(40);
    const results = await Promise.all(writes);
    await fresh(async (reader) => {
      expect(await reader.prisma.delivery.count({ where: { id: { in: results.map((r) => r.deliveryId) } } })).toBe(40);
    });
  });

  it('close() stores what was written before it; writes after it reject clearly and store nothing', async () => {
    const inbox = open({ maxBatch: 8 });
    const before = Array.from({ length: 20 }, () => posts(1));
    const settled: boolean[] = [];
    const writes = before.map((d, i) => inbox.write(raw(d.body)).finally(() => (settled[i] = true)));
    // No drain first: close() itself waits for what is queued.
    const closing = inbox.close();
    const during = posts(1);
    const duringWrite = expect(inbox.write(raw(during.body))).rejects.toThrow(/closed/);
    await closing;
    expect(settled.filter(Boolean)).toHaveLength(20);
    const results = await Promise.all(writes);
    expect(results.every((r) => r.status === 'accepted')).toBe(true);

    await duringWrite;
    const after = posts(1);
    const started = Date.now();
    await expect(inbox.write(raw(after.body))).rejects.toThrow(/closed/);
    // Refused at once rather than left waiting (a hang would never end): a bound with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(5000);
    await inbox.drain(); // nothing queued: resolves
    await inbox.close(); // a second close is harmless

    await fresh(async (reader) => {
      expect(await reader.prisma.delivery.count({ where: { id: { in: results.map((r) => r.deliveryId) } } })).toBe(20);
      const refused = [sha256Hex(during.body), sha256Hex(after.body)];
      expect(await reader.prisma.delivery.count({ where: { bodySha256: { in: refused } } })).toBe(0);
      expect(await reader.prisma.event.count({ where: { dedupeKey: { in: [...during.keys, ...after.keys] } } })).toBe(0);
    });

    // A new inbox on the same database (as after a restart) goes on where the closed one stopped.
    const reopened = open();
    expect(await reopened.write(raw(before[0]!.body))).toMatchObject({ status: 'duplicate', duplicates: 1 });
    expect(await reopened.write(raw(after.body))).toMatchObject({ status: 'accepted', duplicates: 0 });
  });

  describe('replays: activities older than the dedupe window, and keys kept past their events', () => {
    const DAY = 86_400_000;
    const WINDOW = 5 * DAY;

    /** An AAA post for the subscribed user whose own time is `at`. */
    function postAt(at: number): { body: Buffer; key: string } {
      const [id] = postIds(1);
      const body = Buffer.from(
        `{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[{"id":${id},"id_str":"${id}","text":"p","user":{"id_str":"1375036644"},"timestamp_ms":"${at}"}]}`,
      );
      return { body, key: keyOf(id!) };
    }

    it('stores an activity older than the window as stale: acknowledged, kept, never handed to a dispatcher; a repost is its duplicate', async () => {
      const inbox = open({ dedupeWindowMs: WINDOW });
      const now = Date.now();
      const old = postAt(now - WINDOW - 60_000);
      const recent = postAt(now - WINDOW + 60_000);
      const [stale, accepted] = await Promise.all([inbox.write(raw(old.body)), inbox.write(raw(recent.body))]);
      expect(stale).toEqual({ deliveryId: expect.any(String), status: 'stale', newEventIds: [], duplicates: 0, stale: 1 });
      expect(accepted).toMatchObject({ status: 'accepted', duplicates: 0, stale: 0 });
      expect(accepted.newEventIds).toHaveLength(1);
      const again = await inbox.write(raw(old.body));
      expect(again).toEqual({ deliveryId: expect.any(String), status: 'duplicate', newEventIds: [], duplicates: 1, stale: 0 });

      await fresh(async (reader) => {
        const event = await reader.prisma.event.findUniqueOrThrow({ where: { dedupeKey: old.key }, include: { runs: true } });
        expect(event).toMatchObject({ state: 'stale', duplicateCount: 1, leaseOwner: null });
        expect(event.runs).toEqual([]);
        expect((await getEvent(reader.prisma, old.key))!.status).toBe('stale');
        expect((await reader.prisma.delivery.findUniqueOrThrow({ where: { id: stale.deliveryId } })).status).toBe('stale');
        expect((await reader.prisma.event.findUniqueOrThrow({ where: { dedupeKey: recent.key } })).state).toBe('pending');
      });
    });

    it('keeps the dedupe key of a pruned event without a time: the same body posted again is a duplicate', async () => {
      const inbox = open({ dedupeWindowMs: WINDOW });
      const now = Date.now();
      const jobId = String(1915510368169844736n + BigInt(postIds(1)[0]!));
      // A replay job status has no time of its own: staleness cannot protect it, its key must.
      const body = Buffer.from(`{"replay_job_status":{"webhook_id":"1190023344556677889","job_id":"${jobId}","job_state":"Complete"}}`);
      const first = await inbox.write(raw(body, { receivedAt: new Date(now - 10 * DAY) }));
      expect(first).toMatchObject({ status: 'accepted', stale: 0 });
      const [eventId] = first.newEventIds;
      await db.prisma.event.update({ where: { id: eventId! }, data: { state: 'done' } });

      const pruned = await prune(db, retentionPolicy({ days: 7, dedupeWindowDays: 5, untimedKeyDays: 30 }, now));
      expect(pruned.keptKeys).toBeGreaterThanOrEqual(1);
      expect(await db.prisma.event.findUnique({ where: { id: eventId! } })).toBeNull();
      expect(await db.prisma.delivery.findUnique({ where: { id: first.deliveryId } })).toBeNull();

      const again = await inbox.write(raw(body));
      expect(again).toEqual({ deliveryId: expect.any(String), status: 'duplicate', newEventIds: [], duplicates: 1, stale: 0 });
      // Written together with new activities (one group commit, the key look-up riding along).
      const other = postAt(now);
      const [mixed, alone] = await Promise.all([inbox.write(raw(body)), inbox.write(raw(other.body))]);
      expect(mixed).toMatchObject({ status: 'duplicate', newEventIds: [], duplicates: 1 });
      expect(alone).toMatchObject({ status: 'accepted', duplicates: 0 });
      const kept = await db.prisma.dedupeKey.findMany({ where: { key: { contains: jobId } } });
      expect(kept).toHaveLength(1);
      expect(kept[0]!.expiresAt!.getTime()).toBe(now + 30 * DAY);
      expect(await db.prisma.event.count({ where: { dedupeKey: kept[0]!.key } })).toBe(0);
    });
  });

  describe('a delivery the store cannot take', () => {
    // RawDelivery allows one: a receivedAt that is no time the store can record.
    const BAD_TIMES: Array<[string, Date]> = [
      ['an invalid date', new Date(Number.NaN)],
      ['a time beyond the range of event ids', new Date(2 ** 48)],
    ];

    /** Writes `good` and `bad` in one group commit, bad at `badAt`; returns the settled writes and the commits seen. */
    async function batchWithBad(inbox: DeliveryInbox, sizes: Array<[number, boolean]>, good: Buffer[], bad: RawDelivery, badAt: number) {
      const raws = good.map((b) => raw(b));
      raws.splice(badAt, 0, bad);
      const settled = await Promise.allSettled(raws.map((r) => inbox.write(r)));
      // They were really committed together first, and that commit failed.
      expect(sizes[0]).toEqual([raws.length, false]);
      return { settled, goodSettled: settled.filter((_, i) => i !== badAt), badSettled: settled[badAt]! };
    }

    it.each(BAD_TIMES)('(%s) fails alone: the others of its group commit are stored once each', async (_what, when) => {
      const sizes: Array<[number, boolean]> = [];
      const inbox = open({ onCommit: (size, _s, ok) => sizes.push([size, ok]) });
      const good = Array.from({ length: 4 }, () => posts(2));
      const bad = posts(1);
      const { goodSettled, badSettled } = await batchWithBad(
        inbox,
        sizes,
        good.map((g) => g.body),
        raw(bad.body, { receivedAt: when }),
        2,
      );
      expect(badSettled.status).toBe('rejected');
      expect(goodSettled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);

      await fresh(async (reader) => {
        for (const g of good) {
          // Once: the failed batch left nothing behind, the retry stored it.
          expect(await reader.prisma.delivery.count({ where: { bodySha256: sha256Hex(g.body) } })).toBe(1);
          expect(await reader.prisma.event.count({ where: { dedupeKey: { in: g.keys } } })).toBe(2);
        }
        expect(await reader.prisma.delivery.count({ where: { bodySha256: sha256Hex(bad.body) } })).toBe(0);
        expect(await reader.prisma.event.count({ where: { dedupeKey: { in: bad.keys } } })).toBe(0);
      });

      // The inbox is not harmed by it: later writes are stored, and their ids still sort in the
      // order they were written (the dispatcher's per-user order relies on it).
      const later: RecordedDelivery[] = [];
      for (let i = 0; i < 10; i++) later.push(await inbox.write(raw(posts(1).body)));
      expect(later.map((r) => r.status)).toEqual(Array(10).fill('accepted'));
      const ids = later.map((r) => r.deliveryId);
      expect(ids).toEqual([...ids].sort());
      const eventIds = later.map((r) => r.newEventIds[0]!);
      expect(eventIds).toEqual([...eventIds].sort());
    });

    it('first in its group commit: each other one is stored, or refused with nothing stored and stored when written again', async () => {
      const sizes: Array<[number, boolean]> = [];
      const inbox = open({ onCommit: (size, _s, ok) => sizes.push([size, ok]) });
      const good = Array.from({ length: 4 }, () => posts(1));
      const bad = posts(1);
      const { goodSettled, badSettled } = await batchWithBad(
        inbox,
        sizes,
        good.map((g) => g.body),
        raw(bad.body, { receivedAt: new Date(Number.NaN) }),
        0,
      );
      expect(badSettled.status).toBe('rejected');
      // When the first delivery fails alone too, the inbox takes the store to be unavailable and
      // refuses the rest of the batch at once (503: X retries) rather than trying each one.
      await fresh(async (reader) => {
        for (const [i, g] of good.entries()) {
          const stored = await reader.prisma.delivery.count({ where: { bodySha256: sha256Hex(g.body) } });
          expect(stored, `delivery ${i}: ${goodSettled[i]!.status}`).toBe(goodSettled[i]!.status === 'fulfilled' ? 1 : 0);
        }
      });
      for (const [i, g] of good.entries()) {
        if (goodSettled[i]!.status === 'fulfilled') continue;
        expect(await inbox.write(raw(g.body))).toMatchObject({ status: 'accepted', duplicates: 0 });
      }
      await fresh(async (reader) => {
        for (const g of good) expect(await reader.prisma.event.count({ where: { dedupeKey: { in: g.keys } } })).toBe(1);
      });
    });
  });
});
