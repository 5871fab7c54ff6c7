import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDRIVE_BATCH } from '../../src/store/queue/requeue.js';
import { claimEvents, ensureRuns, recordOutcomes, redriveDeadLetters, type Database } from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, postgresUrl, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

// A bulk redrive goes in batches of a few statements each: more letters than one batch, two
// handlers on every event (on some both dead, on the rest one dead and one done), a few events a
// dispatcher holds right now, one whose lease has run out, and one letter whose run is no longer dead.
describe.each(providersUnderTest())('redriving dead letters in batches (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterAll(() => closeAndDrop(db, testDb));

  it('sends each letter back to its own handler, leaves held events and other runs alone', async () => {
    const count = REDRIVE_BATCH + 57;
    const bothDead = 20;
    await storeEvents(db, Array.from({ length: count }, () => eventInput()));
    const now = new Date();
    const events = await claimEvents(db, { owner: 'w1', now, leaseMs: 60_000, limit: count, perUserOrder: false });
    expect(events).toHaveLength(count);
    const index = new Map(events.map((e, i) => [e.id, i]));
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
              run.handler === 'works' && index.get(e.id)! >= bothDead
                ? { run, startedAt: now, finishedAt: now, ok: true as const }
                : { run, startedAt: now, finishedAt: now, ok: false as const, error: 'boom', retryAt: null },
            ),
          nextAt: null,
          now,
        })),
      );
    }
    await db.prisma.event.updateMany({ data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    const later = new Date(now.getTime() + 1_000);
    // Three events (in different batches, one with both handlers dead) are under a dispatcher's
    // live lease; one was leased by a dispatcher whose lease has run out.
    const held = [events[0]!.id, events[REDRIVE_BATCH]!.id, events[count - 1]!.id];
    await db.prisma.event.updateMany({ where: { id: { in: held } }, data: { state: 'pending', leaseOwner: 'w2', leaseUntil: new Date(now.getTime() + 60_000) } });
    const expired = events[5]!.id;
    await db.prisma.event.update({ where: { id: expired }, data: { state: 'pending', leaseOwner: 'w3', leaseUntil: new Date(later.getTime() - 1) } });
    // One event's failed run was set going again by other means: its letter is still there.
    const rerun = events[30]!.id;
    await db.prisma.handlerRun.updateMany({ where: { eventId: rerun, handler: 'fails' }, data: { state: 'done' } });

    const letters = await db.prisma.deadLetter.findMany({ select: { id: true, eventId: true, handler: true } });
    expect(letters).toHaveLength(count + bothDead);
    const ids = (pick: (l: (typeof letters)[number]) => boolean) => letters.filter(pick).map((l) => l.id).sort();
    const run = (eventId: string, handler: string) => db.prisma.handlerRun.findFirstOrThrow({ where: { eventId, handler } });
    const isHeld = (l: { eventId: string }) => held.includes(l.eventId);

    // Only the letters of one handler.
    const fails = await redriveDeadLetters(db.prisma, { handler: 'fails' }, later);
    expect(fails.busy.sort()).toEqual(ids((l) => l.handler === 'fails' && isHeld(l)));
    expect(fails.redriven.sort()).toEqual(ids((l) => l.handler === 'fails' && !isHeld(l)));
    expect(fails.missing).toEqual([]);
    for (const [i, e] of events.entries()) {
      const [f, w] = [await run(e.id, 'fails'), await run(e.id, 'works')];
      if (held.includes(e.id)) expect(f).toMatchObject({ state: 'dead', attempts: 1 });
      else if (e.id === rerun) expect(f).toMatchObject({ state: 'done', attempts: 1 });
      else expect(f).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: later });
      expect(w).toMatchObject({ state: i < bothDead ? 'dead' : 'done', attempts: 1 });
    }
    const pending = await db.prisma.event.findMany({ where: { state: 'pending', leaseOwner: null }, select: { id: true, availableAt: true, leaseUntil: true } });
    expect(pending.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).filter((id) => !held.includes(id)).sort());
    expect(pending.every((e) => e.availableAt.getTime() === later.getTime() && e.leaseUntil === null)).toBe(true);
    expect(await db.prisma.event.count({ where: { id: { in: held }, state: 'pending', leaseOwner: 'w2' } })).toBe(held.length);

    // Then all: the other handler's letters, beside the held ones' still waiting.
    const all = await redriveDeadLetters(db.prisma, {}, later);
    expect(all.busy.sort()).toEqual(ids(isHeld));
    expect(all.redriven.sort()).toEqual(ids((l) => l.handler === 'works' && !isHeld(l)));
    for (const e of events.slice(0, bothDead)) {
      expect(await run(e.id, 'works')).toMatchObject(held.includes(e.id) ? { state: 'dead', attempts: 1 } : { state: 'pending', attempts: 0 });
    }
    const marked = await db.prisma.deadLetter.findMany({ where: { redrivenAt: { not: null } }, select: { id: true, redrivenAt: true } });
    expect(marked.map((l) => l.id).sort()).toEqual([...fails.redriven, ...all.redriven].sort());
    expect(marked.every((l) => l.redrivenAt!.getTime() === later.getTime())).toBe(true);

    // Once the lease is given up, the held letters go too (by id); then nothing is left.
    await db.prisma.event.updateMany({ where: { id: { in: held } }, data: { leaseOwner: null, leaseUntil: null } });
    const rest = await redriveDeadLetters(db.prisma, { ids: [...ids(isHeld), 'no-such-letter'] }, later);
    expect(rest).toEqual({ redriven: ids(isHeld), busy: [], missing: ['no-such-letter'] });
    for (const id of held) expect(await run(id, 'fails')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await redriveDeadLetters(db.prisma, {}, later)).toEqual({ redriven: [], busy: [], missing: [] });
  });
});

