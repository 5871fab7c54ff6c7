/**
 * Per-user order claims: after a claim has taken each user's oldest pending event (the user's
 * head), it takes the events that follow the head in the same claim, so that a backlog over few
 * users does not drain one event per user per claim. Both work queues (Prisma, the SQLite
 * writer) use these rules with their own statements.
 *
 * A follower is taken only while every pending event between it and the head is taken too: the
 * user's next pending events in id order, up to the first that is not due or is leased to anyone.
 * Nobody else can take them meanwhile: under per-user order an event whose user has an older
 * pending event (the head, now leased) is not claimable.
 */

/**
 * How many followers to look for after each head: the claim's room shared by its heads (none when
 * every slot has a head of its own, as with many users).
 */
export function followersPerUser(limit: number, heads: number): number {
  return heads === 0 ? 0 : Math.max(0, Math.ceil(limit / heads) - 1);
}

/** The followers that may be taken: the free ones up to the first that is not. */
export function takeableFollowers(rows: Array<{ id: unknown; free: unknown }>): string[] {
  const ids: string[] = [];
  for (const r of rows) {
    if (Number(r.free) !== 1) break;
    ids.push(String(r.id));
  }
  return ids;
}

/**
 * A user's pending events after an id, in id order, each with whether it is free now (due, not
 * leased). Placeholders: now, now, user, after, limit. A seek in the (for_user_id, state, id) index.
 */
export const FOLLOWERS_SQL = `
    SELECT id, CASE WHEN available_at <= ? AND (lease_until IS NULL OR lease_until < ?) THEN 1 ELSE 0 END AS free
    FROM events WHERE for_user_id = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?`;
