import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { threadCpuSeconds } from '../runtime/thread-cpu.js';

/** Every result a webhook POST can have. */
export type DeliveryResult =
  | 'accepted'
  | 'duplicate'
  | 'stale'
  | 'bad_signature'
  | 'unparseable'
  | 'rejected'
  | 'unavailable'
  /** 503: the body budget, or the client's share of it, was taken. */
  | 'over_budget'
  /** 408: the body arrived slower than the minimum upload rate. */
  | 'too_slow';

/** The product's Prometheus series, on a registry of their own (one per app instance). */
export function createMetrics(options: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'xaa_deliveries_total',
      help: 'Webhook POSTs by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    events: new Counter({
      name: 'xaa_events_total',
      help: 'Events received, by outcome: new, duplicate, or stale (older than the dedupe window: stored, not dispatched)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    crc: new Histogram({
      name: 'xaa_crc_duration_seconds',
      help: 'Time to answer a CRC challenge',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers: [registry],
    }),
    commit: new Histogram({
      name: 'xaa_store_commit_duration_seconds',
      help: 'Time of one inbox transaction (group commit), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    commitBatch: new Histogram({
      name: 'xaa_store_commit_batch_size',
      help: 'Deliveries per inbox transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'xaa_handler_duration_seconds',
      help: 'Handler run time, by plugin and outcome',
      labelNames: ['plugin', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    handlerFailures: new Counter({
      name: 'xaa_handler_failures_total',
      help: 'Failed handler attempts, by plugin',
      labelNames: ['plugin'] as const,
      registers: [registry],
    }),
    storeWriteFailures: new Counter({
      name: 'xaa_store_write_failures_total',
      help: 'Deliveries the store could not commit (answered 503), by reason: full (disk or database full), busy (locked), unavailable',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    streamConnected: new Gauge({
      name: 'xaa_stream_connected',
      help: 'Whether the XAA persistent stream (GET /2/activity/stream) is connected (1) or not (0)',
      registers: [registry],
    }),
    streamReconnects: new Counter({
      name: 'xaa_stream_reconnects_total',
      help: 'Reconnections of the persistent stream, by what ended the previous attempt: closed, idle, network, http_error, rate_limited, unauthorized, store',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    streamGap: new Gauge({
      name: 'xaa_stream_gap_seconds',
      help: 'At the last (re)connection: seconds since the stream last received something (an event stored or a keep-alive)',
      registers: [registry],
    }),
    streamUncoveredGap: new Counter({
      name: 'xaa_stream_uncovered_gap_seconds_total',
      help: "Seconds of stream disconnection that X's backfill (5 minutes at most) did not cover: events of that time may be missing",
      registers: [registry],
    }),
    streamEvents: new Counter({
      name: 'xaa_stream_events_total',
      help: 'Events received from the persistent stream and stored, by outcome: new, duplicate (already received, by webhook or an earlier connection), stale, unparseable',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    dispatchLag: new Histogram({
      name: 'xaa_dispatch_lag_seconds',
      help: 'Time from receiving an event to the start of its first handler attempt',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Queue depth and dead-letter depth, read from the store at each scrape. */
export function registerQueueGauges(metrics: Metrics, stats: () => Promise<{ pending: number; deadLetters: number }>): void {
  let last: Promise<{ pending: number; deadLetters: number }> | undefined;
  // One store query per scrape, shared by both gauges.
  const read = () => (last ??= stats().finally(() => setTimeout(() => (last = undefined), 100).unref()));
  new Gauge({
    name: 'xaa_queue_depth',
    help: 'Stored events not yet completed by every handler',
    registers: [metrics.registry],
    async collect() {
      this.set((await read()).pending);
    },
  });
  new Gauge({
    name: 'xaa_dead_letters',
    help: 'Dead letters not yet redriven',
    registers: [metrics.registry],
    async collect() {
      this.set((await read()).deadLetters);
    },
  });
}

/** Records one handler attempt's outcome (duration, failure, and lag on a first attempt). */
export function observeHandled(
  metrics: Metrics,
  { plugin, ok, seconds, lagSeconds }: { plugin: string; ok: boolean; seconds: number; lagSeconds: number | null },
): void {
  metrics.handlerDuration.observe({ plugin, outcome: ok ? 'ok' : 'failed' }, seconds);
  if (!ok) metrics.handlerFailures.inc({ plugin });
  if (lagSeconds !== null) metrics.dispatchLag.observe(lagSeconds);
}

/** Whether the inbox commits deliveries (1) or not (0, with the reason on xaa_store_write_failures_total). */
/** The webhook body budget's bytes in flight, read when scraped (nothing is written per request). */
export function registerBodyBudgetGauge(metrics: Metrics, inFlight: () => number): void {
  new Gauge({
    name: 'xaa_webhook_body_bytes_in_flight',
    help: 'Request-body bytes reserved by webhook deliveries being received or processed (WEBHOOK_BODY_BUDGET_BYTES bounds it)',
    registers: [metrics.registry],
    collect() {
      this.set(inFlight());
    },
  });
}

export function registerStoreGauge(metrics: Metrics, health: () => { writable: boolean; reason: string | null }): void {
  new Gauge({
    name: 'xaa_store_writable',
    help: 'Whether deliveries are being committed (1) or are answered 503 because the store cannot take them (0)',
    registers: [metrics.registry],
    collect() {
      this.set(health().writable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'xaa_store_full',
    help: 'Whether the disk or the database is full (1: deliveries are answered 503 until space returns)',
    registers: [metrics.registry],
    collect() {
      this.set(health().reason === 'full' ? 1 : 0);
    },
  });
}

/**
 * CPU seconds by thread of the process (Linux): main (HTTP, CRC, console), sqlite_writer,
 * dispatch, other (V8's garbage-collection helpers and the rest). A thread near one second per
 * second is what limits intake. Read when scraped.
 */
export function registerThreadCpuCounter(metrics: Metrics): void {
  new Counter({
    name: 'xaa_thread_cpu_seconds_total',
    help: 'CPU time by thread of this process (Linux only): main (HTTP, CRC, console), sqlite_writer, dispatch, other (garbage-collection helpers and the rest)',
    labelNames: ['thread'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [thread, seconds] of threadCpuSeconds()) this.inc({ thread }, seconds);
    },
  });
}
