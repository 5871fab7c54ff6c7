import { describe, expect, it } from 'vitest';
import { createMetricsHistory } from '../../src/console/metrics-history.js';
import { lineChart } from '../../src/console/pages/charts.js';
import { createMetrics, observeHandled } from '../../src/metrics/index.js';

describe('console metrics history: the /metrics counters sampled into a ring buffer', () => {
  it('turns counter increases between two readings into rates, and the lag histogram into a mean', async () => {
    const metrics = createMetrics();
    const history = createMetricsHistory(metrics, { intervalMs: 60_000 });
    try {
      await history.sample(); // the first reading: no interval yet
      const before = history.points().length;
      metrics.deliveries.inc({ result: 'accepted' }, 6);
      metrics.deliveries.inc({ result: 'bad_signature' }, 2);
      metrics.events.inc({ outcome: 'new' }, 10);
      observeHandled(metrics, { plugin: 'a', ok: false, seconds: 0.01, lagSeconds: 0.2 });
      observeHandled(metrics, { plugin: 'a', ok: true, seconds: 0.01, lagSeconds: 0.4 });
      await history.sample();
      const points = history.points();
      expect(points.length).toBe(before + 1);
      const p = points[points.length - 1]!;
      // The same counts /metrics shows, divided by the interval's seconds.
      const seconds = 8 / p.deliveriesPerSecond;
      expect(p.eventsPerSecond * seconds).toBeCloseTo(10, 6);
      expect(p.handlerFailuresPerSecond * seconds).toBeCloseTo(1, 6);
      expect(p.dispatchLagSeconds).toBeCloseTo(0.3, 6);
      await history.sample();
      expect(history.points().at(-1)!.dispatchLagSeconds).toBeNull(); // no handler started since
    } finally {
      history.close();
    }
  });

  it('keeps one hour of points at most', async () => {
    const metrics = createMetrics();
    const history = createMetricsHistory(metrics, { intervalMs: 600_000, windowMs: 3_600_000 });
    try {
      for (let i = 0; i < 10; i++) await history.sample();
      expect(history.points().length).toBe(6);
    } finally {
      history.close();
    }
  });

  it('draws a chart as inline SVG with a text summary, breaking the line where there is no value', () => {
    const now = Date.now();
    const points = [0, 1, 2, 3].map((i) => ({
      at: now - (3 - i) * 60_000,
      deliveriesPerSecond: i,
      eventsPerSecond: i,
      dispatchLagSeconds: i === 1 ? null : 0.5,
      handlerFailuresPerSecond: 0,
    }));
    const svg = String(lineChart('Dispatch lag', 'seconds', points, (p) => p.dispatchLagSeconds, now, 3_600_000));
    expect(svg).toContain('<svg viewBox="0 0 600 160" role="img"');
    expect(svg).toContain('latest 0.50 seconds');
    expect(svg.match(/<polyline/g)?.length).toBe(1); // points 2 and 3
    expect(svg.match(/<circle/g)?.length).toBe(1); // point 0 alone before the gap
    expect(svg).not.toContain('style=');
    expect(String(lineChart('Empty', 'x', [], () => 1, now, 3_600_000))).toContain('no data yet');
  });
});
