import { randomBytes } from 'node:crypto';
import type { AnyXEvent, EventFormat } from '../events/index.js';
import type { Logger } from '../log/index.js';
import { handlersFor, wants, type RegisteredPlugin } from '../plugins/registry.js';
import type { HandlerContext } from '../plugins/types.js';
import {
  claimEvents,
  ensureRuns,
  Inbox,
  recordOutcomes,
  recordReleasedAttempt,
  releaseEvents,
  renewLeases,
  type Database,
  type EventOutcome,
  type HandlerRunRow,
  type QueuedEvent,
} from '../store/index.js';
import { nextRetry } from './schedule.js';

export interface DispatcherOptions {
  db: Database;
  plugins: RegisteredPlugin[];
  logger: Logger;
  /** Delays before each retry, in ms; attempts = length + 1. */
  retrySchedule: number[];
  /** Events handled at once by this process. */
  concurrency?: number;
  /** Keep the events of one subscribed user in order (one at a time, oldest first). */
  perUserOrder?: boolean;
  leaseMs?: number;
  /** How often to look for work when nothing woke the dispatcher. */
  pollMs?: number;
  /** The clock (tests drive a fake one). */
  now?: () => number;
  random?: () => number;
  /** The management client, passed to handlers as ctx.x. */
  x?: unknown;
  /** Observes handler outcomes (metrics). */
  onHandled?: (o: { plugin: string; ok: boolean; seconds: number; lagSeconds: number | null }) => void;
}

interface InFlight {
  event: QueuedEvent;
  runs: HandlerRunRow[];
  startedAt: Date;
  controller: AbortController;
  done: Promise<void>;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 4000);
  return String(error).slice(0, 4000);
}

function toXEvent(e: QueuedEvent): AnyXEvent {
  return {
    id: e.dedupeKey,
    type: e.type,
    action: e.action,
    forUserId: e.forUserId,
    format: e.format as EventFormat,
    occurredAt: e.occurredAt,
    payload: JSON.parse(e.payload),
    side: e.sideObjects ? JSON.parse(e.sideObjects) : { source: 'unknown' },
  } as AnyXEvent;
}

/**
 * Takes stored events that are due, runs the matching handlers of every plugin, and records one
 * completion per (event, plugin), a retry on the schedule, or a dead letter. Crash-safe: work is
 * held under a lease that expires, so what a dead process held is picked up again.
 */
export class Dispatcher {
  readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #o: Required<Omit<DispatcherOptions, 'x' | 'onHandled'>> & Pick<DispatcherOptions, 'x' | 'onHandled'>;
  readonly #inFlight = new Map<string, InFlight>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  /** Runs whose handlers returned, so that a shutdown does not record them as released. */
  readonly #finishedRuns = new Set<string>();
  /** Group commit of outcomes: events finished together are recorded in one transaction. */
  readonly #outcomes: Inbox<EventOutcome, null>;

