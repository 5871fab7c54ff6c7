// The waits between connection attempts, chosen from how each attempt ended (X's "Handling
// disconnections"): the schedule alone, without a connection (the consumer tests see it over HTTP).
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/stream/attempt.js';
import { ReconnectSchedule, STABLE_MS } from '../../src/stream/reconnect.js';

const CONFIG = { backoffInitialMs: 5_000, backoffMaxMs: 320_000, rateLimitMinWaitMs: 60_000, authRetryMs: 900_000 };
const schedule = () => new ReconnectSchedule(CONFIG, () => 0);
const dropped = (openMs: number, reason: Attempt['reason'] = 'closed'): Attempt => ({ reason, opened: true, openMs });
const refused = (reason: Attempt['reason'], extra: Partial<Attempt> = {}): Attempt => ({ reason, opened: false, ...extra });

describe('ReconnectSchedule', () => {
  it('retries an established connection at once, then backs off by the kind of error until one stays open', () => {
    const s = schedule();
    expect(s.after(dropped(STABLE_MS))).toBe(0);
    expect(s.after(refused('network'))).toBe(250);
    expect(s.after(refused('http_error', { status: 503 }))).toBe(5_000);
    expect(s.after(refused('network'))).toBe(500);
    expect(s.after(refused('idle'))).toBe(750);
    expect(s.after(refused('http_error', { status: 503 }))).toBe(10_000);
    // Open, but briefly: not at once again, and the backoff goes on.
    expect(s.after(dropped(STABLE_MS - 1))).toBe(1_000);
    // Open long enough: everything starts over.
    expect(s.after(dropped(STABLE_MS))).toBe(0);
    expect(s.after(refused('http_error', { status: 503 }))).toBe(5_000);
    expect(s.after(refused('network'))).toBe(250);
  });

  it('waits for a store that could not commit an event as for an HTTP error, after the one retry at once', () => {
    const s = schedule();
    expect(s.after(dropped(1_000, 'store'))).toBe(0);
    expect(s.after(dropped(1_000, 'store'))).toBe(5_000);
    expect(s.after(dropped(1_000, 'store'))).toBe(10_000);
  });

  it('waits after a 429 for what X asks, at least the minimum, doubling while 429s repeat up to the backoff cap', () => {
    const s = schedule();
    expect(s.after(refused('rate_limited', { status: 429, waitMs: 90_000 }))).toBe(90_000);
    expect(s.after(refused('rate_limited', { status: 429, waitMs: 1_000 }))).toBe(120_000);
    expect(s.after(refused('rate_limited', { status: 429 }))).toBe(240_000);
    expect(s.after(refused('rate_limited', { status: 429 }))).toBe(320_000);
    expect(s.after(refused('rate_limited', { status: 429 }))).toBe(320_000);
    // Anything else in between: the next 429 starts from the minimum again.
    s.after(refused('http_error', { status: 503 }));
    expect(s.after(refused('rate_limited', { status: 429 }))).toBe(60_000);
  });

  it('waits authRetryMs after X refuses the token, whatever came before', () => {
    const s = schedule();
    expect(s.after(refused('unauthorized', { status: 401 }))).toBe(900_000);
    expect(s.after(dropped(STABLE_MS))).toBe(0);
    expect(s.after(refused('unauthorized', { status: 403 }))).toBe(900_000);
  });

  it('backs off reading the saved position exponentially, on its own count', () => {
    const s = schedule();
    s.after(refused('http_error', { status: 503 }));
    expect([s.afterReadFailure(), s.afterReadFailure(), s.afterReadFailure()]).toEqual([5_000, 10_000, 20_000]);
  });
});
