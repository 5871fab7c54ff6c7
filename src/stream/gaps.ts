import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { BackfillPlan } from './backfill.js';
import type { StreamPosition } from './position.js';

/**
 * The gaps in what the stream received: xaa_stream_gap_seconds at each connection attempt, and
 * the part of a gap no backfill reaches (X's 5 minutes at most), reported once a connection opens
 * (logged, counted in xaa_stream_uncovered_gap_seconds_total, recorded in stream_gaps): each part
 * of it once, however many attempts failed before, or were cut off before their backfill was stored.
 */
export class GapAccounting {
  readonly #d: { metrics: Metrics; logger: Logger; position: Pick<StreamPosition, 'recordGap'>; now: () => Date };
  /** The end of the last uncovered gap reported (ms), so that a gap is reported once. */
  #reportedUntil = 0;

  constructor(deps: { metrics: Metrics; logger: Logger; position: Pick<StreamPosition, 'recordGap'>; now: () => Date }) {
    this.#d = deps;
  }

  /** A connection attempt with this plan: the gauge of the time since the stream last received something. */
  measured(plan: BackfillPlan): void {
    if (plan.gapMs !== null) this.#d.metrics.streamGap.set(plan.gapMs / 1000);
  }

  /**
   * What the backfill of a connection just opened does not reach: the part of it not reported by
   * an earlier connection (one whose backfill was cut off before it was stored). Never throws.
   */
  async reportUncovered(whole: NonNullable<BackfillPlan['uncovered']>): Promise<void> {
    const { logger, metrics } = this.#d;
    const fromMs = Math.max(whole.from.getTime(), this.#reportedUntil);
    if (fromMs >= whole.to.getTime()) return;
    this.#reportedUntil = whole.to.getTime();
    const uncovered = { from: new Date(fromMs), to: whole.to, seconds: (whole.to.getTime() - fromMs) / 1000 };
    metrics.streamUncoveredGap.inc(uncovered.seconds);
    logger.warn(
      { from: uncovered.from.toISOString(), to: uncovered.to.toISOString(), seconds: Math.round(uncovered.seconds) },
      `stream: disconnected longer than X's 5 minutes of backfill: events from ${uncovered.from.toISOString()} to ${uncovered.to.toISOString()} may be missing (a webhook, or a replay to one, can bring them)`,
    );
    try {
      await this.#d.position.recordGap({ ...uncovered, detectedAt: this.#d.now() });
    } catch (err) {
      logger.warn({ err }, 'stream: could not record the uncovered gap in the store');
    }
  }
}
