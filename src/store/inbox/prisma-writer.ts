import type { Db } from '../database.js';
import { newId } from '../ids.js';
import { encodeBody } from './body-codec.js';
import { chunks, join, ROWS_PER_STATEMENT, sql, type Sql } from '../sql.js';
import { isStale, planBatch, planResults } from './plan.js';
import type { DeliveryInput, RecordedDelivery } from './types.js';

export interface RecordOptions {
  /** DEDUPE_WINDOW_DAYS in ms: older activities are stored stale (plan.ts isStale); unset: none is. */
  dedupeWindowMs?: number;
  /**
   * PostgreSQL: the look-up of kept dedupe keys rides on the deliveries INSERT (a data-modifying
   * WITH), so it costs no round trip of its own. Elsewhere it is a statement of its own.
   */
  provider?: 'sqlite' | 'postgresql';
}

/**
 * Writes deliveries and their events in ONE transaction, with a handful of statements whatever
 * the batch size (group commit: the caller passes the deliveries that arrived together).
 *
 * An event whose dedupe key is already stored — or appears earlier in the same batch, or was kept
 * in dedupe_keys when its event was pruned — is a duplicate: it is counted on the first
 * sighting's row and never fails its delivery. A delivery whose events were all duplicates is
 * stored with status "duplicate"; one whose events were too old to dispatch, "stale".
 */
