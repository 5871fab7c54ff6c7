import { activitiesOf } from '../../normalize/prepare.js';
import { decodeBody } from './body-codec.js';
import type { Db } from '../database.js';

/** An event row as stored: its payload inline, or by reference into its delivery's body. */
export interface StoredActivity {
  payload: string | null;
  sideObjects: string | null;
  deliveryId: string;
  activityIndex: number | null;
}

/** Rows stored by reference, whose delivery bodies must be loaded to read their payload. */
export function deliveriesToLoad(rows: readonly StoredActivity[]): string[] {
  return [...new Set(rows.filter((r) => r.payload === null && r.activityIndex !== null).map((r) => r.deliveryId))];
}

/** A delivery's body as stored (select `body` and `bodyEncoding`). */
export interface StoredBodyRow {
  body: Uint8Array;
  bodyEncoding: string | null;
}

/**
 * The payload and side objects of each row as JSON text, reading those stored by reference from
 * their delivery's body (`bodies`: delivery id -> stored body). A body that no longer yields the activity
 * (which only a changed normalizer could cause) gives the whole body as the payload, so that the
 * data as X sent it still reaches the handler.
 */
export function readActivities(
  rows: readonly StoredActivity[],
  bodies: ReadonlyMap<string, StoredBodyRow>,
): Array<{ payload: string; sideObjects: string | null }> {
  // Each body is normalized once, however many of its events are read.
  const normalized = new Map<string, ReturnType<typeof activitiesOf>>();
  return rows.map((r) => {
    if (r.payload !== null || r.activityIndex === null) return { payload: r.payload ?? 'null', sideObjects: r.sideObjects };
    const stored = bodies.get(r.deliveryId);
    if (!stored) return { payload: 'null', sideObjects: r.sideObjects };
    let all = normalized.get(r.deliveryId);
    if (!all) normalized.set(r.deliveryId, (all = activitiesOf(decodeBody(stored.body, stored.bodyEncoding))));
    const activity = all[r.activityIndex];
    if (activity) return activity;
    return { payload: decodeBody(stored.body, stored.bodyEncoding).toString('utf8'), sideObjects: r.sideObjects };
  });
}

/** The payload and side objects of stored events, those kept by reference read from their delivery. */
export async function loadActivities(prisma: Db, rows: StoredActivity[]) {
  const ids = deliveriesToLoad(rows);
  const bodies = ids.length ? await prisma.delivery.findMany({ where: { id: { in: ids } }, select: { id: true, body: true, bodyEncoding: true } }) : [];
  return readActivities(rows, new Map(bodies.map((b) => [b.id, b])));
}
