import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimEvents,
  createReplayJob,
  ensureRuns,
  listDeadLetters,
  listEvents,
  reconcileReplayJobs,
  recordOutcomes,
  redriveDeadLetters,
  type Database,
} from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

describe.each(providersUnderTest())('management records in the store (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterAll(() => closeAndDrop(db, testDb));

  it('redrive sends a dead letter back to its handler with a fresh schedule', async () => {
    const input = eventInput();
    await storeEvents(db, [input]);
    const now = new Date();
    const [event] = await claimEvents(db, { owner: 'w1', now, leaseMs: 1_000, limit: 10, perUserOrder: false });
    const [run] = await ensureRuns(db, [{ eventId: event!.id, handlers: ['h'] }], now);
    await recordOutcomes(db, [
      { eventId: event!.id, owner: 'w1', worker: 'w1', runs: [{ run: run!, startedAt: now, finishedAt: now, ok: false, error: 'boom', retryAt: null }], nextAt: null, now },
    ]);
    await db.prisma.event.update({ where: { id: event!.id }, data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    const [letter] = await listDeadLetters(db.prisma);
    expect(letter).toMatchObject({ eventId: event!.id, handler: 'h', error: 'boom', redrivenAt: null, dedupeKey: input.dedupeKey });

    const later = new Date(now.getTime() + 1_000);
    expect(await redriveDeadLetters(db.prisma, { ids: [letter!.id, 'nope'] }, later)).toEqual({ redriven: [letter!.id], busy: [], missing: ['nope'] });
    expect(await listDeadLetters(db.prisma)).toEqual([]);
    expect((await listDeadLetters(db.prisma, { includeRedriven: true }))[0]!.redrivenAt).toEqual(later);
    const runRow = await db.prisma.handlerRun.findFirstOrThrow({ where: { eventId: event!.id } });
    expect(runRow).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await listEvents(db.prisma, { state: 'pending' })).map((e) => e.id)).toContain(event!.id);
    // A second redrive finds nothing left to do.
    expect((await redriveDeadLetters(db.prisma, { handler: 'h' }, later)).redriven).toEqual([]);
  });

  it('replay jobs settle from the replay.status events the receiver stored', async () => {
    const job = await createReplayJob(db.prisma, {
      kind: 'aaa',
      xJobId: '1915510368169844736',
      webhookId: '1',
      fromDate: new Date(Date.now() - 3_600_000),
      toDate: new Date(),
      status: 'requested',
      requestedAt: new Date(),
    });
    expect(await reconcileReplayJobs(db.prisma)).toEqual([]);
    await storeEvents(db, [
      eventInput({ type: 'replay.status', action: 'Complete', forUserId: null, payload: JSON.stringify({ job_id: '1915510368169844736', job_state: 'Complete', job_state_description: 'All events delivered' }) }),
    ]);
    const [settled] = await reconcileReplayJobs(db.prisma);
    expect(settled).toMatchObject({ id: job.id, status: 'complete', detail: 'Complete: All events delivered' });
  });

  it('lists filtered events newest first across read windows: a rare user, a type, since', async () => {
    const run = `win-${Date.now()}`;
    // 40 events: the rare user has one old event and one among the newest; the type 'like' three.
    const inputs = Array.from({ length: 40 }, (_, i) =>
      eventInput({
        dedupeKey: `${run}:${i}`,
        forUserId: i === 2 || i === 37 ? `${run}-rare` : `${run}-busy`,
        type: i % 13 === 0 ? 'like' : 'follow',
      }),
    );
    for (const input of inputs) await storeEvents(db, [input]);
    const keys = (events: Array<{ dedupeKey: string }>) => events.map((e) => e.dedupeKey);
    // Windows of 7 events: the old one is five windows back.
    expect(keys(await listEvents(db.prisma, { forUserId: `${run}-rare` }, 7))).toEqual([`${run}:37`, `${run}:2`]);
    expect(keys(await listEvents(db.prisma, { forUserId: `${run}-rare`, limit: 1 }, 7))).toEqual([`${run}:37`]);
    expect(keys(await listEvents(db.prisma, { type: 'like', forUserId: `${run}-busy` }, 7))).toEqual([`${run}:39`, `${run}:26`, `${run}:13`, `${run}:0`]);
    expect(keys(await listEvents(db.prisma, { forUserId: `${run}-rare` }))).toEqual([`${run}:37`, `${run}:2`]);
    expect(await listEvents(db.prisma, { forUserId: `${run}-nobody` }, 7)).toEqual([]);
    // since: only what arrived from then on (the walk ends at the window that reaches past it).
    const middle = await db.prisma.event.findUniqueOrThrow({ where: { dedupeKey: `${run}:20` }, select: { receivedAt: true } });
    expect(keys(await listEvents(db.prisma, { forUserId: `${run}-rare`, since: middle.receivedAt }, 7))).toEqual([`${run}:37`]);
    expect(keys(await listEvents(db.prisma, { type: 'like', since: middle.receivedAt }, 7))).toEqual([`${run}:39`, `${run}:26`]);
    expect(await listEvents(db.prisma, { forUserId: `${run}-rare`, since: new Date(Date.now() + 60_000) }, 7)).toEqual([]);
  });
});
