import type { DeliveryInput, RecordedDelivery } from '../inbox/types.js';
import type { ChurnMap } from '../../runtime/churn-map.js';
import { newId } from '../ids.js';
import { encodeBody } from '../inbox/body-codec.js';
import { isStale, planBatch, planResults, type FirstOutcome } from '../inbox/plan.js';
import type { DispatchAttachment, HandlerRunRow, PushedWork } from '../queue/types.js';
import { sqliteTime, type Connection } from './connection.js';

/**
 * Per-user order: whether the user has an older pending event this dispatcher does not hold. A
 * seek in the (state, for_user_id, id) index, whatever the user's history (one per new event).
 */
export const OLDER_PENDING_ELSEWHERE_SQL = `
    SELECT 1 FROM events WHERE for_user_id = ? AND state = 'pending' AND id < ?
      AND (lease_owner IS NULL OR lease_owner <> ?) LIMIT 1`;

export interface StoredBatch {
  results: RecordedDelivery[];
  /** New events leased to the attached dispatcher, to hand to it once the transaction commits. */
  pushed: PushedWork[];
}

/** What the writer needs to know of an attached dispatcher to lease new events to it. */
export interface Attached {
  plan: DispatchAttachment;
  /** Pushed events the dispatcher has not settled yet (flow control); the caller adds them after commit. */
  outstanding: ChurnMap<true>;
}

function wanted(plan: DispatchAttachment, type: string): string[] {
  return plan.plugins.filter((p) => p.types === null || p.types.includes(type)).map((p) => p.name);
}

/**
 * Writes deliveries and their events with prepared statements (same rows, same rules as the
 * Prisma writer in inbox/prisma-writer.ts, which PostgreSQL uses). Runs inside the caller's
 * transaction. With a dispatcher attached, each new event is stored already leased to it with its
 * (event, handler) runs, or as done when no plugin wants its type: the dispatcher gets it from
 * this commit instead of from a claim query.
 */
export function deliveryStatements(db: Connection, options: { dedupeWindowMs?: number } = {}) {
  const insertDelivery = db.prepare(`
    INSERT INTO deliveries (id, received_at, format, status, body, body_encoding, body_sha256, content_type,
                            user_agent, remote_addr, source, event_count, duplicate_count)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`);
  const upsertEvent = db.prepare(`
    INSERT INTO events (id, dedupe_key, type, action, for_user_id, format, occurred_at, received_at,
                        delivery_id, payload, side_objects, activity_index, duplicate_count, state,
                        available_at, lease_owner, lease_until, completed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
    ON CONFLICT (dedupe_key) DO UPDATE SET duplicate_count = events.duplicate_count + 1
    RETURNING id`);
  // The key of a pruned event without a time of its own (retention keeps it in dedupe_keys).
  const keptKey = db.prepare('SELECT 1 FROM dedupe_keys WHERE key = ?').pluck();
  const addRepeats = db.prepare('UPDATE events SET duplicate_count = duplicate_count + ? WHERE dedupe_key = ?');
  const markDuplicates = db.prepare('UPDATE deliveries SET duplicate_count = ?, status = ? WHERE id = ?');
  const insertRun = db.prepare(`
    INSERT INTO handler_runs (id, event_id, handler, state, attempts, next_attempt_at) VALUES (?, ?, ?, 'pending', 0, ?)`);
  // Per-user order: an older pending event of the same user that the dispatcher does not hold
  // (a retry waiting, one stored unleased, one of another process) must run first, so the new
  // one is left to the claim query, which keeps that order.
  const olderElsewhere = db.prepare(OLDER_PENDING_ELSEWHERE_SQL);

  return function write(deliveries: DeliveryInput[], attached: Attached | undefined): StoredBatch {
    const plan = planBatch(deliveries);
    const pushed: PushedWork[] = [];
    const deliveryIds = deliveries.map((d) => {
      const id = newId(d.receivedAt.getTime());
      const stored = encodeBody(d.body);
      insertDelivery.run(
        id,
        sqliteTime(d.receivedAt),
        d.format,
        d.status,
        stored.body,
        stored.encoding,
        d.bodySha256,
        d.contentType ?? null,
        d.userAgent ?? null,
        d.remoteAddr ?? null,
        d.source ?? 'webhook',
        d.events.length,
      );
      return id;
    });
    const outcomes = plan.firsts.map(({ delivery, eventIndex }): FirstOutcome => {
      const d = deliveries[delivery]!;
      const e = d.events[eventIndex]!;
      // Only an activity without a time can have its key kept past its event (see retention.ts).
      if (!e.occurredAt && keptKey.get(e.dedupeKey)) return null;
      const id = newId(d.receivedAt.getTime());
      const received = sqliteTime(d.receivedAt);
      const byReference = e.activityIndex != null;
      const stale = isStale(e.occurredAt, d.receivedAt, options.dedupeWindowMs);
      let state = stale ? 'stale' : 'pending';
      let leaseOwner: string | null = null;
      let leaseUntil: string | null = null;
      let completedAt: string | null = null;
      let handlers: string[] = [];
      if (attached && !stale) {
        handlers = wanted(attached.plan, e.type);
        if (handlers.length === 0) {
          state = 'done';
          completedAt = received;
        } else if (
          attached.outstanding.size + pushed.length < attached.plan.maxOutstanding &&
          !(attached.plan.perUserOrder && e.forUserId && olderElsewhere.get(e.forUserId, id, attached.plan.owner))
        ) {
          leaseOwner = attached.plan.owner;
          leaseUntil = sqliteTime(new Date(Date.now() + attached.plan.leaseMs));
        }
      }
      const row = upsertEvent.get(
        id,
        e.dedupeKey,
        e.type,
        e.action ?? null,
        e.forUserId ?? null,
        e.format,
        e.occurredAt ? sqliteTime(e.occurredAt) : null,
        received,
        deliveryIds[delivery],
        byReference ? null : (e.payload ?? 'null'),
        byReference ? null : (e.sideObjects ?? null),
        byReference ? e.activityIndex : null,
        state,
        received,
        leaseOwner,
        leaseUntil,
        completedAt,
      ) as { id: string };
      if (row.id !== id) return null;
      if (stale) return { id, stale };
      if (attached && state === 'pending') {
        const runs: HandlerRunRow[] = handlers.map((handler) => {
          const runId = newId(d.receivedAt.getTime());
          insertRun.run(runId, id, handler, received);
          return { id: runId, eventId: id, handler, state: 'pending', attempts: 0, nextAttemptAt: d.receivedAt };
        });
        if (leaseOwner) {
          pushed.push({
            event: {
              id,
              dedupeKey: e.dedupeKey,
              type: e.type,
              action: e.action ?? null,
              forUserId: e.forUserId ?? null,
              format: e.format,
              occurredAt: e.occurredAt ?? null,
              receivedAt: d.receivedAt,
              // Kept by reference without its text (a delivery of one activity): the body goes along
              // and the dispatcher parses the activity from it when a handler reads it.
              payload: e.payload ?? (byReference ? null : 'null'),
              sideObjects: e.sideObjects ?? null,
              activity: e.payload === undefined && byReference ? { body: d.body, index: e.activityIndex! } : undefined,
            },
            runs,
          });
        }
      }
      return { id, stale };
    });
    for (const [key, count] of plan.repeats) addRepeats.run(count, key);
    const results = planResults(deliveries, plan, deliveryIds, outcomes);
    results.forEach((r, i) => {
      if (r.duplicates > 0 || r.status !== deliveries[i]!.status) markDuplicates.run(r.duplicates, r.status, r.deliveryId);
    });
    return { results, pushed };
  };
}
