import type { StreamConfig } from '../config/index.js';
import type { Attempt } from './attempt.js';
import { exponentialDelay, linearDelay, NETWORK_BACKOFF_MAX_MS, NETWORK_BACKOFF_STEP_MS } from './backoff.js';

/** A connection open this long was healthy: the backoff starts over after it. */
export const STABLE_MS = 10_000;

export type ReconnectConfig = Pick<StreamConfig, 'backoffInitialMs' | 'backoffMaxMs' | 'rateLimitMinWaitMs' | 'authRetryMs'>;

/**
 * How long to wait before the next connection attempt, as X's "Handling disconnections" page
 * says: after an established connection drops, the first retry at once; then, while retries fail
 * (until a connection stays open STABLE_MS), network errors back off linearly (250 ms steps, at
 * most 16 s) and HTTP errors exponentially (`backoffInitialMs` to `backoffMaxMs`), each delay
 * with jitter up to the next step; a 429 waits for Retry-After / x-rate-limit-reset, at least
 * `rateLimitMinWaitMs` (doubling while 429s repeat); 401/403 wait `authRetryMs`.
 */
export class ReconnectSchedule {
  readonly #config: ReconnectConfig;
  readonly #random: () => number;
  // Failed attempts since the last stable connection, per X's kind of error (each its own backoff).
  #networkFailures = 0;
  #httpFailures = 0;
  #retriedAtOnce = false;
  #rateLimited = 0;
  #readFailures = 0;

  constructor(config: ReconnectConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  /** The saved position could not be read from the store: exponential, as HTTP errors. */
  afterReadFailure(): number {
    this.#readFailures++;
    return exponentialDelay(this.#readFailures, this.#config.backoffInitialMs, this.#config.backoffMaxMs, this.#random);
  }

  /** The wait after an attempt that ended (not stopped). */
  after(attempt: Attempt): number {
    const config = this.#config;
    if (attempt.opened && (attempt.openMs ?? 0) >= STABLE_MS) {
      this.#networkFailures = 0;
      this.#httpFailures = 0;
      this.#retriedAtOnce = false;
    }
    if (attempt.reason !== 'rate_limited') this.#rateLimited = 0;
    if (attempt.reason === 'unauthorized') return config.authRetryMs;
    if (attempt.reason === 'rate_limited') {
      this.#rateLimited++;
      const floor = Math.min(config.rateLimitMinWaitMs * 2 ** Math.min(this.#rateLimited - 1, 20), Math.max(config.backoffMaxMs, config.rateLimitMinWaitMs));
      return Math.max(attempt.waitMs ?? 0, floor);
    }
    if (attempt.opened && !this.#retriedAtOnce) {
      // X: "Once an established connection drops, attempt to reconnect immediately. If the
      // reconnect fails, use backoff strategies based on the error type".
      this.#retriedAtOnce = true;
      return 0;
    }
    if (attempt.reason === 'http_error' || attempt.reason === 'store') {
      // HTTP errors: exponential from XAA_STREAM_BACKOFF_INITIAL_MS (X: 5 s) to the cap (X: 320 s).
      // A store refusing writes waits the same way: reconnecting faster would not help it.
      this.#httpFailures++;
      return exponentialDelay(this.#httpFailures, config.backoffInitialMs, config.backoffMaxMs, this.#random);
    }
    // TCP/IP errors (a refused or cut connection, no byte for the idle timeout, the stream
    // ended): linear, 250 ms more each attempt, at most 16 s.
    this.#networkFailures++;
    return linearDelay(this.#networkFailures, NETWORK_BACKOFF_STEP_MS, NETWORK_BACKOFF_MAX_MS, this.#random);
  }
}
