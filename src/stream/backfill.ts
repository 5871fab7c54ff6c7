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
 * before is reported as uncovered. A last-seen time ahead of `now` (the clock stepped back) asks
 * for the 5 minutes.
 */
export function planBackfill(lastSeen: Date | null, now: Date): BackfillPlan {
  if (!lastSeen) return { backfillMinutes: 0, gapMs: null, uncovered: null };
  const sinceMs = now.getTime() - lastSeen.getTime();
  // The saved time is ahead of this clock by more than the margin: the clock was stepped back (or
  // another host with a clock ahead saved it). How long the gap is cannot be told, so the
  // connection asks for all X gives rather than for a minute.
  if (sinceMs < -BACKFILL_MARGIN_MS) return { backfillMinutes: MAX_BACKFILL_MINUTES, gapMs: 0, uncovered: null };
  const gapMs = Math.max(0, sinceMs);
  const wanted = Math.ceil((gapMs + BACKFILL_MARGIN_MS) / 60_000);
  const backfillMinutes = Math.min(MAX_BACKFILL_MINUTES, Math.max(1, wanted));
  // Reported only past the window itself: the margin makes the request generous, not the report.
  if (gapMs <= MAX_BACKFILL_MINUTES * 60_000) return { backfillMinutes, gapMs, uncovered: null };
  const to = new Date(now.getTime() - MAX_BACKFILL_MINUTES * 60_000);
  return { backfillMinutes, gapMs, uncovered: { from: lastSeen, to, seconds: Math.max(0, (to.getTime() - lastSeen.getTime()) / 1000) } };
}

/**
 * How far a connection that asked for backfill has surely brought the stream, `elapsedMs` after it
 * opened at `openedAt`: X replays the window first ("older Posts are generally delivered first",
 * its filtered stream's docs; the activity stream's say nothing), with no marker where the replay
 * ends, and no time common to every event type to read progress from. Taking a replay to run at
 * least twice as fast as time passes (the activity stream is capped at 250 events a second, which
 * the inbox stores many times over), it has covered the window's start plus twice the time
 * connected; it reaches live after the window's own length. A position moved to a line's arrival
 * time during the replay said the whole window was stored: a connection cut mid-replay then asked
 * for too little backfill, and the rest of the window was lost without a gap being reported.
 */
export function replayedUpTo(openedAt: Date, backfillMinutes: number, elapsedMs: number): Date {
  return new Date(openedAt.getTime() - backfillMinutes * 60_000 + 2 * Math.max(0, elapsedMs));
}
