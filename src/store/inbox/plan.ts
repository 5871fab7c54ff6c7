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

/** The outcome per delivery, from which of the planned first sightings were really inserted. */
export function planResults(
  deliveries: readonly DeliveryInput[],
  plan: BatchPlan,
  deliveryIds: readonly string[],
  insertedEventIds: ReadonlyArray<string | null>,
): RecordedDelivery[] {
  return deliveries.map((d, i) => {
    const newEventIds: string[] = [];
    for (const o of plan.owners[i]!) {
      if (typeof o === 'number' && insertedEventIds[o]) newEventIds.push(insertedEventIds[o]!);
    }
    const duplicates = d.events.length - newEventIds.length;
    const status: DeliveryStatus =
      duplicates > 0 && newEventIds.length === 0 && d.status === 'accepted' ? 'duplicate' : d.status;
    return { deliveryId: deliveryIds[i]!, status, newEventIds, duplicates };
  });
}
