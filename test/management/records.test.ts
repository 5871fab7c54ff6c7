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
});
