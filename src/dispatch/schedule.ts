export { DEFAULT_RETRY_SCHEDULE, parseSchedule } from '../config/durations.js';

/**
 * When to try again after failed attempt number `attempt` (1-based), or null when the schedule is
 * exhausted. ±20% jitter keeps a burst of failures from retrying in lockstep.
 */
export function nextRetry(schedule: readonly number[], attempt: number, now: number, random = Math.random): number | null {
  const delay = schedule[attempt - 1];
  if (delay === undefined) return null;
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return now + Math.round(delay * jitter);
}
