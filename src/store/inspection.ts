import type { Db } from './database.js';
import type { Prisma } from './generated/sqlite/client.js';
import { loadActivities } from './inbox/activity.js';

/** The operator's views of the local store: events, their handler runs and attempts, dead letters. */

/**
 * What an event looks like to an operator, derived from the event and its handler runs:
 * - `dead`: a handler was dead-lettered (failed every attempt) and not sent back since;
 * - `failing`: still pending, and a handler has failed at least once (a retry is scheduled);
 * - `pending`: waiting for its handlers (or for plugins to be configured);
 * - `done`: every handler completed;
 * - `stale`: the activity's own time was older than the dedupe window when it arrived (a replayed
 *   body, or a very late redelivery): kept for inspection, never dispatched (unless redispatched).
 */
export const EVENT_STATUSES = ['pending', 'failing', 'dead', 'done', 'stale'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export function isEventStatus(value: string): value is EventStatus {
  return (EVENT_STATUSES as readonly string[]).includes(value);
}

/** The status of an event in `state` (events.state: pending | done | stale) with these handler runs. */
export function eventStatus(state: string, runs: ReadonlyArray<{ state: string; attempts: number }>): EventStatus {
  if (runs.some((r) => r.state === 'dead')) return 'dead';
  if (state === 'done') return 'done';
  if (state === 'stale') return 'stale';
  return runs.some((r) => r.state === 'pending' && r.attempts > 0) ? 'failing' : 'pending';
}

/** The events whose eventStatus() is `status`, as a query. */
function statusWhere(status: EventStatus): Prisma.EventWhereInput {
  const dead: Prisma.HandlerRunWhereInput = { state: 'dead' };
  const failed: Prisma.HandlerRunWhereInput = { state: 'pending', attempts: { gt: 0 } };
  switch (status) {
    case 'dead':
      return { runs: { some: dead } };
    case 'done':
      return { state: 'done', runs: { none: dead } };
    case 'stale':
      return { state: 'stale', runs: { none: dead } };
    // state = 'pending', which the events' partial queue indexes answer (a NOT IN they cannot).
    case 'failing':
      return { state: 'pending', AND: [{ runs: { none: dead } }, { runs: { some: failed } }] };
    case 'pending':
      return { state: 'pending', AND: [{ runs: { none: dead } }, { runs: { none: failed } }] };
  }
}

export interface EventSummary {
  id: string;
  dedupeKey: string;
  type: string;
  action: string | null;
  forUserId: string | null;
  format: string;
  /** The dispatch state of the event row: pending | done (done includes dead-lettered handlers) | stale. */
  state: string;
  /** What the operator sees: pending | failing | dead | done (see EVENT_STATUSES). */
  status: EventStatus;
  occurredAt: Date | null;
  receivedAt: Date;
  duplicateCount: number;
  completedAt: Date | null;
}

const summarySelect = {
  id: true,
  dedupeKey: true,
  type: true,
  action: true,
  forUserId: true,
  format: true,
  state: true,
  occurredAt: true,
  receivedAt: true,
  duplicateCount: true,
  completedAt: true,
  runs: { select: { state: true, attempts: true } },
} as const;

export interface EventFilter {
  type?: string;
  /** A status (pending, failing, dead, done: see EVENT_STATUSES). */
  state?: EventStatus;
  forUserId?: string;
  /** The envelope: aaa | xaa. */
  format?: string;
  since?: Date;
  limit?: number;
}

/**
 * How many events (by id, newest first) one query of a filtered list reads at most. A filter no
 * index serves (a user, a type, an envelope, done or dead) reads the events back from the newest
 * until the page is full: in windows of this many, one query each, so that on SQLite (whose
 * queries run on the thread that serves the webhook) a rare user's filter over a large store
 * holds that thread a few milliseconds at a time, not for the whole walk.
 */
export const LIST_WINDOW = 5_000;

/** Newest first. `window`: events read per query (LIST_WINDOW; smaller in tests). */
export async function listEvents(prisma: Db, f: EventFilter = {}, window = LIST_WINDOW): Promise<EventSummary[]> {
  const limit = f.limit ?? 50;
  const filters: Prisma.EventWhereInput[] = [
    f.type ? { type: f.type } : {},
    f.state ? statusWhere(f.state) : {},
    f.forUserId ? { forUserId: f.forUserId } : {},
    f.format ? { format: f.format } : {},
    f.since ? { receivedAt: { gte: f.since } } : {},
  ];
  // Pending, failing and stale events are read from their indexes (whatever else is filtered);
  // no filter is the newest page.
  const indexed = f.state === 'pending' || f.state === 'failing' || f.state === 'stale';
  const walks = !indexed && Boolean(f.type || f.forUserId || f.format || f.state === 'done' || f.state === 'dead');
  const rows: Array<Prisma.EventGetPayload<{ select: typeof summarySelect }>> = [];
  let below: string | undefined;
  for (;;) {
    // The window's oldest event: `window` ids down from the last (a walk of the id index alone).
    const edge = walks
      ? await prisma.event.findFirst({
          where: below === undefined ? {} : { id: { lt: below } },
          orderBy: { id: 'desc' },
          skip: window - 1,
          select: { id: true, receivedAt: true },
        })
      : null;
    const range = walks ? { id: { ...(below === undefined ? {} : { lt: below }), ...(edge ? { gte: edge.id } : {}) } } : {};
    rows.push(
      ...(await prisma.event.findMany({
        where: { AND: [...filters, range] },
        orderBy: { id: 'desc' },
        take: limit - rows.length,
        select: summarySelect,
      })),
    );
    // Done: the page is full, the oldest event was read, or the window reached past `since`.
    if (!walks || rows.length >= limit || !edge || (f.since && edge.receivedAt < f.since)) break;
    below = edge.id;
  }
  return rows.map(({ runs, ...row }) => ({ ...row, status: eventStatus(row.state, runs) }));
}

export interface EventDetail extends EventSummary {
  payload: unknown;
  sideObjects: unknown;
  deliveryId: string;
  /** How the delivery that first brought it arrived: "webhook" or "stream" (the XAA persistent stream). */
  source: string;
  runs: Array<{
    handler: string;
    state: string;
    attempts: number;
    nextAttemptAt: Date;
    lastError: string | null;
    completedAt: Date | null;
    history: Array<{ attempt: number; worker: string; startedAt: Date; finishedAt: Date | null; outcome: string | null; error: string | null }>;
  }>;
  deadLetters: Array<{ id: string; handler: string; attempts: number; error: string; deadAt: Date; redrivenAt: Date | null }>;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Attempt = EventDetail['runs'][number]['history'][number];

/**
 * Every try of a run, oldest first: its handler_attempts rows, and the try that completed it,
 * which is kept on the run itself (completedBy, startedAt) rather than as a row.
 */
export function runHistory(run: {
  attempts: number;
  completedAt: Date | null;
  completedBy: string | null;
  startedAt: Date | null;
  history: Attempt[];
}): Attempt[] {
  const tries: Attempt[] = run.history.map((h) => ({
    attempt: h.attempt,
    worker: h.worker,
    startedAt: h.startedAt,
    finishedAt: h.finishedAt,
    outcome: h.outcome,
    error: h.error,
  }));
  if (run.completedBy !== null && run.startedAt !== null) {
    const done = { attempt: run.attempts, worker: run.completedBy, startedAt: run.startedAt, finishedAt: run.completedAt, outcome: 'ok', error: null };
    const at = tries.findIndex((t) => t.startedAt > done.startedAt);
    tries.splice(at === -1 ? tries.length : at, 0, done);
  }
  return tries;
}

/** One event by our id or its dedupe key, with its handler runs, their attempts and dead letters. */
export async function getEvent(prisma: Db, idOrKey: string): Promise<EventDetail | null> {
  const row = await prisma.event.findFirst({
    where: { OR: [{ id: idOrKey }, { dedupeKey: idOrKey }] },
    include: {
      delivery: { select: { source: true } },
      runs: { orderBy: { handler: 'asc' }, include: { history: { orderBy: { startedAt: 'asc' } } } },
      deadLetters: { orderBy: { deadAt: 'asc' } },
    },
  });
  if (!row) return null;
  const [activity] = await loadActivities(prisma, [row]);
  return {
    id: row.id,
    dedupeKey: row.dedupeKey,
    type: row.type,
    action: row.action,
    forUserId: row.forUserId,
    format: row.format,
    state: row.state,
    status: eventStatus(row.state, row.runs),
    occurredAt: row.occurredAt,
    receivedAt: row.receivedAt,
    duplicateCount: row.duplicateCount,
    completedAt: row.completedAt,
    deliveryId: row.deliveryId,
    source: row.delivery.source,
    payload: parseJson(activity!.payload),
    sideObjects: parseJson(activity!.sideObjects),
    runs: row.runs.map((r) => ({
      handler: r.handler,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt,
      lastError: r.lastError,
      completedAt: r.completedAt,
      history: runHistory(r),
    })),
    deadLetters: row.deadLetters.map((d) => ({ id: d.id, handler: d.handler, attempts: d.attempts, error: d.error, deadAt: d.deadAt, redrivenAt: d.redrivenAt })),
  };
}

export interface DeadLetterRecord {
  id: string;
  eventId: string;
  dedupeKey: string;
  type: string;
  handler: string;
  attempts: number;
  error: string;
  deadAt: Date;
  redrivenAt: Date | null;
}

/** Dead letters not yet redriven (of one handler): what "redrive all" sends back. */
export async function countWaitingDeadLetters(prisma: Db, f: { handler?: string } = {}): Promise<number> {
  return prisma.deadLetter.count({ where: { redrivenAt: null, ...(f.handler ? { handler: f.handler } : {}) } });
}

export async function listDeadLetters(
  prisma: Db,
  f: { handler?: string; includeRedriven?: boolean; limit?: number } = {},
): Promise<DeadLetterRecord[]> {
  const rows = await prisma.deadLetter.findMany({
    where: { ...(f.handler ? { handler: f.handler } : {}), ...(f.includeRedriven ? {} : { redrivenAt: null }) },
    orderBy: { deadAt: 'desc' },
    take: f.limit ?? 50,
    include: { event: { select: { dedupeKey: true, type: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    eventId: r.eventId,
    dedupeKey: r.event.dedupeKey,
    type: r.event.type,
    handler: r.handler,
    attempts: r.attempts,
    error: r.error,
    deadAt: r.deadAt,
    redrivenAt: r.redrivenAt,
  }));
}

export interface BacklogReport {
  /** Events waiting for their handlers (state pending), and when the oldest of them arrived. */
  pending: { count: number; oldest: Date | null };
  /**
   * Of those, the ones no handler has taken (no handler run: no plugin wanted their type, or no
   * dispatcher runs): what RETENTION_UNHANDLED_DAYS prunes.
   */
  unhandled: { count: number; oldest: Date | null };
  /** Dead letters not yet redriven, and when the latest one died. */
  deadLetters: { count: number; latest: Date | null };
  /** Events stored stale (older than the dedupe window on arrival: not dispatched). */
  stale: number;
  /** Dedupe keys kept past their pruned events. */
  keptKeys: number;
}

/** The queue as the operator's doctor sees it: backlog, events no handler took, dead letters. */
export async function backlogReport(prisma: Db): Promise<BacklogReport> {
  const unhandledWhere = { state: 'pending', runs: { none: {} } };
  const [pending, oldestPending, unhandled, oldestUnhandled, deadLetters, latestDead, stale, keptKeys] = await Promise.all([
    prisma.event.count({ where: { state: 'pending' } }),
    prisma.event.findFirst({ where: { state: 'pending' }, orderBy: { receivedAt: 'asc' }, select: { receivedAt: true } }),
    prisma.event.count({ where: unhandledWhere }),
    prisma.event.findFirst({ where: unhandledWhere, orderBy: { receivedAt: 'asc' }, select: { receivedAt: true } }),
    prisma.deadLetter.count({ where: { redrivenAt: null } }),
    prisma.deadLetter.findFirst({ where: { redrivenAt: null }, orderBy: { deadAt: 'desc' }, select: { deadAt: true } }),
    prisma.event.count({ where: { state: 'stale' } }),
    prisma.dedupeKey.count(),
  ]);
  return {
    pending: { count: pending, oldest: oldestPending?.receivedAt ?? null },
    unhandled: { count: unhandled, oldest: oldestUnhandled?.receivedAt ?? null },
    deadLetters: { count: deadLetters, latest: latestDead?.deadAt ?? null },
    stale,
    keptKeys,
  };
}
