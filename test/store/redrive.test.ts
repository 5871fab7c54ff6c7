import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDRIVE_BATCH } from '../../src/store/queue/requeue.js';
import { claimEvents, ensureRuns, recordOutcomes, redriveDeadLetters, type Database } from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

// A bulk redrive goes in batches of a few statements each: more letters than one batch, two
// handlers on every event (one dead, one done), and a few events a dispatcher holds right now.
describe.each(providersUnderTest())('redriving dead letters in batches (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterAll(() => closeAndDrop(db, testDb));

  it('sends every letter back to its handler, leaves held events and done runs alone', async () => {
    const count = REDRIVE_BATCH + 57;
    await storeEvents(db, Array.from({ length: count }, () => eventInput()));
    const now = new Date();
    const events = await claimEvents(db, { owner: 'w1', now, leaseMs: 60_000, limit: count, perUserOrder: false });
    expect(events).toHaveLength(count);
    const runs = await ensureRuns(db, events.map((e) => ({ eventId: e.id, handlers: ['fails', 'works'] })), now);
    for (let i = 0; i < events.length; i += 50) {
      await recordOutcomes(
        db,
        events.slice(i, i + 50).map((e) => ({
          eventId: e.id,
          owner: 'w1',
          worker: 'w1',
          runs: runs
            .filter((r) => r.eventId === e.id)
            .map((run) =>
              run.handler === 'works'
                ? { run, startedAt: now, finishedAt: now, ok: true as const }
                : { run, startedAt: now, finishedAt: now, ok: false as const, error: 'boom', retryAt: null },
            ),
          nextAt: null,
          now,
        })),
      );
    }
    await db.prisma.event.updateMany({ data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    // Three events (in different batches) are under a dispatcher's live lease.
    const held = [events[0]!.id, events[REDRIVE_BATCH]!.id, events[count - 1]!.id];
    await db.prisma.event.updateMany({ where: { id: { in: held } }, data: { state: 'leased', leaseOwner: 'w2', leaseUntil: new Date(now.getTime() + 60_000) } });
    const letters = await db.prisma.deadLetter.findMany({ select: { id: true, eventId: true, handler: true } });
    expect(letters).toHaveLength(count);
    expect(new Set(letters.map((l) => l.handler))).toEqual(new Set(['fails']));

    const later = new Date(now.getTime() + 1_000);
    const r = await redriveDeadLetters(db.prisma, {}, later);
    const heldLetters = letters.filter((l) => held.includes(l.eventId)).map((l) => l.id);
    expect(r.busy.sort()).toEqual(heldLetters.sort());
    expect(r.redriven).toHaveLength(count - held.length);
    expect(r.missing).toEqual([]);

    const after = await db.prisma.handlerRun.findMany({ select: { eventId: true, handler: true, state: true, attempts: true, nextAttemptAt: true } });
    for (const run of after) {
      if (run.handler === 'works') expect(run).toMatchObject({ state: 'done', attempts: 1 });
      else if (held.includes(run.eventId)) expect(run).toMatchObject({ state: 'dead', attempts: 1 });
      else expect(run).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: later });
    }
    const pending = await db.prisma.event.findMany({ where: { state: 'pending' }, select: { id: true, availableAt: true, leaseOwner: true } });
    expect(pending.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).filter((id) => !held.includes(id)).sort());
    expect(pending.every((e) => e.availableAt.getTime() === later.getTime() && e.leaseOwner === null)).toBe(true);
    expect(await db.prisma.event.count({ where: { id: { in: held }, state: 'leased', leaseOwner: 'w2' } })).toBe(held.length);
    const marked = await db.prisma.deadLetter.findMany({ where: { redrivenAt: { not: null } }, select: { id: true, redrivenAt: true } });
    expect(marked.map((l) => l.id).sort()).toEqual([...r.redriven].sort());
    expect(marked.every((l) => l.redrivenAt!.getTime() === later.getTime())).toBe(true);

    // Once the lease is gone, the held letters go too; then nothing is left.
    await db.prisma.event.updateMany({ where: { id: { in: held } }, data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    const rest = await redriveDeadLetters(db.prisma, { ids: [...heldLetters, 'no-such-letter'] }, later);
    expect(rest).toEqual({ redriven: [...heldLetters].sort(), busy: [], missing: ['no-such-letter'] });
    expect(await redriveDeadLetters(db.prisma, {}, later)).toEqual({ redriven: [], busy: [], missing: [] });
  });
});
