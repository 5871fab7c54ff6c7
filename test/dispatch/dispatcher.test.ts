import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyXEvent } from '../../src/events/index.js';
import { Dispatcher } from '../../src/dispatch/index.js';
import { HandlerTimeoutError } from '../../src/plugins/index.js';
import { capturingLogger } from '../support/logs.js';
import { createLogger } from '../../src/log/index.js';
import { registerPlugin, type RegisteredPlugin } from '../../src/plugins/registry.js';
import { MissingCredentialError, type Plugin } from '../../src/plugins/index.js';
import { openDatabase, prismaWorkQueue, reopenEventsWithPendingRuns, type Database, type WorkQueue } from '../../src/store/index.js';
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

  async function dispatcher(plugins: Array<[string, Plugin] | [string, Plugin, { timeoutMs: number }]>, extra: Partial<ConstructorParameters<typeof Dispatcher>[0]> = {}) {
    const registered: RegisteredPlugin[] = [];
    for (const [name, plugin, own] of plugins) registered.push({ ...(await registerPlugin(name, plugin)), ...own });
    // random() = 0.5 means no jitter: retries land exactly on the schedule. A handler time limit
    // as the server has by default, so that every test here runs with it.
    return new Dispatcher({ db, plugins: registered, logger, retrySchedule: [1_000, 5_000], now: clock, random: () => 0.5, handlerTimeoutMs: 60_000, ...extra });
  }

  /** A dispatcher started on one stored event, whose handler runs until a shutdown aborts it: in flight when this returns. */
  async function oneEventUntilShutdown(queue: WorkQueue) {
    const d = await dispatcher([['waits', (h) => h.on('follow', (_e, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())))]], { queue });
    await storeEvents(db, [eventInput()]);
    d.start();
    for (let i = 0; i < 200 && d.inFlight < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(d.inFlight).toBe(1);
    return d;
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

  it('records a failure whose message the database could not hold as text (a NUL, half a surrogate pair) and dead-letters it', async () => {
    const nasty = `binary body: \u0000\u0001 and half a pair: \uD83D.`;
    const d = await dispatcher(
      [
        ['binary', (h) => h.on('follow', () => { throw new Error(nasty); })],
        ['cut', (h) => h.on('follow', () => { throw new Error('x'.repeat(3_990) + '\u{1F600}'.repeat(10)); })],
        ['fine', (h) => h.on('follow', () => {})],
      ],
      { retrySchedule: [] },
    );
    await storeEvents(db, [eventInput()]);
    expect(await d.runOnce()).toBe(1);
    // Recorded at once: the completion of the plugin that succeeded, dead letters for the others.
    const runs = await run();
    expect(runs.map((r) => [r.handler, r.state, r.attempts])).toEqual([
      ['binary', 'dead', 1],
      ['cut', 'dead', 1],
      ['fine', 'done', 1],
    ]);
    const dead = await db.prisma.deadLetter.findMany({ orderBy: { handler: 'asc' } });
    expect(dead[0]!.error).toBe('Error: binary body: \uFFFD\u0001 and half a pair: \uFFFD.');
    expect(dead[1]!.error).toHaveLength(4_000);
    expect(dead[1]!.error.endsWith('\u{1F600}\uFFFD')).toBe(true);
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
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
    expect(r).toMatchObject({ state: 'done', attempts: 2, completedBy: expect.any(String) });
    expect((await db.prisma.handlerAttempt.findMany()).map((a) => [a.attempt, a.outcome])).toEqual([[1, 'failed']]);
    expect(await db.prisma.deadLetter.count()).toBe(0);
  });

  describe('a handler past DISPATCH_HANDLER_TIMEOUT_MS', () => {
    it('fails its attempt, aborts its ctx.signal with the timeout, and retries it on the schedule; the other plugin completes', async () => {
      const signals: AbortSignal[] = [];
      const told: Array<{ error: unknown; signalAborted: boolean }> = [];
      let calls = 0;
      const d = await dispatcher(
        [
          [
            'hangs-once',
            (h) => {
              h.on('follow', (_e, ctx) => {
                signals.push(ctx.signal);
                // The first attempt never settles; the retry returns at once.
                return ++calls === 1 ? new Promise<void>(() => {}) : undefined;
              });
              h.onError((failure, ctx) => void told.push({ error: failure.error, signalAborted: ctx.signal.aborted }));
            },
          ],
          ['quick', (h) => h.on('follow', () => {})],
        ],
        { handlerTimeoutMs: 100 },
      );
      await storeEvents(db, [eventInput()]);
      expect(await d.runOnce()).toBe(1);

      expect(signals[0]!.aborted).toBe(true);
      expect(signals[0]!.reason).toBeInstanceOf(HandlerTimeoutError);
      expect((signals[0]!.reason as Error).stack).toMatch(/^HandlerTimeoutError: the handlers of plugin "hangs-once"/);
      expect(told).toHaveLength(1);
      expect(told[0]!.error).toBeInstanceOf(HandlerTimeoutError);
      expect(told[0]!.signalAborted).toBe(false); // the error handler's own signal: only a shutdown aborts it
      let runs = await run();
      expect(runs.map((r) => [r.handler, r.state, r.attempts])).toEqual([['hangs-once', 'pending', 1], ['quick', 'done', 1]]);
      expect(runs[0]!.lastError).toBe('HandlerTimeoutError: the handlers of plugin "hangs-once" did not finish within 100 ms (DISPATCH_HANDLER_TIMEOUT_MS)');
      const event = await db.prisma.event.findFirstOrThrow();
      expect(event.state).toBe('pending');
      expect(event.availableAt.getTime()).toBe(runs[0]!.nextAttemptAt.getTime());

      now += 1_000;
      expect(await d.runOnce()).toBe(1);
      expect(calls).toBe(2);
      expect(signals[1]!.aborted).toBe(false);
      runs = await run();
      expect(runs.map((r) => [r.handler, r.state, r.attempts])).toEqual([['hangs-once', 'done', 2], ['quick', 'done', 1]]);
      expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
    });

    it('dead-letters it after the last attempt; what it does after its time is logged and changes nothing', async () => {
      const lines: string[] = [];
      const settle: Array<() => void> = [];
      const d = await dispatcher(
        [['slow', (h) => h.on('follow', () => new Promise<void>((resolve) => settle.push(resolve)))]],
        { handlerTimeoutMs: 50, retrySchedule: [], logger: capturingLogger(lines), handlerLogger: capturingLogger(lines) },
      );
      await storeEvents(db, [eventInput()]);
      expect(await d.runOnce()).toBe(1);
      const [r] = await run();
      expect(r).toMatchObject({ handler: 'slow', state: 'dead', attempts: 1 });
      expect((await db.prisma.deadLetter.findFirstOrThrow()).error).toMatch(/^HandlerTimeoutError: .* within 50 ms/);
      expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');

      settle[0]!();
      for (let i = 0; i < 100 && !lines.some((l) => l.includes('a timed-out handler finished')); i++) await new Promise((r) => setTimeout(r, 5));
      expect(lines.some((l) => l.includes('a timed-out handler finished'))).toBe(true);
      expect(await run()).toEqual([r]);
      expect(await db.prisma.handlerAttempt.count()).toBe(1);
    });

    it('records the failure of a handler whose error handler never returns, once the error handler has had its time', async () => {
      const lines: string[] = [];
      const d = await dispatcher(
        [
          [
            'fails',
            (h) => {
              h.on('follow', () => { throw new Error('downstream is down'); });
              h.onError(() => new Promise<void>(() => {}));
            },
          ],
        ],
        { handlerTimeoutMs: 50, handlerLogger: capturingLogger(lines) },
      );
      await storeEvents(db, [eventInput()]);
      expect(await d.runOnce()).toBe(1);
      expect((await run()).map((r) => [r.state, r.attempts, r.lastError])).toEqual([['pending', 1, 'Error: downstream is down']]);
      expect(lines.some((l) => l.includes('onError handler did not finish within 50 ms (DISPATCH_HANDLER_TIMEOUT_MS)'))).toBe(true);
    });

    it("holds an error handler to its own plugin's limit, not to the failing plugin's", async () => {
      const lines: string[] = [];
      const d = await dispatcher(
        [
          // No limit of its own, and fails at once.
          ['unlimited', (h) => h.on('follow', () => { throw new Error('downstream is down'); }), { timeoutMs: 0 }],
          // Reports every plugin's failures, and hangs doing it.
          ['reporter', (h) => h.onError(() => new Promise<void>(() => {}), { allPlugins: true }), { timeoutMs: 50 }],
        ],
        { handlerTimeoutMs: 60_000, handlerLogger: capturingLogger(lines) },
      );
      await storeEvents(db, [eventInput()]);
      expect(await d.runOnce()).toBe(1);
      expect((await run()).map((r) => [r.handler, r.state, r.attempts])).toEqual([['unlimited', 'pending', 1]]);
      expect(lines.some((l) => l.includes("onError handler did not finish within 50 ms (its plugin's timeoutMs)"))).toBe(true);
    });

    it("takes a plugin's own limit (definePlugin({ timeoutMs })) over the dispatcher's, 0 included", async () => {
      const slow = (h: Parameters<Plugin>[0]) => h.on('follow', () => new Promise<void>((resolve) => setTimeout(resolve, 150)));
      const d = await dispatcher(
        [
          ['strict', slow, { timeoutMs: 50 }],
          ['unlimited', slow, { timeoutMs: 0 }],
          ['default', slow],
        ],
        { handlerTimeoutMs: 100 },
      );
      await storeEvents(db, [eventInput()]);
      await d.runOnce();
      expect((await run()).map((r) => [r.handler, r.state, r.lastError?.replace(/ within .*/, '') ?? null])).toEqual([
        ['default', 'pending', 'HandlerTimeoutError: the handlers of plugin "default" did not finish'],
        ['strict', 'pending', 'HandlerTimeoutError: the handlers of plugin "strict" did not finish'],
        ['unlimited', 'done', null],
      ]);
      expect((await run()).find((r) => r.handler === 'strict')!.lastError).toContain("within 50 ms (the plugin's timeoutMs)");
      expect((await run()).find((r) => r.handler === 'default')!.lastError).toContain('within 100 ms (DISPATCH_HANDLER_TIMEOUT_MS)');
    });

    it('is no limit at 0', async () => {
      const d = await dispatcher([['takes-a-while', (h) => h.on('follow', () => new Promise<void>((resolve) => setTimeout(resolve, 150)))]], { handlerTimeoutMs: 0 });
      await storeEvents(db, [eventInput()]);
      await d.runOnce();
      expect((await run()).map((r) => [r.state, r.attempts])).toEqual([['done', 1]]);
    });
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

  it('gives onAny every event, unknown ones included', async () => {
    const seen: string[] = [];
    const d = await dispatcher([['catch-all', (h) => h.onAny((e) => void seen.push(e.type))]]);
    await storeEvents(db, [
      eventInput({ type: 'unknown', action: 'brand_new_events', payload: JSON.stringify({ x: 1 }) }),
      eventInput({ type: 'post.create', action: null, payload: JSON.stringify({ id_str: '1985234567890123456' }) }),
    ]);
    await d.runOnce();
    expect(seen.sort()).toEqual(['post.create', 'unknown']);
  });

  it("gives onError its own plugin's failures, and every plugin's with allPlugins, naming the plugin that failed", async () => {
    type Seen = { by: string; ctxPlugin: string; plugin: string; attempt: number; final: boolean; message: string };
    const told: Seen[] = [];
    const record = (by: string) => (f: { plugin: string; attempt: number; final: boolean; error: unknown }, ctx: { plugin: string }) =>
      void told.push({ by, ctxPlugin: ctx.plugin, plugin: f.plugin, attempt: f.attempt, final: f.final, message: String((f.error as Error).message) });
    const d = await dispatcher(
      [
        [
          'failing',
          (h) => {
            h.on('post.create', () => { throw new Error('nope'); });
            h.onError(record('failing'));
          },
        ],
        [
          'also-failing',
          (h) => {
            h.on('follow', () => { throw new Error('also nope'); });
          },
        ],
        [
          'healthy',
          (h) => {
            h.onAny(() => {});
            // Scoped to its own handlers, which never fail: told nothing.
            h.onError(record('healthy'));
          },
        ],
        ['watcher', (h) => h.onError(record('watcher'), { allPlugins: true })],
      ],
      { retrySchedule: [1_000] },
    );
    await storeEvents(db, [
      eventInput({ type: 'post.create', action: null, payload: JSON.stringify({ id_str: '1985234567890123456' }) }),
    ]);
    await storeEvents(db, [eventInput()]);
    await d.runOnce();
    now += 1_000;
    await d.runOnce();
    const key = (t: Seen) => `${t.by}|${t.plugin}|${t.attempt}`;
    expect([...told].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([
      { by: 'failing', ctxPlugin: 'failing', plugin: 'failing', attempt: 1, final: false, message: 'nope' },
      { by: 'failing', ctxPlugin: 'failing', plugin: 'failing', attempt: 2, final: true, message: 'nope' },
      { by: 'watcher', ctxPlugin: 'watcher', plugin: 'also-failing', attempt: 1, final: false, message: 'also nope' },
      { by: 'watcher', ctxPlugin: 'watcher', plugin: 'also-failing', attempt: 2, final: true, message: 'also nope' },
      { by: 'watcher', ctxPlugin: 'watcher', plugin: 'failing', attempt: 1, final: false, message: 'nope' },
      { by: 'watcher', ctxPlugin: 'watcher', plugin: 'failing', attempt: 2, final: true, message: 'nope' },
    ]);
  });

  it('gives handlers ctx.x, the X API client: without credentials its calls name what to set', async () => {
    let error: unknown;
    const d = await dispatcher([
      [
        'replier',
        (h) =>
          h.on('follow', async (e, ctx) => {
            try {
              await ctx.x.sendDirectMessage(e.forUserId!, '783214', 'thanks for the follow');
            } catch (err) {
              error = err;
            }
          }),
      ],
    ]);
    await storeEvents(db, [eventInput()]);
    await d.runOnce();
    expect(error).toBeInstanceOf(MissingCredentialError);
    expect(String((error as Error).message)).toMatch(/X_ACCESS_TOKEN.*X_OAUTH2_USER_TOKEN/);
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

  it("aborts ctx.signal of handlers a shutdown stops waiting for, whether asked for before or after, and releases their events", async () => {
    const signals: AbortSignal[] = [];
    let lateSignal: AbortSignal | undefined;
    let logged = false;
    const d = await dispatcher([
      [
        'slow',
        (h) =>
          h.on('follow', (e, ctx) => {
            // Half the handlers take the signal at once and wait on it; the others never touch it
            // until the shutdown has given up on them.
            if ((e.payload as { seq: number }).seq % 2 === 0) {
              signals.push(ctx.signal);
              return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
            }
            logged = typeof ctx.log.info === 'function';
            return new Promise<void>((resolve) => setTimeout(() => {
              lateSignal = ctx.signal;
              resolve();
            }, 300));
          }),
      ],
    ]);
    await storeEvents(db, [eventInput(), eventInput(), eventInput(), eventInput()]);
    d.start();
    for (let i = 0; i < 200 && d.inFlight < 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(d.inFlight).toBe(4);
    expect(signals.every((s) => !s.aborted)).toBe(true);
    await d.stop(50);
    expect(signals.length).toBe(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(lateSignal?.aborted).toBe(true);
    expect(logged).toBe(true);
    // Released: pending again, no lease, each run with one 'released' attempt and no completion.
    const events = await db.prisma.event.findMany();
    expect(events.map((e) => [e.state, e.leaseOwner])).toEqual(Array(4).fill(['pending', null]));
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'released' } })).toBe(4);
    expect((await run()).every((r) => r.state === 'pending' && r.completedAt === null)).toBe(true);
  });

  it('leaves an event it gave up on at shutdown pending, even when its outcome commits before the release', async () => {
    // The shutdown's release and the event's outcome are two writes that PostgreSQL may commit
    // in either order (two pooled connections): here the release waits for the outcome, on the
    // real store. An event whose run did not finish must not be recorded done.
    const store = prismaWorkQueue(db);
    let outcomeRecorded!: () => void;
    const recorded = new Promise<void>((r) => (outcomeRecorded = r));
    const queue: WorkQueue = {
      ...store,
      recordOutcomes: async (outcomes) => {
        await store.recordOutcomes(outcomes);
        outcomeRecorded();
      },
      release: async (ids, owner) => {
        await recorded;
        await store.release(ids, owner);
      },
    };
    const d = await oneEventUntilShutdown(queue);
    await d.stop(50);
    const [event] = await db.prisma.event.findMany();
    expect([event!.state, event!.leaseOwner]).toEqual(['pending', null]);
    expect(event!.availableAt.getTime()).toBeLessThanOrEqual(now);
    const [r] = await run();
    expect([r!.state, r!.completedAt]).toEqual(['pending', null]);
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'released' } })).toBe(1);
    // The next start runs it.
    let ran = 0;
    const next = await dispatcher([['waits', (h) => h.on('follow', () => void ran++)]]);
    expect(await next.runOnce()).toBe(1);
    expect(ran).toBe(1);
    expect((await db.prisma.event.findMany())[0]!.state).toBe('done');
  });

  it('records a handler that finished before a shutdown gave up on its event before another process can claim the event', async () => {
    // Two plugins on one event: 'quick' finishes, 'waits' outlives the shutdown. The event's
    // outcome (quick done) is slow to commit here; were the lease given back first, another
    // process (the second dispatcher below, with its own owner) could claim the event in between
    // and run 'quick' a second time.
    const store = prismaWorkQueue(db);
    let quick = 0;
    let waits = 0;
    const other = await dispatcher([
      ['quick', (h) => h.on('follow', () => void quick++)],
      ['waits', (h) => h.on('follow', () => void waits++)],
    ]);
    const queue: WorkQueue = {
      ...store,
      recordOutcomes: async (outcomes) => {
        await new Promise((r) => setTimeout(r, 300));
        await store.recordOutcomes(outcomes);
      },
      release: async (ids, owner) => {
        await store.release(ids, owner);
        await other.runOnce();
      },
    };
    const d = await dispatcher(
      [
        ['quick', (h) => h.on('follow', () => void quick++)],
        ['waits', (h) => h.on('follow', (_e, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())))],
      ],
      { queue },
    );
    await storeEvents(db, [eventInput()]);
    d.start();
    for (let i = 0; i < 200 && quick < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(quick).toBe(1);
    await d.stop(50);
    // 'quick' ran once: its completion was recorded before the lease was given back, so the other
    // dispatcher, claiming right after the release, ran only 'waits'.
    await other.runOnce();
    expect([quick, waits]).toEqual([1, 1]);
    const [q, w] = await run();
    expect([q!.handler, q!.state, w!.handler, w!.state]).toEqual(['quick', 'done', 'waits', 'done']);
    expect((await db.prisma.event.findMany())[0]!.state).toBe('done');
    expect(await db.prisma.handlerAttempt.findMany({ select: { runId: true, outcome: true } })).toEqual([{ runId: w!.id, outcome: 'released' }]);
  });

  it('gives the lease of an event back when its outcome comes after the grace, and records the late outcome without the lease', async () => {
    const store = prismaWorkQueue(db);
    let quick = 0;
    let releases = 0;
    let outcomeDone!: () => void;
    const lateOutcome = new Promise<void>((r) => (outcomeDone = r));
    const queue: WorkQueue = {
      ...store,
      recordOutcomes: async (outcomes) => {
        await new Promise((r) => setTimeout(r, 500));
        await store.recordOutcomes(outcomes);
        outcomeDone();
      },
      release: async (ids, owner) => {
        releases++;
        await store.release(ids, owner);
      },
    };
    const d = await dispatcher(
      [
        ['quick', (h) => h.on('follow', () => void quick++)],
        ['waits', (h) => h.on('follow', (_e, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())))],
      ],
      { queue, outcomeGraceMs: 50 },
    );
    await storeEvents(db, [eventInput()]);
    d.start();
    for (let i = 0; i < 200 && quick < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(quick).toBe(1);
    await d.stop(50);
    // Released at the end of the grace, before the outcome: the event is free, 'waits' has its
    // released try, 'quick' is not done yet.
    expect(releases).toBe(1);
    let [event] = await db.prisma.event.findMany();
    expect([event!.state, event!.leaseOwner]).toEqual(['pending', null]);
    let [q, w] = await run();
    expect([q!.state, w!.state]).toEqual(['pending', 'pending']);
    expect(await db.prisma.handlerAttempt.findMany({ select: { runId: true, outcome: true } })).toEqual([{ runId: w!.id, outcome: 'released' }]);
    // The late outcome completes 'quick' and leaves the event pending and unleased.
    await lateOutcome;
    [q, w] = await run();
    expect([q!.state, w!.state]).toEqual(['done', 'pending']);
    [event] = await db.prisma.event.findMany();
    expect([event!.state, event!.leaseOwner]).toEqual(['pending', null]);
  });

  it('gives the lease of an event back at shutdown when its outcome could not be written', async () => {
    const store = prismaWorkQueue(db);
    const queue: WorkQueue = {
      ...store,
      recordOutcomes: async () => {
        throw new Error('the store is unavailable');
      },
    };
    const d = await oneEventUntilShutdown(queue);
    await d.stop(50);
    const [event] = await db.prisma.event.findMany();
    expect([event!.state, event!.leaseOwner]).toEqual(['pending', null]);
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'released' } })).toBe(1);
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

  it('drains a per-user backlog over few users without waiting for the poll between events', async () => {
    // Before: each claim took one event per user, and the next claim waited for the poll, so a
    // backlog drained at (users x 1000 / DISPATCH_POLL_MS) events a second (20 for 5 users) and
    // never caught up with a busy account. The poll here is a minute: only claims made when a
    // user's events finish can drain the backlog in time.
    const order = new Map<string, number[]>();
    const d = await dispatcher(
      [
        [
          'ordered',
          (h) =>
            h.on('follow', (e) => {
              const seq = (e.payload as { seq: number }).seq;
              order.set(e.forUserId!, [...(order.get(e.forUserId!) ?? []), seq]);
            }),
        ],
      ],
      { perUserOrder: true, concurrency: 8, now: Date.now, pollMs: 60_000 },
    );
    const users = ['user-a', 'user-b', 'user-c'];
    await storeEvents(
      db,
      Array.from({ length: 300 }, (_, i) => eventInput({ forUserId: users[i % users.length], payload: JSON.stringify({ seq: i }) })),
    );
    d.start();
    const deadline = Date.now() + 20_000;
    while ((await db.prisma.event.count({ where: { state: 'pending' } })) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await d.stop();
    expect(await db.prisma.event.count({ where: { state: 'done' } })).toBe(300);
    expect(await db.prisma.handlerRun.count({ where: { state: 'done', attempts: 1 } })).toBe(300);
    for (const user of users) {
      const seqs = order.get(user)!;
      expect(seqs).toHaveLength(100);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });
  /** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
  async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  it('starts work that became startable while a claim was running, without waiting for the poll', async () => {
    // u1 and its follower u2 are claimed together with v1. v1 finishes at once and asks for a
    // claim, which takes 300 ms here; u1 finishes during it (u2 is ready, so u1 asks for no
    // claim of its own). The claim finds nothing: the loop must still start u2, not sleep out
    // the one-minute poll.
    const store = prismaWorkQueue(db);
    let claims = 0;
    const queue: WorkQueue = {
      ...store,
      claim: async (o) => {
        if (claims++ > 0) await new Promise((r) => setTimeout(r, 300));
        return store.claim(o);
      },
    };
    const handled: string[] = [];
    const d = await dispatcher(
      [
        [
          'p',
          (h) =>
            h.on('follow', async (e) => {
              const name = (e.payload as { name: string }).name;
              if (name === 'u1') await new Promise((r) => setTimeout(r, 100));
              handled.push(name);
            }),
        ],
      ],
      { queue, perUserOrder: true, concurrency: 8, now: Date.now, pollMs: 60_000 },
    );
    await storeEvents(db, [
      eventInput({ forUserId: 'u', payload: JSON.stringify({ name: 'u1' }) }),
      eventInput({ forUserId: 'v', payload: JSON.stringify({ name: 'v1' }) }),
      eventInput({ forUserId: 'u', payload: JSON.stringify({ name: 'u2' }) }),
    ]);
    d.start();
    await waitFor(() => handled.length === 3, 5_000);
    await d.stop();
    expect(handled).toEqual(['v1', 'u1', 'u2']);
  });

  it('does not start again an event it still runs when its lapsed lease comes back to it in a claim', async () => {
    // The lease ran out while the handler ran (a stalled database, a blocked thread): the next
    // claim, before any renewal, hands the event back to the same dispatcher. It must count as a
    // renewal, not as new work: started twice, the second run went untracked (neither renewed
    // nor waited for at shutdown) and the event was handed out again at every lapse.
    let calls = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const d = await dispatcher([['slow', (h) => h.on('follow', async () => { calls++; await finished; })]], { leaseMs: 60_000, pollMs: 60_000 });
    await storeEvents(db, [eventInput()]);
    d.start();
    d.notify();
    await waitFor(() => d.inFlight === 1, 5_000);
    now += 61_000;
    d.notify();
    await new Promise((r) => setTimeout(r, 500));
    expect(calls).toBe(1);
    expect(d.inFlight).toBe(1);
    finish();
    await waitFor(() => d.inFlight === 0, 5_000);
    await d.stop();
    const [r] = await run();
    expect(r).toMatchObject({ handler: 'slow', state: 'done', attempts: 1 });
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
  });

  it('hands an event back to a plugin that was not loaded when the event completed, once it is loaded again', async () => {
    // B fails once; before its retry, the process runs without B (removed, or a worker of a
    // rolling deploy without it) and completes the event without B's pending run; B comes back.
    const calls = { a: 0, b: 0 };
    const a: [string, Plugin] = ['a', (h) => h.on('follow', () => void calls.a++)];
    const b: [string, Plugin] = ['b', (h) => h.on('follow', () => { if (calls.b++ === 0) throw new Error('once'); })];
    await storeEvents(db, [eventInput()]);
    expect(await (await dispatcher([a, b])).runOnce()).toBe(1);
    now += 1_000;
    expect(await (await dispatcher([a])).runOnce()).toBe(1);
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
    expect((await run()).map((r) => [r.handler, r.state])).toEqual([['a', 'done'], ['b', 'pending']]);
    // What a dispatcher starting with B does first (dispatch/orphans.ts, at startup).
    expect(await reopenEventsWithPendingRuns(db.prisma, ['a', 'b'], new Date(now))).toBe(1);
    expect(await reopenEventsWithPendingRuns(db.prisma, ['a', 'b'], new Date(now))).toBe(0);
    expect(await (await dispatcher([a, b])).runOnce()).toBe(1);
    expect(calls).toEqual({ a: 1, b: 2 });
    expect((await run()).map((r) => [r.handler, r.state])).toEqual([['a', 'done'], ['b', 'done']]);
    expect((await db.prisma.event.findFirstOrThrow()).state).toBe('done');
  });

  it('gives claimed events back when their runs cannot be created', async () => {
    const store = prismaWorkQueue(db);
    let failures = 0;
    const queue: WorkQueue = {
      ...store,
      ensureRuns: async (wanted, at) => {
        if (failures++ === 0) throw new Error('planned ensureRuns failure');
        return store.ensureRuns(wanted, at);
      },
    };
    const d = await dispatcher([['p', (h) => h.on('follow', () => {})]], { queue, now: Date.now, pollMs: 60_000 });
    await storeEvents(db, [eventInput()]);
    d.start();
    await waitFor(async () => failures > 0 && (await db.prisma.event.count({ where: { leaseOwner: null } })) === 1, 5_000);
    expect(await db.prisma.event.findMany({ select: { state: true, leaseOwner: true } })).toEqual([{ state: 'pending', leaseOwner: null }]);
    d.notify();
    await waitFor(async () => (await db.prisma.event.count({ where: { state: 'done' } })) === 1, 5_000);
    await d.stop();
    expect(await db.prisma.event.count({ where: { state: 'done' } })).toBe(1);
  });

  it("keeps a user's later events back when an event's outcome cannot be written, and runs that event again first", async () => {
    const store = prismaWorkQueue(db);
    let failing = 1;
    let firstId = '';
    const queue: WorkQueue = {
      ...store,
      // The first write of u1's outcome fails (it is alone in its batch: one user, one at a time).
      recordOutcomes: async (outcomes) => {
        if (failing > 0 && outcomes.some((o) => o.eventId === firstId)) {
          failing--;
          throw new Error('planned outcome failure');
        }
        return store.recordOutcomes(outcomes);
      },
    };
    const handled: string[] = [];
    const d = await dispatcher(
      [
        [
          'p',
          (h) =>
            h.on('follow', (e) => {
              handled.push((e.payload as { name: string }).name);
            }),
        ],
      ],
      { queue, perUserOrder: true, concurrency: 8, now: Date.now, pollMs: 50 },
    );
    await storeEvents(db, [
      eventInput({ forUserId: 'u', payload: JSON.stringify({ name: 'u1' }) }),
      eventInput({ forUserId: 'u', payload: JSON.stringify({ name: 'u2' }) }),
      eventInput({ forUserId: 'u', payload: JSON.stringify({ name: 'u3' }) }),
    ]);
    firstId = (await db.prisma.event.findFirstOrThrow({ orderBy: { id: 'asc' } })).id;
    d.start();
    await waitFor(async () => (await db.prisma.event.count({ where: { state: 'done' } })) === 3, 10_000);
    await d.stop();
    expect(handled).toEqual(['u1', 'u1', 'u2', 'u3']);
    expect(await db.prisma.handlerRun.count({ where: { state: 'done', attempts: 1 } })).toBe(3);
  });
});
