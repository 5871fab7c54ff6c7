// What a (re)connection asks X for, and what it reports as not covered; the reconnect delays.
import { describe, expect, it } from 'vitest';
import { planBackfill, replayedUpTo } from '../../src/stream/backfill.js';
import { exponentialDelay, linearDelay, rateLimitWaitMs } from '../../src/stream/backoff.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('replayedUpTo: how far a connection that asked for backfill has surely brought the stream', () => {
  it("starts at the window's start and moves twice as fast as time, reaching live after the window's length", () => {
    expect(replayedUpTo(NOW, 4, 0)).toEqual(ago(4 * 60_000));
    expect(replayedUpTo(NOW, 4, 60_000)).toEqual(ago(2 * 60_000));
    // Live (the time of arrival, NOW + elapsed) once connected for the window's 4 minutes.
    expect(replayedUpTo(NOW, 4, 4 * 60_000)).toEqual(new Date(NOW.getTime() + 4 * 60_000));
    // A short connection of a flapping stream (1 minute asked, cut after 30 s) still moves it on.
    expect(replayedUpTo(NOW, 1, 30_000)).toEqual(NOW);
  });
});

describe('planBackfill', () => {
  it('asks no backfill on the very first connection', () => {
    expect(planBackfill(null, NOW)).toEqual({ backfillMinutes: 0, gapMs: null, uncovered: null });
  });

  it('asks for all X gives when the saved time is ahead of the clock (stepped back): the gap cannot be told', () => {
    const ahead = new Date(NOW.getTime() + 10 * 60_000);
    expect(planBackfill(ahead, NOW)).toEqual({ backfillMinutes: 5, gapMs: 0, uncovered: null });
    // Within the margin, a clock a little behind the one that saved is a gap of 0.
    expect(planBackfill(new Date(NOW.getTime() + 5_000), NOW)).toEqual({ backfillMinutes: 1, gapMs: 0, uncovered: null });
  });

  it('asks the minutes since the last thing received, rounded up with a margin, at least 1', () => {
    expect(planBackfill(ago(200), NOW).backfillMinutes).toBe(1);
    expect(planBackfill(ago(56_000), NOW).backfillMinutes).toBe(2);
    // An event X delivers 6-7 s late (its P99) must still be in the window: 46 s + that > 1 minute.
    expect(planBackfill(ago(46_000), NOW).backfillMinutes).toBe(2);
    expect(planBackfill(ago(44_000), NOW).backfillMinutes).toBe(1);
    expect(planBackfill(ago(3 * 60_000), NOW).backfillMinutes).toBe(4);
    const edge = planBackfill(ago(5 * 60_000), NOW);
    expect(edge).toMatchObject({ backfillMinutes: 5, uncovered: null });
  });

  it('reports what lies before X’s 5 minutes when the gap is longer', () => {
    const plan = planBackfill(ago(12 * 60_000), NOW);
    expect(plan.backfillMinutes).toBe(5);
    expect(plan.gapMs).toBe(12 * 60_000);
    expect(plan.uncovered).toEqual({ from: ago(12 * 60_000), to: ago(5 * 60_000), seconds: 420 });
  });
});

describe('reconnect delays', () => {
  it("backs off HTTP errors exponentially as X advises (5 s, doubling, at most 320 s), jitter only up to the next step", () => {
    expect([1, 2, 3, 7, 8, 30].map((n) => exponentialDelay(n, 5_000, 320_000, () => 0))).toEqual([5_000, 10_000, 20_000, 320_000, 320_000, 320_000]);
    expect(exponentialDelay(1, 5_000, 320_000, () => 0.999)).toBe(9_995);
    expect(exponentialDelay(6, 5_000, 320_000, () => 0.999)).toBe(160_000 + 159_840);
    expect(exponentialDelay(7, 5_000, 320_000, () => 0.999)).toBe(320_000);
  });

  it('backs off network errors linearly as X advises (250 ms more each attempt, at most 16 s)', () => {
    expect([1, 2, 3, 63, 64, 1000].map((n) => linearDelay(n, 250, 16_000, () => 0))).toEqual([250, 500, 750, 15_750, 16_000, 16_000]);
    expect(linearDelay(1, 250, 16_000, () => 0.999)).toBe(499);
    expect(linearDelay(63, 250, 16_000, () => 0.999)).toBe(15_999);
    expect(linearDelay(64, 250, 16_000, () => 0.999)).toBe(16_000);
  });

  it('reads Retry-After (seconds or a date) before x-rate-limit-reset', () => {
    const now = NOW.getTime();
    expect(rateLimitWaitMs(new Headers({ 'retry-after': '30' }), now)).toBe(30_000);
    expect(rateLimitWaitMs(new Headers({ 'retry-after': new Date(now + 90_000).toUTCString() }), now)).toBe(90_000);
    expect(rateLimitWaitMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 120) }), now)).toBe(120_000);
    expect(rateLimitWaitMs(new Headers({}), now)).toBeNull();
    // The window used up: its reset. Requests left in it: not the window's 429 (X's
    // TooManyConnections), so no wait of its own (the doubling floor applies).
    const reset = String(now / 1000 + 600);
    expect(rateLimitWaitMs(new Headers({ 'x-rate-limit-reset': reset, 'x-rate-limit-remaining': '0' }), now)).toBe(600_000);
    expect(rateLimitWaitMs(new Headers({ 'x-rate-limit-reset': reset, 'x-rate-limit-remaining': '449' }), now)).toBeNull();
  });
});
