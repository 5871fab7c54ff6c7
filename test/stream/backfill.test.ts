// What a (re)connection asks X for, and what it reports as not covered; the reconnect delays.
import { describe, expect, it } from 'vitest';
import { planBackfill } from '../../src/stream/backfill.js';
import { fullJitterDelay, rateLimitWaitMs } from '../../src/stream/backoff.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('planBackfill', () => {
  it('asks no backfill on the very first connection', () => {
    expect(planBackfill(null, NOW)).toEqual({ backfillMinutes: 0, gapMs: null, uncovered: null });
  });

  it('asks the minutes since the last thing received, rounded up with a margin, at least 1', () => {
    expect(planBackfill(ago(200), NOW).backfillMinutes).toBe(1);
    expect(planBackfill(ago(56_000), NOW).backfillMinutes).toBe(2);
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
  it('draws each delay below an exponential ceiling, capped (full jitter)', () => {
    expect(fullJitterDelay(1, 1000, 60_000, () => 0.999)).toBe(999);
    expect(fullJitterDelay(4, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(fullJitterDelay(30, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(fullJitterDelay(3, 1000, 60_000, () => 0)).toBe(0);
  });

  it('reads Retry-After (seconds or a date) before x-rate-limit-reset', () => {
    const now = NOW.getTime();
    expect(rateLimitWaitMs(new Headers({ 'retry-after': '30' }), now)).toBe(30_000);
    expect(rateLimitWaitMs(new Headers({ 'retry-after': new Date(now + 90_000).toUTCString() }), now)).toBe(90_000);
    expect(rateLimitWaitMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 120) }), now)).toBe(120_000);
    expect(rateLimitWaitMs(new Headers({}), now)).toBeNull();
  });
});