  constructor(options: DispatcherOptions) {
    this.#o = {
      concurrency: 8,
      perUserOrder: false,
      leaseMs: 30_000,
      pollMs: 250,
      now: Date.now,
      random: Math.random,
      ...options,
    };
    const db = this.#o.db;
    this.#outcomes = new Inbox(async (outcomes: EventOutcome[]) => {
      await recordOutcomes(db, outcomes);
      return outcomes.map(() => null);
    });
  }

  get pluginNames(): string[] {
    return this.#o.plugins.map((p) => p.name);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Runs until stop(): claims work whenever slots are free. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, this.#o.leaseMs / 3));
    this.#renewTimer.unref();
    this.#loop = this.#run();
  }

  /** New work was committed: look now instead of at the next poll. */
  notify(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claimed = 0;
      try {
        claimed = await this.#claimAndStart();
      } catch (error) {
        this.#o.logger.error({ err: error }, 'dispatcher could not claim work');
      }
      if (!this.#running) break;
      if (claimed === 0 || this.#inFlight.size >= this.#o.concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.#o.pollMs);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          // New work (notify) wakes it, and so does every finishing event (it frees a slot).
          this.#wake = done;
        });
        this.#wake = undefined;
      }
    }
  }

  async #claimAndStart(): Promise<number> {
    const free = this.#o.concurrency - this.#inFlight.size;
    if (free <= 0) return 0;
    const events = await claimEvents(this.#o.db, {
      owner: this.owner,
      now: new Date(this.#o.now()),
      leaseMs: this.#o.leaseMs,
      limit: free,
      perUserOrder: this.#o.perUserOrder,
    });
    if (events.length === 0) return 0;
    const runs = await ensureRuns(
      this.#o.db,
      events.map((e) => ({ eventId: e.id, handlers: this.#o.plugins.filter((p) => wants(p, e.type)).map((p) => p.name) })),
      new Date(this.#o.now()),
    );
    for (const event of events) {
      const controller = new AbortController();
      const mine = runs.filter((r) => r.eventId === event.id);
      const entry: InFlight = { event, runs: mine, startedAt: new Date(this.#o.now()), controller, done: Promise.resolve() };
      entry.done = this.#process(event, mine, controller.signal)
        .catch((error: unknown) => this.#o.logger.error({ err: error, event: event.dedupeKey }, 'dispatch failed'))
        .finally(() => {
          for (const r of mine) this.#finishedRuns.delete(r.id);
          this.#inFlight.delete(event.id);
          this.#wake?.();
        });
      this.#inFlight.set(event.id, entry);
    }
    return events.length;
  }

  /** Claims and handles everything due now, then returns how many events it took (tests, CLI). */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.#claimAndStart();
      total += claimed;
      if (claimed === 0 && this.#inFlight.size === 0) return total;
      await Promise.all([...this.#inFlight.values()].map((f) => f.done));
    }
  }

  async #process(event: QueuedEvent, runs: HandlerRunRow[], signal: AbortSignal): Promise<void> {
    const now = this.#o.now();
    const due = runs.filter((r) => r.state === 'pending' && r.nextAttemptAt.getTime() <= now);
    const xEvent = due.length > 0 ? toXEvent(event) : undefined;
    const tried = await Promise.all(due.map((run) => this.#attempt(xEvent!, event, run, signal)));
    // When a shutdown released the event, the runs that did finish are still recorded (each
    // completes once; the event's own update is skipped, it is no longer ours) and the rest
    // run again later.
    const results = tried.filter((r): r is NonNullable<typeof r> => r !== null);
    // Still pending afterwards: runs that were not due, and failures with a retry time.
    const waiting = [
      ...runs.filter((r) => r.state === 'pending' && !due.includes(r)).map((r) => r.nextAttemptAt.getTime()),
      ...results.flatMap((r) => (!r.ok && r.retryAt ? [r.retryAt.getTime()] : [])),
    ];
    await this.#outcomes.write({
      eventId: event.id,
      owner: this.owner,
      worker: this.owner,
      runs: results,
      nextAt: waiting.length ? new Date(Math.min(...waiting)) : null,
      now: new Date(this.#o.now()),
    });
  }

  async #attempt(xEvent: AnyXEvent, event: QueuedEvent, run: HandlerRunRow, signal: AbortSignal): Promise<EventOutcome['runs'][number] | null> {
    const plugin = this.#o.plugins.find((p) => p.name === run.handler);
    const attempt = run.attempts + 1;
    const log = this.#o.logger.child({ event: xEvent.id, type: xEvent.type, plugin: run.handler, attempt });
    const ctx: HandlerContext = { log, attempt, plugin: run.handler, signal, x: this.#o.x };
    const startedAt = new Date(this.#o.now());
    const lagSeconds = attempt === 1 ? (Date.now() - event.receivedAt.getTime()) / 1000 : null;
    const t0 = performance.now();
    let error: unknown;
    let failed = false;
    if (!plugin) {
      failed = true;
      error = new Error(`no plugin named "${run.handler}" is loaded in this process`);
    } else {
      const handlers = handlersFor(plugin, xEvent.type);
      const running = (async () => {
        for (const handler of handlers) await handler(xEvent, ctx);
      })();
      // A shutdown stops waiting for a handler that outlives it (the event is released).
      const aborted = new Promise<'aborted'>((resolve) => {
        if (signal.aborted) resolve('aborted');
        else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      });
      try {
        if ((await Promise.race([running, aborted])) === 'aborted') {
          running.catch(() => {});
          return null;
        }
      } catch (e) {
        failed = true;
        error = e;
      }
    }
    const finishedAt = new Date(this.#o.now());
    const seconds = (performance.now() - t0) / 1000;
    this.#finishedRuns.add(run.id);
    this.#o.onHandled?.({ plugin: run.handler, ok: !failed, seconds, lagSeconds });
    if (!failed) return { run, startedAt, finishedAt, ok: true };
    const retry = nextRetry(this.#o.retrySchedule, attempt, finishedAt.getTime(), this.#o.random);
    const retryAt = retry === null ? null : new Date(retry);
    log.warn({ err: error, retryAt: retryAt?.toISOString() ?? null }, retryAt ? 'handler failed; will retry' : 'handler failed; dead-lettered');
    if (plugin) {
      for (const onError of this.#o.plugins.flatMap((p) => p.errors)) {
        try {
          await onError({ error, event: xEvent, plugin: run.handler, attempt, final: retryAt === null }, ctx);
        } catch (e) {
          log.error({ err: e }, 'onError handler threw');
        }
      }
    }
    return { run, startedAt, finishedAt, ok: false, error: describeError(error), retryAt };
  }

  async #renew(): Promise<void> {
    const ids = [...this.#inFlight.keys()];
    if (ids.length === 0) return;
    try {
      await renewLeases(this.#o.db, ids, this.owner, new Date(this.#o.now() + this.#o.leaseMs));
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not renew leases');
    }
  }

  /**
   * Stops taking work; waits up to `timeoutMs` for in-flight handlers, then aborts the rest and
   * gives their leases back so another process (or the next start) runs them again.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    const pending = [...this.#inFlight.values()];
    const finished = Promise.all(pending.map((f) => f.done));
    // These timers are deliberately not unref'd: a hung handler holds no handle, and the process
    // must stay alive until its work is released.
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), timeoutMs)),
    ]);
    if (timedOut) {
      const left = [...this.#inFlight.values()];
      for (const f of left) f.controller.abort();
      await releaseEvents(this.#o.db, left.map((f) => f.event.id), this.owner);
      const finishedAt = new Date(this.#o.now());
      for (const f of left) {
        for (const run of f.runs.filter((r) => r.state === 'pending' && !this.#finishedRuns.has(r.id) && r.nextAttemptAt.getTime() <= f.startedAt.getTime())) {
          await recordReleasedAttempt(this.#o.db, { run, worker: this.owner, startedAt: f.startedAt, finishedAt });
        }
      }
      this.#o.logger.warn({ released: left.length }, 'released in-flight events at shutdown');
      await Promise.race([Promise.all(left.map((f) => f.done)), new Promise((r) => setTimeout(r, 1_000))]);
    }
    if (this.#renewTimer) clearInterval(this.#renewTimer);
  }
}
