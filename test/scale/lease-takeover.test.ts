// A lease that runs out while its handler still runs: another process takes the event over and
// both finish. The run must complete once, with exactly one completing try (kept on the run); the
// late finisher's attempt is recorded as 'expired' (it used to be a second 'ok'), and its settle
// changes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prepareDelivery } from '../../src/normalize/prepare.js';
import {
  claimEvents,
  ensureRuns,
  getEvent,
  recordDeliveries,
  recordOutcomes,
  renewLeases,
  type Database,
  type HandlerRunRow,
} from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { followDelivery } from '../support/events.js';

describe.each(providersUnderTest())('lease takeover on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  beforeEach(async () => {
    await db.prisma.delivery.deleteMany(); // cascades to events, runs, attempts
  });
  afterAll(() => closeAndDrop(db, testDb));

  // How the dispatcher records a finished run (in groups, here a group of one).
  const complete = (owner: string, run: HandlerRunRow, startedAt: Date, finishedAt: Date) =>
    recordOutcomes(db, [
      { eventId: run.eventId, owner, worker: owner, runs: [{ run, startedAt, finishedAt, ok: true }], nextAt: null, now: finishedAt },
    ]);

  it('completes a run once when the old and the new lease holder both finish it', async () => {
    const body = followDelivery(1);
    await recordDeliveries(db.prisma, [
      prepareDelivery({ receivedAt: new Date(), body, contentType: 'application/json', userAgent: null, remoteAddr: null }),
    ]);
    const t = Date.now();
    const claim = (owner: string, now: number) =>
      claimEvents(db, { owner, now: new Date(now), leaseMs: 1000, limit: 8, perUserOrder: false });

    const [byA] = await claim('A', t);
    expect(byA).toBeDefined();
    expect(await claim('B', t + 500)).toEqual([]); // A's lease holds
    const [byB] = await claim('B', t + 1500); // A's lease ran out: B takes the event over
    expect(byB?.id).toBe(byA!.id);

    const runsA = await ensureRuns(db, [{ eventId: byA!.id, handlers: ['h'] }], new Date(t));
    const runsB = await ensureRuns(db, [{ eventId: byB!.id, handlers: ['h'] }], new Date(t + 1500));
    expect(runsA[0]!.id).toBe(runsB[0]!.id);

    const finished = new Date(t + 2000);
    await Promise.all([
      complete('A', runsA[0]!, new Date(t), finished),
      complete('B', runsB[0]!, new Date(t + 1500), finished),
    ]);

    const run = await db.prisma.handlerRun.findFirstOrThrow();
    expect(run).toMatchObject({ state: 'done', attempts: 1 });
    // The completing try is on the run (whichever settled first); the other is an 'expired' row.
    expect(['A', 'B']).toContain(run.completedBy);
    const attempts = await db.prisma.handlerAttempt.findMany({ select: { outcome: true, worker: true } });
    expect(attempts).toEqual([{ outcome: 'expired', worker: run.completedBy === 'A' ? 'B' : 'A' }]);
    const shown = await getEvent(db.prisma, run.eventId);
    expect(shown!.runs[0]!.history.map((h) => [h.worker, h.outcome]).sort()).toEqual(
      [[run.completedBy, 'ok'], [run.completedBy === 'A' ? 'B' : 'A', 'expired']].sort(),
    );

    // Only the lease holder (B) settled the event: done, lease given up; A's outcome left it alone.
    expect(await db.prisma.event.findFirstOrThrow()).toMatchObject({ state: 'done', leaseOwner: null });
  });

  // One process re-claimed its own event after the lease ran out and both of its tries finished
  // in the same group of outcomes: one completes the run, the other is recorded as 'expired'.
  it('records a second success of one run in the same batch as expired, not as a second completion', async () => {
    await recordDeliveries(db.prisma, [
      prepareDelivery({ receivedAt: new Date(), body: followDelivery(2), contentType: 'application/json', userAgent: null, remoteAddr: null }),
    ]);
    const t = Date.now();
    const [event] = await claimEvents(db, { owner: 'A', now: new Date(t), leaseMs: 1000, limit: 8, perUserOrder: false });
    const [run] = await ensureRuns(db, [{ eventId: event!.id, handlers: ['h'] }], new Date(t));
    const finished = new Date(t + 2000);
    const tryOf = (startedAt: number) => ({ run: run!, startedAt: new Date(startedAt), finishedAt: finished, ok: true as const });
    await recordOutcomes(db, [
      { eventId: event!.id, owner: 'A', worker: 'A', runs: [tryOf(t)], nextAt: null, now: finished },
      { eventId: event!.id, owner: 'A', worker: 'A', runs: [tryOf(t + 1500)], nextAt: null, now: finished },
    ]);
    expect(await db.prisma.handlerRun.findFirstOrThrow({ where: { id: run!.id } })).toMatchObject({ state: 'done', attempts: 1, completedBy: 'A' });
    expect((await db.prisma.handlerAttempt.findMany({ where: { runId: run!.id } })).map((a) => a.outcome)).toEqual(['expired']);
    expect((await getEvent(db.prisma, event!.id))!.runs[0]!.history.map((h) => h.outcome).sort()).toEqual(['expired', 'ok']);
  });

  // The same, with one of the two tries failed. Both orders: the second outcome meets what the
  // first left (as the SQLite writer's statement per row does). On PostgreSQL one UPDATE over the
  // batch used to apply one of the two rows to the run and treat the other as applied too: a
  // failure then a success lost the success (the run stayed pending under a done event); a
  // success then a final failure left a dead letter for a completed run.
  it.each([
    ['a failed try, then a success', false],
    ['a success, then a final failure', true],
  ])('records %s of one run in the same batch in order', async (_, successFirst) => {
    await recordDeliveries(db.prisma, [
      prepareDelivery({ receivedAt: new Date(), body: followDelivery(4), contentType: 'application/json', userAgent: null, remoteAddr: null }),
    ]);
    const t = Date.now();
    const [event] = await claimEvents(db, { owner: 'A', now: new Date(t), leaseMs: 1000, limit: 8, perUserOrder: false });
    const [run] = await ensureRuns(db, [{ eventId: event!.id, handlers: ['h'] }], new Date(t));
    const finished = new Date(t + 2000);
    const success = {
      eventId: event!.id, owner: 'A', worker: 'A', nextAt: null, now: finished,
      runs: [{ run: run!, startedAt: new Date(t + 1500), finishedAt: finished, ok: true as const }],
    };
    const retryAt = successFirst ? null : new Date(t + 60_000);
    const failure = {
      eventId: event!.id, owner: 'A', worker: 'A', nextAt: retryAt, now: finished,
      runs: [{ run: run!, startedAt: new Date(t), finishedAt: finished, ok: false as const, error: 'boom', retryAt }],
    };
    await recordOutcomes(db, successFirst ? [success, failure] : [failure, success]);

    expect(await db.prisma.handlerRun.findFirstOrThrow({ where: { id: run!.id } })).toMatchObject({ state: 'done', completedBy: 'A' });
    expect((await db.prisma.handlerAttempt.findMany({ where: { runId: run!.id } })).map((a) => a.outcome)).toEqual(['failed']);
    expect(await db.prisma.deadLetter.count()).toBe(0);
    expect((await getEvent(db.prisma, event!.id))!.runs[0]!.history.map((h) => h.outcome).sort()).toEqual(['failed', 'ok']);
    // Done, its lease given up: settled one outcome after the other, the failure's retry gave the
    // lease up first and the success then matched no row (pending until the retry time).
    expect(await db.prisma.event.findUniqueOrThrow({ where: { id: event!.id } })).toMatchObject({ state: 'done', leaseOwner: null });
  });

  // The dispatcher renews every in-flight lease while its outcome transactions lock some of the
  // same event rows, in their own order. Waiting for those rows deadlocked (PostgreSQL failed the
  // renewal after 1 s and leases ran out); the renewal skips rows locked by another transaction.
  it.skipIf(provider !== 'postgresql')('renewing leases does not wait for event rows another transaction holds', async () => {
    await recordDeliveries(
      db.prisma,
      [2, 3].map((i) =>
        prepareDelivery({ receivedAt: new Date(), body: followDelivery(i), contentType: 'application/json', userAgent: null, remoteAddr: null }),
      ),
    );
    const t = Date.now();
    const [e1, e2] = await claimEvents(db, { owner: 'A', now: new Date(t), leaseMs: 1000, limit: 8, perUserOrder: false });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = db.prisma.$transaction(
      async (tx) => {
        await tx.event.updateMany({ where: { id: e1!.id }, data: { availableAt: new Date(t) } });
        locked();
        await gate;
      },
      { timeout: 10_000 },
    );
    await isLocked;
    const until = new Date(t + 60_000);
    const t0 = performance.now();
    await renewLeases(db, [e1!.id, e2!.id], 'A', until);
    const took = performance.now() - t0;
    release();
    await holder;
    // Had the renewal waited for the held row lock, it would have returned only at the holder's
    // 10 s timeout (the lock is released after it returns): any bound well below that tells.
    expect(took).toBeLessThan(5_000);
    const leases = await db.prisma.event.findMany({ select: { id: true, leaseUntil: true } });
    expect(leases.find((e) => e.id === e2!.id)?.leaseUntil?.getTime()).toBe(until.getTime());
    expect(leases.find((e) => e.id === e1!.id)?.leaseUntil?.getTime()).toBe(t + 1000);
  });
});
