/** X's limit: a connection asks for at most 5 minutes of backfill (`backfill_minutes` 0-5). */
export const MAX_BACKFILL_MINUTES = 5;

/**
 * Added to a gap before it is rounded up to minutes: X measures the backfill by its own clock,
 * and events not yet delivered when the connection broke were stamped earlier: X's "Consuming
 * streaming data" page gives its streams a P99 latency of about 6-7 seconds, so the margin is
 * well above that.
 */
export const BACKFILL_MARGIN_MS = 15_000;

export interface BackfillPlan {
  /** What to ask X for: 0 when nothing was ever received (the first connection). */
  backfillMinutes: number;
  /** Time since the last thing received (an event stored, or a keep-alive); null: never received. */
  gapMs: number | null;
  /** The part of the gap no backfill reaches: events of it may be missing. */
  uncovered: { from: Date; to: Date; seconds: number } | null;
}

/**
 * The backfill a (re)connection asks for: the minutes since the last thing received, rounded up
 * (with a margin), at most X's 5. A longer gap is covered from `now - 5 minutes` only; what lies
 * before is reported as uncovered.
 */
export function planBackfill(lastSeen: Date | null, now: Date): BackfillPlan {
  if (!lastSeen) return { backfillMinutes: 0, gapMs: null, uncovered: null };
  const gapMs = Math.max(0, now.getTime() - lastSeen.getTime());
  const wanted = Math.ceil((gapMs + BACKFILL_MARGIN_MS) / 60_000);
  const backfillMinutes = Math.min(MAX_BACKFILL_MINUTES, Math.max(1, wanted));
  // Reported only past the window itself: the margin makes the request generous, not the report.
  if (gapMs <= MAX_BACKFILL_MINUTES * 60_000) return { backfillMinutes, gapMs, uncovered: null };
  const to = new Date(now.getTime() - MAX_BACKFILL_MINUTES * 60_000);
  return { backfillMinutes, gapMs, uncovered: { from: lastSeen, to, seconds: Math.max(0, (to.getTime() - lastSeen.getTime()) / 1000) } };
}
