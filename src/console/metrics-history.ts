import type { Metrics } from '../metrics/index.js';

/**
 * The last hour of the figures /metrics exposes, for the console's charts: every `intervalMs`
 * the registry's counters are read (the same objects /metrics renders) and the rate since the
 * previous reading kept in a ring buffer. Nothing else is counted: the charts and Prometheus
 * cannot disagree.
 */

export interface HistoryPoint {
  /** End of the interval (ms since the epoch). */
  at: number;
  deliveriesPerSecond: number;
  eventsPerSecond: number;
  /** Mean time from receipt to a first handler attempt over the interval, in seconds (null: none started). */
  dispatchLagSeconds: number | null;
  handlerFailuresPerSecond: number;
}

export interface MetricsHistory {
  points(): HistoryPoint[];
  readonly intervalMs: number;
  /** Reads the counters now (the timer does this every intervalMs). */
  sample(): Promise<void>;
  close(): void;
}

interface Reading {
  at: number;
  deliveries: number;
  events: number;
  failures: number;
  lagSum: number;
  lagCount: number;
}

type MetricValues = { values: Array<{ value: number; metricName?: string }> };

const sum = (m: MetricValues, name?: string) => m.values.filter((v) => !name || v.metricName === name).reduce((t, v) => t + v.value, 0);

export function createMetricsHistory(metrics: Metrics, options: { intervalMs?: number; windowMs?: number } = {}): MetricsHistory {
  const intervalMs = options.intervalMs ?? 10_000;
  const capacity = Math.ceil((options.windowMs ?? 3_600_000) / intervalMs);
  const ring: HistoryPoint[] = [];
  let previous: Reading | undefined;

  async function read(): Promise<Reading> {
    const [deliveries, events, failures, lag] = await Promise.all([
      metrics.deliveries.get(),
      metrics.events.get(),
      metrics.handlerFailures.get(),
      metrics.dispatchLag.get(),
    ]);
    return {
      at: Date.now(),
      deliveries: sum(deliveries),
      events: sum(events),
      failures: sum(failures),
      lagSum: sum(lag, 'xaa_dispatch_lag_seconds_sum'),
      lagCount: sum(lag, 'xaa_dispatch_lag_seconds_count'),
    };
  }

  // One reading at a time, in order (the timer's and a caller's never interleave).
  let queue: Promise<void> = Promise.resolve();
  const sample = (): Promise<void> => (queue = queue.then(take, take));

  async function take(): Promise<void> {
    const now = await read();
    if (previous) {
      const seconds = Math.max((now.at - previous.at) / 1000, 0.001);
      const started = now.lagCount - previous.lagCount;
      ring.push({
        at: now.at,
        deliveriesPerSecond: (now.deliveries - previous.deliveries) / seconds,
        eventsPerSecond: (now.events - previous.events) / seconds,
        dispatchLagSeconds: started > 0 ? (now.lagSum - previous.lagSum) / started : null,
        handlerFailuresPerSecond: (now.failures - previous.failures) / seconds,
      });
      if (ring.length > capacity) ring.shift();
    }
    previous = now;
  }

  void sample().catch(() => undefined);
  const timer = setInterval(() => void sample().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    points: () => [...ring],
    intervalMs,
    sample,
    close: () => clearInterval(timer),
  };
}