export async function recordDeliveries(prisma: Db, deliveries: DeliveryInput[], options: RecordOptions = {}): Promise<RecordedDelivery[]> {
  if (deliveries.length === 0) return [];
  const deliveryIds = deliveries.map((d) => newId(d.receivedAt.getTime()));
  const plan = planBatch(deliveries);
  const eventIds = plan.firsts.map(({ delivery }) => newId(deliveries[delivery]!.receivedAt.getTime()));
  const eventOf = ({ delivery, eventIndex }: { delivery: number; eventIndex: number }) => deliveries[delivery]!.events[eventIndex]!;
  const stale = plan.firsts.map((f) => isStale(eventOf(f).occurredAt, deliveries[f.delivery]!.receivedAt, options.dedupeWindowMs));
  // Only an activity without a time can have its key kept past its event (see retention.ts).
  const untimedKeys = [...new Set(plan.firsts.map(eventOf).filter((e) => !e.occurredAt).map((e) => e.dedupeKey))];
  const keptKeys = (keys: string[]) => sql`SELECT key FROM dedupe_keys WHERE key IN (${join(keys)})`;

  return prisma.$transaction(async (tx) => {
    let kept: Array<{ key: string }> | undefined;
    for (const [n, part] of chunks(deliveries.map((d, i) => [d, i] as const), ROWS_PER_STATEMENT).entries()) {
      const insert: Sql = sql`
        INSERT INTO deliveries (id, received_at, format, status, body, body_encoding, body_sha256, content_type,
                                user_agent, remote_addr, source, event_count, duplicate_count)
        VALUES ${join(
          part.map(([d, i]) => {
            const stored = encodeBody(d.body);
            return sql`(${deliveryIds[i]}, ${d.receivedAt}, ${d.format}, ${d.status},
              ${stored.body}, ${stored.encoding}, ${d.bodySha256},
              ${d.contentType ?? null}, ${d.userAgent ?? null}, ${d.remoteAddr ?? null},
              ${d.source ?? 'webhook'}, ${d.events.length}, 0)`;
          }),
        )}`;
      if (n === 0 && untimedKeys.length > 0 && untimedKeys.length <= ROWS_PER_STATEMENT && options.provider === 'postgresql') {
        kept = await tx.$queryRaw<Array<{ key: string }>>(sql`WITH stored AS (${insert} RETURNING id) ${keptKeys(untimedKeys)}`);
      } else {
        await tx.$executeRaw(insert);
      }
    }
    if (kept === undefined) {
      kept = [];
      for (const part of chunks(untimedKeys, ROWS_PER_STATEMENT)) kept.push(...(await tx.$queryRaw<Array<{ key: string }>>(keptKeys(part))));
    }
    const keptSet = new Set(kept.map((r) => r.key));

    const inserted = new Set<string>();
    // Rows in dedupe-key order: two receivers upserting overlapping keys then lock them in the
    // same order, so PostgreSQL cannot deadlock them. Results are matched back by id.
    const ordered = plan.firsts
      .map((f, i) => [f, i] as const)
      .filter(([f]) => !keptSet.has(eventOf(f).dedupeKey))
      .sort(([a], [b]) => {
        const ka = deliveries[a.delivery]!.events[a.eventIndex]!.dedupeKey;
        const kb = deliveries[b.delivery]!.events[b.eventIndex]!.dedupeKey;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    for (const part of chunks(ordered, ROWS_PER_STATEMENT)) {
      const rows = await tx.$queryRaw<Array<{ id: string }>>(sql`
        INSERT INTO events (id, dedupe_key, type, action, for_user_id, format, occurred_at, received_at,
                            delivery_id, payload, side_objects, activity_index, duplicate_count, state, available_at)
        VALUES ${join(
          part.map(([{ delivery, eventIndex }, i]) => {
            const d = deliveries[delivery]!;
            const event = d.events[eventIndex]!;
            // Normalized from the body: kept by reference into it (inbox/activity.ts reads it back).
            const byReference = event.activityIndex != null;
            return sql`(${eventIds[i]}, ${event.dedupeKey}, ${event.type}, ${event.action ?? null},
              ${event.forUserId ?? null}, ${event.format}, ${event.occurredAt ?? null}, ${d.receivedAt},
              ${deliveryIds[delivery]}, ${byReference ? null : (event.payload ?? 'null')}, ${byReference ? null : (event.sideObjects ?? null)},
              ${byReference ? event.activityIndex : null}, 0, ${stale[i] ? 'stale' : 'pending'}, ${d.receivedAt})`;
          }),
        )}
        ON CONFLICT (dedupe_key) DO UPDATE SET duplicate_count = events.duplicate_count + 1
        RETURNING id`);
      for (const row of rows) inserted.add(row.id);
    }
    // A prune that committed while this transaction ran (PostgreSQL: each statement sees what was
    // committed before it) may have moved one of these keys to dedupe_keys and deleted its event
    // after the look-up above: the insert then found no conflict. Looked up again now, such an
    // event is a repost of a pruned one: removed again, a duplicate, never dispatched as new.
    const insertedUntimed = ordered.filter(([f, i]) => inserted.has(eventIds[i]!) && !eventOf(f).occurredAt);
    if (insertedUntimed.length > 0) {
      const keys = insertedUntimed.map(([f]) => eventOf(f).dedupeKey);
      const late = new Set<string>();
      for (const part of chunks(keys, ROWS_PER_STATEMENT)) for (const r of await tx.$queryRaw<Array<{ key: string }>>(keptKeys(part))) late.add(r.key);
      const gone = insertedUntimed.filter(([f]) => late.has(eventOf(f).dedupeKey)).map(([, i]) => eventIds[i]!);
      if (gone.length > 0) {
        await tx.$executeRaw(sql`DELETE FROM events WHERE id IN (${join(gone)})`);
        for (const id of gone) inserted.delete(id);
      }
    }
    // Repeats within this batch: counted on the row that was stored (or already existed).
    for (const [key, count] of [...plan.repeats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      await tx.$executeRaw(sql`UPDATE events SET duplicate_count = duplicate_count + ${count} WHERE dedupe_key = ${key}`);
    }

    const results = planResults(
      deliveries,
      plan,
      deliveryIds,
      eventIds.map((id, i) => (inserted.has(id) ? { id, stale: stale[i]! } : null)),
    );
    for (const [i, r] of results.entries()) {
      if (r.duplicates === 0 && r.status === deliveries[i]!.status) continue;
      await tx.$executeRaw(sql`
        UPDATE deliveries SET duplicate_count = ${r.duplicates}, status = ${r.status} WHERE id = ${r.deliveryId}`);
    }
    return results;
  });
}

export async function recordDelivery(prisma: Db, delivery: DeliveryInput, options: RecordOptions = {}): Promise<RecordedDelivery> {
  const [result] = await recordDeliveries(prisma, [delivery], options);
  return result!;
}
