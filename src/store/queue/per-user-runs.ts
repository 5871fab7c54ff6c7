/**
 * Per-user order claims. A claim takes users' oldest pending events (their heads) that are due and
 * free, then the events that follow each head in the same claim, so that a backlog over few users
 * does not drain one event per user per claim. Both work queues (Prisma, the SQLite writer) use
 * these rules with their own statements.
 *
 * Heads are found in two steps, so that a claim costs about what it takes, not the backlog:
 * 1. the window: the first `headWindow(limit)` due, free events in due order, each checked for an
 *    older pending event of its user (WINDOW_SQL). Its heads come first, earliest due first.
 * 2. only when the window was full and found fewer heads than the claim has room for (most of its
 *    events wait behind their users' heads: a few users with long backlogs), users one after
 *    another in the (state, for_user_id, id) index, from where the last such claim stopped, their
 *    heads taken when due and free (USER_HEADS_SQL): one seek to each next user and one to its
 *    head, so users with long backlogs cost no more than others, and each user gets its turn;
 *    in turn with them, the oldest due events that have no user (NO_USER_SQL).
 * A single walk over every due event (what this replaced) read a user's whole backlog on every
 * claim: 10 ms a claim with 24,000 events of one user pending, on the writer's thread.
 *
 * A follower is taken only while every pending event between it and the head is taken too: the
 * user's next pending events in id order, up to the first that is not due or is leased to anyone.
 * Nobody else can take them meanwhile: under per-user order an event whose user has an older
 * pending event (the head, now leased) is not claimable.
 */

/** How many due, free events a claim looks at in due order before it looks user by user. */
export function headWindow(limit: number): number {
  return Math.max(32, limit * 2);
}

/** A candidate head as both queries return it. */
export interface HeadRow {
  id: unknown;
  for_user_id: unknown;
  /** WINDOW_SQL only: 1 when no older event of the same user is pending (always 1 without a user). */
  head?: unknown;
}

/** Picks the heads of one queue's claims, and remembers where its look user by user stopped. */
export class HeadPicker {
  #after = '';

  /**
   * Whether the claim must look beyond the window: it was full (more events are due than it read)
   * and held fewer heads than the claim has room for.
   */
  beyondWindow(window: HeadRow[], limit: number): boolean {
    return window.length >= headWindow(limit) && heads(window).length < limit;
  }

  /**
   * Where to look user by user beyond the window: the users after the last one taken that way
   * and, when that was not the first, then from the first user again. Each entry is the user id
   * to start after (USER_HEADS_SQL's first placeholder).
   */
  userPasses(): string[] {
    return this.#after === '' ? [''] : [this.#after, ''];
  }

  /**
   * The ids to lease, `limit` at most: the window's heads first, then, in turn, one found user by
   * user (`byUser`) and one of the due events without a user (`noUser`, NO_USER_SQL), which have
   * no order to keep and which the look by user cannot see.
   */
  choose(window: HeadRow[], limit: number, byUser: HeadRow[] = [], noUser: HeadRow[] = []): string[] {
    const chosen = new Set<string>();
    for (const r of heads(window)) if (chosen.size < limit) chosen.add(String(r.id));
    for (let i = 0; chosen.size < limit && (i < byUser.length || i < noUser.length); i++) {
      const u = byUser[i];
      if (u && !chosen.has(String(u.id))) {
        chosen.add(String(u.id));
        this.#after = String(u.for_user_id);
      }
      const n = noUser[i];
      if (n && chosen.size < limit) chosen.add(String(n.id));
    }
    return [...chosen];
  }
}

function heads(window: HeadRow[]): HeadRow[] {
  return window.filter((r) => Number(r.head) === 1);
}

/**
 * The window: the first due, free events in due order (the (state, available_at, id) index), each
 * with whether it is its user's head (a seek in the (state, for_user_id, id) index). Placeholders:
 * now, now, window size.
 */
export const WINDOW_SQL = `
    SELECT e.id, e.for_user_id,
      CASE WHEN e.for_user_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM events p WHERE p.state = 'pending' AND p.for_user_id = e.for_user_id AND p.id < e.id) THEN 1 ELSE 0 END AS head
    FROM events e
    WHERE e.state = 'pending' AND e.available_at <= ? AND (e.lease_until IS NULL OR e.lease_until < ?)
    ORDER BY e.available_at, e.id LIMIT ?`;

/**
 * Users' heads that are due and free, in user id order after a user id ('' for the first): the
 * users that have pending events are walked in the (state, for_user_id, id) index, one seek from
 * each to the next, and each user's head is one more seek; the walk stops when `limit` are found.
 * Placeholders: after, now, now, limit.
 */
export const USER_HEADS_SQL = `
    WITH RECURSIVE users(uid) AS (
      SELECT (SELECT for_user_id FROM events WHERE state = 'pending' AND for_user_id > ? ORDER BY for_user_id LIMIT 1)
      UNION ALL
      SELECT (SELECT for_user_id FROM events WHERE state = 'pending' AND for_user_id > users.uid ORDER BY for_user_id LIMIT 1)
      FROM users WHERE users.uid IS NOT NULL
    )
    SELECT h.id, h.for_user_id FROM users
    JOIN events h ON h.id = (SELECT id FROM events WHERE state = 'pending' AND for_user_id = users.uid ORDER BY id LIMIT 1)
    WHERE h.available_at <= ? AND (h.lease_until IS NULL OR h.lease_until < ?)
    LIMIT ?`;

/**
 * Due, free events without a user (filtered-stream matches, news), oldest first: a seek in the
 * (state, for_user_id, id) index, read in its order until `limit` are found. `for_user_id` (all
 * NULL) is in the ORDER BY so that PostgreSQL reads the index in order rather than sort every
 * match, and the due time is compared through COALESCE so that SQLite does not walk every due
 * event in the (state, available_at, id) index instead. Placeholders: now, now, limit.
 */
export const NO_USER_SQL = `
    SELECT id, for_user_id FROM events
    WHERE state = 'pending' AND for_user_id IS NULL
      AND COALESCE(available_at, available_at) <= ? AND (lease_until IS NULL OR lease_until < ?)
    ORDER BY for_user_id, id LIMIT ?`;

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
 * leased). Placeholders: now, now, user, after, limit. A seek in the (state, for_user_id, id) index.
 */
export const FOLLOWERS_SQL = `
    SELECT id, CASE WHEN available_at <= ? AND (lease_until IS NULL OR lease_until < ?) THEN 1 ELSE 0 END AS free
    FROM events WHERE state = 'pending' AND for_user_id = ? AND id > ? ORDER BY id LIMIT ?`;
