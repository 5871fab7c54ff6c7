import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyXEvent } from '../../src/events/index.js';
import { Dispatcher } from '../../src/dispatch/index.js';
import { createLogger } from '../../src/log/index.js';
import { registerPlugin, type RegisteredPlugin } from '../../src/plugins/registry.js';
import type { Plugin } from '../../src/plugins/index.js';
import { openDatabase, type Database } from '../../src/store/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

const logger = createLogger({ level: 'silent', env: 'test' });

describe.each(providersUnderTest())('dispatcher on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  let now: number;
  const clock = () => now;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    now = Date.now() + 1_000;
  });
  afterEach(async () => {
    await db.close();
    await testDb.drop();
  });

  async function dispatcher(plugins: Array<[string, Plugin]>, extra: Partial<ConstructorParameters<typeof Dispatcher>[0]> = {}) {
    const registered: RegisteredPlugin[] = [];
    for (const [name, plugin] of plugins) registered.push(await registerPlugin(name, plugin));
    // random() = 0.5 means no jitter: retries land exactly on the schedule.
    return new Dispatcher({ db, plugins: registered, logger, retrySchedule: [1_000, 5_000], now: clock, random: () => 0.5, ...extra });
  }

  async function run(eventId?: string) {
    return db.prisma.handlerRun.findMany({ where: eventId ? { eventId } : {}, orderBy: { handler: 'asc' } });
  }

  it('retries a throwing handler on the schedule and dead-letters it after the last attempt', async () => {
    let calls = 0;
    const d = await dispatcher([['always-fails', (h) => h.on('follow', () => { calls++; throw new Error('downstream is down'); })]]);
    await storeEvents(db, [eventInput()]);

    expect(await d.runOnce()).toBe(1);
    expect(calls).toBe(1);
    expect(await d.runOnce()).toBe(0); // not due before the first delay
    now += 999;
    expect(await d.runOnce()).toBe(0);
    now += 1;
    expect(await d.runOnce()).toBe(1);
    expect(calls).toBe(2);
    now += 4_999;
    expect(await d.runOnce()).toBe(0);
    now += 1;
    expect(await d.runOnce()).toBe(1);
    expect(calls).toBe(3);
    now += 24 * 3600_000;
    expect(await d.runOnce()).toBe(0); // nothing after the last attempt

    const [r] = await run();
    expect(r).toMatchObject({ handler: 'always-fails', state: 'dead', attempts: 3 });
    const dead = await db.prisma.deadLetter.findMany();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ handler: 'always-fails', attempts: 3 });
    expect(dead[0]!.error).toContain('downstream is down');
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'failed' } })).toBe(3);
  });

  it('completes once a handler that succeeds on a retry', async () => {
    let calls = 0;
    const d = await dispatcher([['flaky', (h) => h.on('follow', () => { if (++calls === 1) throw new Error('first try fails'); })]]);
    await storeEvents(db, [eventInput()]);
    await d.runOnce();
    now += 1_000;
    await d.runOnce();
    now += 3600_000;
    await d.runOnce();
    expect(calls).toBe(2);
    const [r] = await run();
    expect(r).toMatchObject({ state: 'done', attempts: 2 });
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'ok' } })).toBe(1);
    expect(await db.prisma.deadLetter.count()).toBe(0);
  });

  it('runs two plugins on one event independently', async () => {
    let a = 0;
    let b = 0;
    const d = await dispatcher([
      ['a-ok', (h) => h.on('follow', () => void a++)],
      ['b-flaky', (h) => h.on('follow', () => { if (++b === 1) throw new Error('b fails once'); })],
    ]);
    await storeEvents(db, [eventInput()]);
    await d.runOnce();
    let runs = await run();
    expect(runs.map((r) => [r.handler, r.state])).toEqual([['a-ok', 'done'], ['b-flaky', 'pending']]);
    now += 1_000;
    await d.runOnce();
    runs = await run();
    expect(runs.map((r) => [r.handler, r.state, r.attempts])).toEqual([['a-ok', 'done', 1], ['b-flaky', 'done', 2]]);
    expect(a).toBe(1);
    expect(b).toBe(2);
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
  });

  it('gives onAny every event, unknown ones included, and onError every failure', async () => {
    const seen: string[] = [];
    const failures: Array<{ plugin: string; attempt: number; final: boolean; message: string }> = [];
    const d = await dispatcher(
      [
        ['catch-all', (h) => h.onAny((e) => void seen.push(e.type))],
        ['failing', (h) => h.on('post.create', () => { throw new Error('nope'); })],
        ['watcher', (h) => h.onError((f) => void failures.push({ plugin: f.plugin, attempt: f.attempt, final: f.final, message: String((f.error as Error).message) }))],
      ],
      { retrySchedule: [1_000] },
    );
    await storeEvents(db, [
      eventInput({ type: 'unknown', action: 'brand_new_events', payload: JSON.stringify({ x: 1 }) }),
      eventInput({ type: 'post.create', action: null, payload: JSON.stringify({ id_str: '1985234567890123456' }) }),
    ]);
    await d.runOnce();
    now += 1_000;
    await d.runOnce();
    expect(seen.sort()).toEqual(['post.create', 'unknown']);
    expect(failures).toEqual([
      { plugin: 'failing', attempt: 1, final: false, message: 'nope' },
      { plugin: 'failing', attempt: 2, final: true, message: 'nope' },
    ]);
  });

  it('hands handlers the stored event: ids as strings, typed payload, context', async () => {
    let got: AnyXEvent | undefined;
    let attempt = 0;
    const d = await dispatcher([['inspect', (h) => h.on('post.create', (e, ctx) => { got = e; attempt = ctx.attempt; })]]);
    await storeEvents(db, [eventInput({ dedupeKey: '2244994945:post:1985234567890123456', type: 'post.create', action: null, payload: '{"id_str":"1985234567890123456","id":"1985234567890123456"}' })]);
    await d.runOnce();
    expect(got).toMatchObject({ id: '2244994945:post:1985234567890123456', type: 'post.create', forUserId: '2244994945', format: 'aaa' });
    expect((got!.payload as { id: unknown }).id).toBe('1985234567890123456');
    expect(attempt).toBe(1);
  });

  it('keeps each user in order: 1,000 events over 10 users', async () => {
    const order = new Map<string, number[]>();
    const d = await dispatcher(
      [
        [
          'ordered',
          (h) =>
            h.on('follow', async (e) => {
              await new Promise((r) => setTimeout(r, Math.random() * 2));
              const seq = (e.payload as { seq: number }).seq;
              order.set(e.forUserId!, [...(order.get(e.forUserId!) ?? []), seq]);
            }),
        ],
      ],
      { perUserOrder: true, concurrency: 8, now: Date.now, pollMs: 10 },
    );
    const events = Array.from({ length: 1000 }, (_, i) =>
      eventInput({ forUserId: `user-${i % 10}`, payload: JSON.stringify({ seq: i }) }),
    );
    await storeEvents(db, events);
    d.start();
    const deadline = Date.now() + 60_000;
    while ((await db.prisma.event.count({ where: { state: 'pending' } })) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await d.stop();
    expect(await db.prisma.handlerRun.count({ where: { state: 'done' } })).toBe(1000);
    expect(order.size).toBe(10);
    for (const [, seqs] of order) {
      expect(seqs).toHaveLength(100);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });
});
