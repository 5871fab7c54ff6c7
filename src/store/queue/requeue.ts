import type { Db, DbTransaction } from '../database.js';
import { newId } from '../ids.js';
import { chunks } from '../sql.js';

/**
 * Requeueing by hand (the operator's redispatch and redrive): events back to pending, their runs
 * with a fresh retry schedule, for the dispatcher to run again.
 */

export interface RequeueResult {
  /** Events set back to pending. */
  requeued: string[];
  /** Events held by a dispatcher right now (a live lease): left alone, try again later. */
  busy: string[];
  /** Ids that match no event. */
  missing: string[];
}

/** For each id or dedupe key that names an event: the event's id and the handlers it has runs of. */
export async function eventHandlers(prisma: Db, idsOrKeys: string[]): Promise<Map<string, { id: string; handlers: string[] }>> {
  const out = new Map<string, { id: string; handlers: string[] }>();
  for (const key of idsOrKeys) {
    const event = await prisma.event.findFirst({
      where: { OR: [{ id: key }, { dedupeKey: key }] },
      select: { id: true, runs: { select: { handler: true }, orderBy: { handler: 'asc' } } },
    });
    if (event) out.set(key, { id: event.id, handlers: event.runs.map((r) => r.handler) });
  }
  return out;
}

/** Every handler name the store has a run of (the plugins that have ever been given an event). */
export async function recordedHandlers(prisma: Db): Promise<string[]> {
  const rows = await prisma.handlerRun.findMany({ distinct: ['handler'], select: { handler: true }, orderBy: { handler: 'asc' } });
  return rows.map((r) => r.handler);
}

/**
 * The try that completed a run is kept on the run (completedBy, startedAt); before the run is
 * sent back to pending, it becomes an 'ok' attempt row, so the history keeps it.
 */
async function keepCompletingTries(tx: DbTransaction, where: { eventId: string; handler?: string }): Promise<void> {
  const done = await tx.handlerRun.findMany({
    where: { ...where, state: 'done', completedBy: { not: null }, startedAt: { not: null } },
    select: { id: true, attempts: true, completedBy: true, startedAt: true, completedAt: true },
  });
  if (done.length === 0) return;
  await tx.handlerAttempt.createMany({
    data: done.map((r) => ({
      id: newId(r.startedAt!.getTime()),
      runId: r.id,
      attempt: r.attempts,
      worker: r.completedBy!,
      startedAt: r.startedAt!,
      finishedAt: r.completedAt,
      outcome: 'ok',
    })),
  });
}

/**
 * Sets events back to pending so the dispatcher runs their handlers again: the given handler's
 * run (or every run) becomes pending with a fresh retry schedule, and the event is available now.
 * Events under a live lease are skipped (a dispatcher is running them).
 */
export async function redispatchEvents(prisma: Db, idsOrKeys: string[], now: Date, handler?: string): Promise<RequeueResult> {
  const result: RequeueResult = { requeued: [], busy: [], missing: [] };
  for (const key of idsOrKeys) {
    const event = await prisma.event.findFirst({ where: { OR: [{ id: key }, { dedupeKey: key }] }, select: { id: true, leaseUntil: true } });
    if (!event) {
      result.missing.push(key);
      continue;
    }
    const ok = await prisma.$transaction(async (tx) => {
      const taken = await tx.event.updateMany({
        where: { id: event.id, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
        data: { state: 'pending', availableAt: now, leaseOwner: null, leaseUntil: null, completedAt: null },
      });
      if (taken.count === 0) return false;
      const runs = { eventId: event.id, ...(handler ? { handler } : {}) };
      await keepCompletingTries(tx, runs);
      await tx.handlerRun.updateMany({
        where: runs,
        data: { state: 'pending', attempts: 0, nextAttemptAt: now, completedAt: null, completedBy: null, startedAt: null },
      });
      await tx.deadLetter.updateMany({ where: { eventId: event.id, redrivenAt: null, ...(handler ? { handler } : {}) }, data: { redrivenAt: now } });
      return true;
    });
    (ok ? result.requeued : result.busy).push(event.id);
  }
  return result;
}

/** Dead letters redriven in one transaction: a short hold on SQLite's write lock, which intake shares. */
export const REDRIVE_BATCH = 200;

/**
 * Sends dead letters back to their handler: the (event, handler) run is pending again with a
 * fresh retry schedule, the event available now, the dead letter marked redriven. Without ids,
 * every dead letter not yet redriven (of `handler`, when given). Letters go in batches of
 * REDRIVE_BATCH, a few statements each (not a transaction per letter); a letter whose event a
 * dispatcher holds right now (a live lease) is left alone and reported busy.
 */
export async function redriveDeadLetters(
  prisma: Db,
  select: { ids?: string[]; handler?: string },
  now: Date,
): Promise<{ redriven: string[]; busy: string[]; missing: string[] }> {
  const letters = await prisma.deadLetter.findMany({
    where: {
      redrivenAt: null,
      ...(select.ids ? { id: { in: select.ids } } : {}),
      ...(select.handler ? { handler: select.handler } : {}),
    },
    select: { id: true, eventId: true, handler: true },
    orderBy: { id: 'asc' },
  });
  const found = new Set(letters.map((l) => l.id));
  const out = { redriven: [] as string[], busy: [] as string[], missing: (select.ids ?? []).filter((id) => !found.has(id)) };
  for (const batch of chunks(letters, REDRIVE_BATCH)) {
    const freed = await retryDeadlocked(() => redriveBatch(prisma, batch, now));
    for (const l of batch) (freed.has(l.eventId) ? out.redriven : out.busy).push(l.id);
  }
  return out;
}

/**
 * PostgreSQL may end a batch's transaction as one side of a deadlock: its UPDATE locks up to
 * REDRIVE_BATCH events at once, and a dispatcher recording outcomes may lock two of them in the
 * other order. The transaction was rolled back whole, so it is run again.
 */
async function retryDeadlocked<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      // P2034: "Transaction failed due to a write conflict or a deadlock. Please retry your transaction".
      if (attempt >= attempts || (error as { code?: unknown } | null)?.code !== 'P2034') throw error;
    }
  }
}

/** One batch in one transaction: returns the ids of the events it freed (their letters redriven). */
async function redriveBatch(prisma: Db, batch: Array<{ id: string; eventId: string; handler: string }>, now: Date): Promise<Set<string>> {
  return prisma.$transaction(async (tx) => {
    // The events no dispatcher holds, back to pending: these letters' runs can be reset safely.
    const events = await tx.event.updateManyAndReturn({
      where: { id: { in: [...new Set(batch.map((l) => l.eventId))] }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      data: { state: 'pending', availableAt: now, leaseOwner: null, leaseUntil: null, completedAt: null },
      select: { id: true },
    });
    const freed = new Set(events.map((e) => e.id));
    const taken = batch.filter((l) => freed.has(l.eventId));
    const byHandler = new Map<string, string[]>();
    for (const l of taken) byHandler.set(l.handler, [...(byHandler.get(l.handler) ?? []), l.eventId]);
    for (const [handler, eventIds] of byHandler) {
      await tx.handlerRun.updateMany({
        where: { handler, eventId: { in: eventIds }, state: 'dead' },
        data: { state: 'pending', attempts: 0, nextAttemptAt: now, completedAt: null, completedBy: null, startedAt: null },
      });
    }
    if (taken.length) await tx.deadLetter.updateMany({ where: { id: { in: taken.map((l) => l.id) } }, data: { redrivenAt: now } });
    return freed;
  });
}
