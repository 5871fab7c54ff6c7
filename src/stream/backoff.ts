/**
 * Exponential backoff with full jitter: the n-th delay (n from 1) is drawn uniformly below
 * min(cap, initial * 2^(n-1)), so that many clients cut off together do not come back together.
 */
export function fullJitterDelay(attempt: number, initialMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  return Math.floor(random() * ceiling);
}

/**
 * How long a 429 asks to wait, in ms from `nowMs`: Retry-After (seconds or an HTTP date), else
 * x-rate-limit-reset (X's UNIX time in seconds when the window resets); null when neither says.
 */
export function rateLimitWaitMs(headers: Headers, nowMs: number): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = Number(headers.get('x-rate-limit-reset'));
  if (headers.get('x-rate-limit-reset') !== null && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return null;
}