// A batch locks its events, then their dead runs. Another transaction that takes the same rows in
// the other order (in production, a dispatcher recording the outcomes of two of those events, its
// leases run out; here by hand: a run, then its event) deadlocks with it, and PostgreSQL fails one
// side after deadlock_timeout (1 s). When that is the redrive, its batch was rolled back whole
// and is run again.
describe.skipIf(!postgresUrl())('a redrive batch that PostgreSQL fails as a deadlock', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase('postgresql'));
  });
  afterAll(() => closeAndDrop(db, testDb));

  it('is run again, and every letter is redriven', async () => {
    await storeEvents(db, [eventInput(), eventInput()]);
    const now = new Date();
    const events = await claimEvents(db, { owner: 'w1', now, leaseMs: 60_000, limit: 2, perUserOrder: false });
    const runs = await ensureRuns(db, events.map((e) => ({ eventId: e.id, handlers: ['h'] })), now);
    await recordOutcomes(
      db,
      events.map((e) => ({
        eventId: e.id,
        owner: 'w1',
        worker: 'w1',
        runs: runs.filter((r) => r.eventId === e.id).map((run) => ({ run, startedAt: now, finishedAt: now, ok: false as const, error: 'boom', retryAt: null })),
        nextAt: null,
        now,
      })),
    );
    await db.prisma.event.updateMany({ data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    const event = events[0]!.id;

    const other = new pgDriver.Client({ connectionString: testDb.url });
    const watcher = new pgDriver.Client({ connectionString: testDb.url });
    await Promise.all([other.connect(), watcher.connect()]);
    let redrive: Promise<unknown> | undefined;
    try {
      const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const waiting = async (where: string, values: unknown[]) => {
        for (let i = 0; i < 500; i++) {
          if ((await watcher.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND ${where}`, values)).rowCount) return true;
          await new Promise((r) => setTimeout(r, 10));
        }
        return false;
      };
      // The other side holds the event's run; the redrive locks the event, then waits for the run.
      await other.query('BEGIN');
      await other.query(`UPDATE handler_runs SET last_error = 'recording' WHERE event_id = $1`, [event]);
      redrive = redriveDeadLetters(db.prisma, {}, new Date(now.getTime() + 1_000));
      expect(await waiting('pid <> $1 AND datname = current_database()', [pid]), 'the redrive waits for the run').toBe(true);
      // Now the other side asks for the event, which the redrive holds: a deadlock.
      const blocked = other.query('UPDATE events SET completed_at = now() WHERE id = $1', [event]);
      expect(await waiting('pid = $1', [pid]), 'the other side waits for the event').toBe(true);
      await blocked; // PostgreSQL failed the redrive's transaction, which had waited longer.
      await other.query('COMMIT');
      const r = (await redrive) as Awaited<ReturnType<typeof redriveDeadLetters>>;
      expect(r.busy).toEqual([]);
      expect(r.redriven).toHaveLength(2);
      expect(await db.prisma.handlerRun.count({ where: { state: 'pending', attempts: 0 } })).toBe(2);
      expect(await db.prisma.deadLetter.count({ where: { redrivenAt: null } })).toBe(0);
    } finally {
      await Promise.allSettled([other.end(), watcher.end()]);
      await redrive?.catch(() => {});
    }
  });
});
