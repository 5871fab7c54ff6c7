/**
 * X's "Handling disconnections" page: TCP/IP network errors back off linearly, 250 ms more each
 * attempt, at most 16 s (HTTP errors: exponentially from 5 s to 320 s, XAA_STREAM_BACKOFF_*).
 */
export const NETWORK_BACKOFF_STEP_MS = 250;
export const NETWORK_BACKOFF_MAX_MS = 16_000;

/**
 * The n-th delay (n from 1) of a linear backoff: n steps, at most `maxMs`, plus jitter up to the
 * next step, so that clients cut off together do not come back together, and no wait is shorter
 * than X's schedule or longer than its maximum.
 */
export function linearDelay(attempt: number, stepMs: number, maxMs: number, random: () => number = Math.random): number {
  const n = Math.max(1, attempt);
  return jittered(Math.min(maxMs, stepMs * n), Math.min(maxMs, stepMs * (n + 1)), random);
}

/** The n-th delay (n from 1) of an exponential backoff: initial * 2^(n-1), at most `capMs`, plus jitter up to the next step. */
export function exponentialDelay(attempt: number, initialMs: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  return jittered(base, Math.min(capMs, base * 2), random);
}

function jittered(base: number, next: number, random: () => number): number {
  return base + Math.floor(random() * Math.max(0, next - base));
}

/**
 * How long a 429 asks to wait, in ms from `nowMs`: Retry-After (seconds or an HTTP date), else
 * x-rate-limit-reset (X's UNIX time in seconds when the window resets) when the window is used up;
 * null when neither says. A 429 with requests left in the window (x-rate-limit-remaining above 0)
 * is not the window's: X's "TooManyConnections" (another connection still holds the stream's
 * slot, as in a rolling deploy) frees within seconds, and waiting for the window's reset, up to
 * 15 minutes, outlasted the 5 minutes a backfill can bring back. Such a 429 takes the doubling
 * wait from XAA_STREAM_RATE_LIMIT_MIN_WAIT_MS (X's advice for a 429: from a minute, doubling).
 */
export function rateLimitWaitMs(headers: Headers, nowMs: number): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const remaining = headers.get('x-rate-limit-remaining');
  if (remaining !== null && Number(remaining) > 0) return null;
  const reset = Number(headers.get('x-rate-limit-reset'));
  if (headers.get('x-rate-limit-reset') !== null && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return null;
}
