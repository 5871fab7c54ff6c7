import type { RetentionConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Database } from './database.js';
import { prune } from './retention.js';

const DAY = 86_400_000;

/** The cut-off dates of a retention configuration at `now`. */
export function retentionPolicy(config: RetentionConfig, now = Date.now()) {
  const deliveriesBefore = new Date(now - config.days * DAY);
  const eventsBefore = new Date(now - Math.max(config.days, config.dedupeWindowDays) * DAY);
  return { deliveriesBefore, eventsBefore };
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
      if (result.events || result.deliveries) logger.info({ pruned: result }, 'retention: pruned old rows');
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
