import type { Db, DbTransaction } from '../database.js';
import { chunks, join, sql } from '../sql.js';

/**
 * Handler runs by plugin name. Completion records (handler_runs.handler) key on the plugin's
 * name, so a plugin that is renamed or removed leaves its runs under a name no loaded plugin has:
 * the dispatcher leaves those alone, the startup check reports them (pendingRunsByHandler), and
 * the operator moves them to the new name (renameHandlerRuns) or drops them (dropPendingRuns).
 */

export interface HandlerRunCounts {
  handler: string;
  pending: number;
  done: number;
  dead: number;
}

/** Runs per handler name and state, by name. */
export async function handlerRunCounts(prisma: Db): Promise<HandlerRunCounts[]> {
  const rows = await prisma.$queryRaw<Array<{ handler: string; state: string; n: unknown }>>(sql`
    SELECT handler, state, COUNT(*) AS n FROM handler_runs GROUP BY handler, state`);
  const byName = new Map<string, HandlerRunCounts>();
  for (const r of rows) {
    const c = byName.get(r.handler) ?? { handler: r.handler, pending: 0, done: 0, dead: 0 };
    if (r.state === 'pending' || r.state === 'done' || r.state === 'dead') c[r.state] += Number(r.n);
    byName.set(r.handler, c);
  }
  return [...byName.values()].sort((a, b) => (a.handler < b.handler ? -1 : a.handler > b.handler ? 1 : 0));
}

/** Pending runs per handler name (names with none are left out), by name. */
export async function pendingRunsByHandler(prisma: Db): Promise<Array<{ handler: string; pending: number }>> {
  const rows = await prisma.$queryRaw<Array<{ handler: string; n: unknown }>>(sql`
    SELECT handler, COUNT(*) AS n FROM handler_runs WHERE state = 'pending' GROUP BY handler ORDER BY handler`);
  return rows.map((r) => ({ handler: r.handler, pending: Number(r.n) }));
}

/**
 * Events completed while a plugin was not loaded (removed, or missing on the process that took
 * them: a rolling deploy), whose runs of that plugin are still pending: the dispatcher that took
 * them left those runs alone and completed the event without them, and nothing claims a done
 * event. For the plugins now `loaded`, such events become pending again (due now; the runs keep
 * their own due times). A dispatcher starting with the plugin calls this. Returns how many.
 */
export async function reopenEventsWithPendingRuns(prisma: Db, loaded: readonly string[], now: Date): Promise<number> {
  if (loaded.length === 0) return 0;
  // Found by a read first (pending runs have no index: a scan), then updated by id in short
  // statements: an UPDATE over the scan would hold SQLite's write lock, which every delivery
  // waits on, for all of it.
  const owed = await prisma.$queryRaw<Array<{ id: string }>>(sql`
    SELECT DISTINCT e.id FROM handler_runs r JOIN events e ON e.id = r.event_id
    WHERE r.state = 'pending' AND r.handler IN (${join([...loaded])}) AND e.state = 'done'`);
  let reopened = 0;
  for (const ids of chunks(owed.map((r) => r.id))) {
    reopened += await prisma.$executeRaw(sql`
      UPDATE events SET state = 'pending', completed_at = NULL, available_at = ${now}, lease_owner = NULL, lease_until = NULL
      WHERE state = 'done' AND id IN (${join(ids)})`);
  }
  return reopened;
}

export interface RenameResult {
  /** Runs now under the new name (pending, done and dead alike). */
  moved: number;
  /** Of those, pending ones: due now, and their events pending again. */
  movedPending: number;
  /**
   * Events that had a run under both names (the renamed plugin already ran under its new name):
   * one run is kept, the one that completed if only one did, else the new name's.
   */
  merged: number;
  /** Runs left under the old name: their events are held by a dispatcher right now. Run again. */
  busy: number;
}

export interface DropResult {
  /** Pending runs deleted (with their attempts). */
  dropped: number;
  /** Pending runs left: their events are held by a dispatcher right now. Run again. */
  busy: number;
}

/** Rows per transaction: keeps each one short, so the receiver's writes never wait long for it. */
const CHUNK = 500;

/**
 * Takes the events of one chunk away from the dispatchers for the transaction: events without a
 * live lease are written first (their expired leases cleared, available now), which locks them
 * (PostgreSQL row locks, SQLite's write lock) so that no dispatcher claims them until the
 * transaction commits. Returns the ids of the events a dispatcher holds right now (live lease).
 */
async function holdEvents(tx: DbTransaction, eventIds: string[], now: Date): Promise<Set<string>> {
  await tx.event.updateMany({
    where: { id: { in: eventIds }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
    data: { leaseOwner: null, leaseUntil: null, availableAt: now },
  });
  const busy = await tx.event.findMany({ where: { id: { in: eventIds }, leaseUntil: { gte: now } }, select: { id: true } });
  return new Set(busy.map((e) => e.id));
}

/** Walks the runs `where` selects in id order, one chunk per call of `fn`. */
async function eachChunk(
  prisma: Db,
  where: { handler: string; state?: string },
  fn: (rows: Array<{ id: string; eventId: string }>) => Promise<void>,
): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await prisma.handlerRun.findMany({
      where: { ...where, id: { gt: after } },
      orderBy: { id: 'asc' },
      take: CHUNK,
      select: { id: true, eventId: true },
    });
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    await fn(rows);
    if (rows.length < CHUNK) return;
  }
}

