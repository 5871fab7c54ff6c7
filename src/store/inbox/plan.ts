import type { DeliveryInput, DeliveryStatus, RecordedDelivery } from './types.js';

/**
 * How one group commit is written, whatever the driver: the first sighting of each dedupe key
 * in the batch is upserted; later sightings in the same batch are only counted (an upsert may
 * not touch the same row twice in one statement on PostgreSQL).
 */
export interface BatchPlan {
  /** Per delivery, its events as an index into `firsts`, or the dedupe key of a repeat. */
  owners: Array<Array<number | string>>;
  firsts: Array<{ delivery: number; eventIndex: number }>;
  /** Dedupe key -> how many repeats this batch holds. */
  repeats: Map<string, number>;
}

export function planBatch(deliveries: readonly DeliveryInput[]): BatchPlan {
  const seen = new Map<string, number>();
  const plan: BatchPlan = { owners: deliveries.map(() => []), firsts: [], repeats: new Map() };
  deliveries.forEach((d, i) => {
    d.events.forEach((event, eventIndex) => {
      const key = event.dedupeKey;
      if (seen.has(key)) {
        plan.repeats.set(key, (plan.repeats.get(key) ?? 0) + 1);
        plan.owners[i]!.push(key);
      } else {
        seen.set(key, plan.firsts.length);
        plan.owners[i]!.push(plan.firsts.length);
        plan.firsts.push({ delivery: i, eventIndex });
      }
    });
  });
  return plan;
}

/**
 * Whether an activity arrives too old to be dispatched as new: its own time is older than the
 * dedupe window at its receipt. X's signature has no timestamp, so a captured body can be posted
 * again at any time; once its dedupe key is pruned, its age is what tells it from a new activity.
 * Such an event is stored as "stale" (kept for inspection, never dispatched) and holds its dedupe
 * key like any other. An activity without a time of its own is never stale: its key is kept
 * instead (dedupe_keys, see retention.ts).
 */
export function isStale(occurredAt: Date | null | undefined, receivedAt: Date, windowMs: number | undefined): boolean {
  return Boolean(windowMs && occurredAt && occurredAt.getTime() < receivedAt.getTime() - windowMs);
}

/** What became of one planned first sighting: stored as new, stored as stale, or a duplicate (null). */
export type FirstOutcome = { id: string; stale: boolean } | null;

/** The outcome per delivery, from which of the planned first sightings were really inserted. */
export function planResults(
  deliveries: readonly DeliveryInput[],
  plan: BatchPlan,
  deliveryIds: readonly string[],
  outcomes: readonly FirstOutcome[],
): RecordedDelivery[] {
  return deliveries.map((d, i) => {
    const newEventIds: string[] = [];
    let stale = 0;
    for (const o of plan.owners[i]!) {
      const outcome = typeof o === 'number' ? outcomes[o] : null;
      if (outcome?.stale) stale++;
      else if (outcome) newEventIds.push(outcome.id);
    }
    const duplicates = d.events.length - newEventIds.length - stale;
    let status: DeliveryStatus = d.status;
    if (d.status === 'accepted' && newEventIds.length === 0) {
      if (stale > 0) status = 'stale';
      else if (duplicates > 0) status = 'duplicate';
    }
    return { deliveryId: deliveryIds[i]!, status, newEventIds, duplicates, stale };
  });
}
