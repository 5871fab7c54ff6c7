import type { EventOutcome } from './types.js';

/** What a batch of outcomes does to one event: done, or due again at `nextAt`; its lease given up. */
export interface EventSettlement {
  eventId: string;
  owner: string;
  /** null: done (completed at `now`). */
  nextAt: Date | null;
  now: Date;
}

/**
 * One settlement per event of a batch of outcomes. An event has two outcomes in one batch only
 * when its process re-claimed it after its lease ran out and both tries finished together: it is
 * done when either outcome found every run finished, else due at the later of the two times.
 * Settled one outcome after the other, the first gave the lease up and the second matched no
 * row: a failed try before a success left the event pending until the retry time (and, under
 * per-user order, the user's later events waiting) although every run was done.
 */
export function settleEvents(outcomes: readonly EventOutcome[]): EventSettlement[] {
  const byEvent = new Map<string, EventSettlement>();
  for (const o of outcomes) {
    const seen = byEvent.get(o.eventId);
    if (!seen) {
      byEvent.set(o.eventId, { eventId: o.eventId, owner: o.owner, nextAt: o.nextAt, now: o.now });
      continue;
    }
    if (seen.nextAt === null) continue;
    if (o.nextAt === null) Object.assign(seen, { nextAt: null, now: o.now });
    else if (o.nextAt.getTime() > seen.nextAt.getTime()) seen.nextAt = o.nextAt;
  }
  return [...byEvent.values()];
}