/**
 * Moves every run (pending, done, dead) and dead letter of handler `from` to handler `to`: what
 * a renamed plugin did and owes follows it. Pending runs become due now and their events pending
 * again. Where an event has a run under both names, one is kept (see RenameResult.merged). Runs
 * of events a dispatcher holds right now are left (`busy`); running it again moves them.
 */
export async function renameHandlerRuns(prisma: Db, from: string, to: string, now: Date): Promise<RenameResult> {
  if (from === to) throw new Error(`the old and new names are the same ("${from}")`);
  const result: RenameResult = { moved: 0, movedPending: 0, merged: 0, busy: 0 };
  await eachChunk(prisma, { handler: from }, async (chunk) => {
    const eventIds = [...new Set(chunk.map((r) => r.eventId))];
    await prisma.$transaction(async (tx) => {
      const busy = await holdEvents(tx, eventIds, now);
      // Read again under the hold: a dispatcher may have settled some since the chunk was listed.
      const rows = await tx.handlerRun.findMany({
        where: { id: { in: chunk.map((r) => r.id) }, handler: from, eventId: { notIn: [...busy] } },
        select: { id: true, eventId: true, state: true },
      });
      result.busy += chunk.filter((r) => busy.has(r.eventId)).length;
      if (rows.length === 0) return;
      const theirs = await tx.handlerRun.findMany({
        where: { handler: to, eventId: { in: rows.map((r) => r.eventId) } },
        select: { id: true, eventId: true, state: true },
      });
      const existing = new Map(theirs.map((r) => [r.eventId, r]));
      const remove: string[] = [];
      const move: typeof rows = [];
      // The events whose run under the old name, or under the new one, is merged away.
      const oldRemoved: string[] = [];
      const newRemoved: string[] = [];
      for (const r of rows) {
        const other = existing.get(r.eventId);
        if (!other) move.push(r);
        else {
          result.merged++;
          // Keep the completion: the old run when only it completed, else the new name's.
          if (r.state === 'done' && other.state !== 'done') {
            remove.push(other.id);
            newRemoved.push(r.eventId);
            move.push(r);
          } else {
            remove.push(r.id);
            oldRemoved.push(r.eventId);
          }
        }
      }
      // Attempts go with their runs (ON DELETE CASCADE), and so do dead letters: a letter of the
      // run merged away would otherwise stay outstanding beside a completed run (counted,
      // listed, and keeping its event from retention) or double the kept run's own.
      if (remove.length) await tx.handlerRun.deleteMany({ where: { id: { in: remove } } });
      if (oldRemoved.length) await tx.deadLetter.deleteMany({ where: { handler: from, eventId: { in: oldRemoved } } });
      if (newRemoved.length) await tx.deadLetter.deleteMany({ where: { handler: to, eventId: { in: newRemoved } } });
      if (move.length) {
        await tx.handlerRun.updateMany({ where: { id: { in: move.map((r) => r.id) } }, data: { handler: to } });
        const pending = move.filter((r) => r.state === 'pending');
        if (pending.length) {
          await tx.handlerRun.updateMany({ where: { id: { in: pending.map((r) => r.id) } }, data: { nextAttemptAt: now } });
          await tx.event.updateMany({
            where: { id: { in: [...new Set(pending.map((r) => r.eventId))] } },
            data: { state: 'pending', completedAt: null },
          });
        }
        result.moved += move.length;
        result.movedPending += pending.length;
      }
      await tx.deadLetter.updateMany({
        where: { handler: from, eventId: { in: rows.map((r) => r.eventId) } },
        data: { handler: to },
      });
    });
  });
  return result;
}

/**
 * Deletes the pending runs of handler `name` (a plugin that was removed: nothing will run them).
 * Its completed runs and dead letters stay as records. Their events settle at the next claim.
 * Runs of events a dispatcher holds right now are left (`busy`); running it again drops them.
 */
export async function dropPendingRuns(prisma: Db, name: string, now: Date): Promise<DropResult> {
  const result: DropResult = { dropped: 0, busy: 0 };
  await eachChunk(prisma, { handler: name, state: 'pending' }, async (chunk) => {
    const eventIds = [...new Set(chunk.map((r) => r.eventId))];
    await prisma.$transaction(async (tx) => {
      const busy = await holdEvents(tx, eventIds, now);
      result.busy += chunk.filter((r) => busy.has(r.eventId)).length;
      const { count } = await tx.handlerRun.deleteMany({
        where: { id: { in: chunk.filter((r) => !busy.has(r.eventId)).map((r) => r.id) }, handler: name, state: 'pending' },
      });
      result.dropped += count;
    });
  });
  return result;
}
