import type { RetentionConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Database } from './database.js';
import { prune, type RetentionPolicy } from './retention.js';

const DAY = 86_400_000;

/**
 * The cut-off dates of a retention configuration at `now`. Nothing that holds a dedupe key goes
 * before the dedupe window has passed: events, unhandled ones included, are kept at least that long.
 */
export function retentionPolicy(
  config: Pick<RetentionConfig, 'days' | 'dedupeWindowDays'> & Partial<RetentionConfig>,
  now = Date.now(),
): RetentionPolicy {
  const untimedKeyDays = config.untimedKeyDays ?? 365;
  return {
    deliveriesBefore: new Date(now - config.days * DAY),
    eventsBefore: new Date(now - Math.max(config.days, config.dedupeWindowDays) * DAY),
    staleBefore: new Date(now - config.dedupeWindowDays * DAY),
    ...(config.unhandledDays ? { unhandledBefore: new Date(now - Math.max(config.unhandledDays, config.dedupeWindowDays) * DAY) } : {}),
    keepUntimedKeysUntil: untimedKeyDays > 0 ? new Date(now + untimedKeyDays * DAY) : null,
    now: new Date(now),
  };
}

/**
 * Prunes on a timer (first run shortly after start). Any number of processes may run it: the
 * deletes are idempotent. Returns a stop function. RETENTION_DAYS=0 disables it.
 */
export function startRetention(db: Database, config: RetentionConfig, logger: Logger): () => void {
  if (config.days <= 0) return () => {};
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const result = await prune(db, retentionPolicy(config));
      if (result.unhandled) {
        logger.warn(
          { unhandled: result.unhandled, days: config.unhandledDays },
          'retention: pruned events that no handler took (no plugin wanted their type, or no dispatcher ran): see RETENTION_UNHANDLED_DAYS',
        );
      }
      if (result.events || result.deliveries || result.expiredKeys) logger.info({ pruned: result }, 'retention: pruned old rows');
    } catch (err) {
      logger.warn({ err }, 'retention: pruning failed; will retry at the next interval');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(tick, Math.min(60_000, config.intervalMs));
  const timer = setInterval(tick, config.intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
