import { randomBytes } from 'node:crypto';
import type { AnyXEvent } from '../events/index.js';
import type { Logger } from '../log/index.js';
import { XClient } from '../management/client.js';
import { UNSTORABLE } from '../normalize/envelope/fields.js';
import { errorHandlersFor, handlersFor, wants, type RegisteredPlugin } from '../plugins/registry.js';
import {
  GroupCommit,
  prismaWorkQueue,
  type Database,
  type DispatchAttachment,
  type EventOutcome,
  type HandlerRunRow,
  type PushedWork,
  type QueuedEvent,
  type WorkQueue,
} from '../store/index.js';
import { ChurnMap } from '../runtime/churn-map.js';
import { handlerContext } from './handler-context.js';
import { HandlerTimeoutError, settlesWithin } from './handler-timeout.js';
import { LazyAbort } from './lazy-abort.js';
import { lazyEvent } from './lazy-event.js';
import { nextRetry } from './schedule.js';

export interface DispatcherOptions {
  db: Database;
  /** Where work comes from and outcomes go (default: the database through Prisma). */
  queue?: WorkQueue;
  plugins: RegisteredPlugin[];
  logger: Logger;
  /** Parent of the handlers' ctx.log (default: logger), when their lines have another level than the dispatcher's own. */
  handlerLogger?: Logger;
  /** Delays before each retry, in ms; attempts = length + 1. */
  retrySchedule: number[];
  /** Events handled at once by this process. */
  concurrency?: number;
  /** Keep the events of one subscribed user in order (one at a time, oldest first). */
  perUserOrder?: boolean;
  leaseMs?: number;
  /** How often to look for work when nothing woke the dispatcher. */
  pollMs?: number;
  /**
   * How long one attempt of a plugin's handlers on an event may run before it counts as failed
   * (HandlerTimeoutError: retried on the schedule, its ctx.signal aborted); 0: no limit.
   */
  handlerTimeoutMs?: number;
  /**
   * At a shutdown that gave up on handlers: how long to wait for the outcomes of their events
   * (the runs that did finish) before giving the leases back anyway.
   */
  outcomeGraceMs?: number;
  /** The clock (tests drive a fake one). */
  now?: () => number;
  random?: () => number;
  /**
   * The X API client handlers get as ctx.x. Default: a client without credentials, whose calls
   * throw MissingCredentialError (serve and worker pass the one the configuration describes).
   */
  x?: XClient;
  /** Observes handler outcomes (metrics; `xaa dev` prints them). */
  onHandled?: (o: HandledRun) => void;
}

/** One finished attempt of a plugin's handlers on an event. */
export interface HandledRun {
  plugin: string;
  ok: boolean;
  seconds: number;
  /** From receipt to this first attempt's start; null on retries. */
  lagSeconds: number | null;
  event: { id: string; type: string; format: string; forUserId: string | null };
  attempt: number;
  /** A failure's error, as recorded (name: message). */
  error?: string;
  /** A failure's next attempt; null when it went to the dead letters. */
  retryAt?: Date | null;
}

interface InFlight {
  event: QueuedEvent;
  runs: HandlerRunRow[];
  startedAt: Date;
  abort: LazyAbort;
  done: Promise<void>;
}

/** Every unstorable character of a text (normalize's UNSTORABLE, which tests for one). */
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/**
 * A handler's failure as the store keeps it (last_error, the attempt, the dead letter): at most
 * 4,000 characters, and storable on either database. A message holding a NUL (a binary response
 * body, say) would otherwise fail its outcome's write on PostgreSQL every time, and the event
 * would be run again when its lease ran out, never retried on the schedule nor dead-lettered.
 */
function describeError(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = 'an error that cannot be shown as text';
  }
  // Cut first: a cut inside a surrogate pair leaves a lone half, replaced below.
  return text.slice(0, 4000).replace(UNSTORABLE_ALL, '\uFFFD');
}

/**
 * Takes stored events that are due, runs the matching handlers of every plugin, and records one
 * completion per (event, plugin), a retry on the schedule, or a dead letter. Crash-safe: work is
 * held under a lease that expires, so what a dead process held is picked up again.
 */
export class Dispatcher {
  readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #o: Required<Omit<DispatcherOptions, 'onHandled' | 'queue'>> & Pick<DispatcherOptions, 'onHandled'>;
  readonly #queue: WorkQueue;
  /** Work in memory, not started yet: pushed by the writer, or claimed and waiting behind its user. */
  /** Work to start: pushed by the writer, or claimed (`claimed`: taken from a backlog in the store). */
  #ready: Array<PushedWork & { claimed?: boolean }> = [];
  /** Look in the store for due work (poll timer, notify, or the last claim was full). */
  #claimWanted = true;
  /** performance.now() of the last claim. */
  #lastClaimAt = 0;
  /** Per-user order: users with an event in flight, and users whose older event waits for a retry. */
  readonly #busyUsers = new ChurnMap<true>();
  readonly #blockedUsers = new Set<string>();
  readonly #inFlight = new ChurnMap<InFlight>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** A wake-up that came while the loop was not asleep (during a claim): it does not sleep then. */
  #woken = false;
  #renewTimer: NodeJS.Timeout | undefined;
  /** Runs whose handlers returned, so that a shutdown does not record them as released. */
  readonly #finishedRuns = new ChurnMap<true>();
  /** Runs a shutdown stopped waiting for, with their start: recorded as released tries. */
  readonly #givenUp = new Map<string, { run: HandlerRunRow; startedAt: Date }>();
  /** Group commit of outcomes: events finished together are recorded in one transaction. */
  readonly #outcomes: GroupCommit<EventOutcome, null>;
  readonly #byName: Map<string, RegisteredPlugin>;
  /** Handler names of runs met that no loaded plugin has (warned about once each). */
  readonly #orphans = new Set<string>();

  constructor(options: DispatcherOptions) {
    this.#o = {
      concurrency: 8,
      perUserOrder: false,
      leaseMs: 30_000,
      pollMs: 250,
      handlerTimeoutMs: 0,
      outcomeGraceMs: 1_000,
      now: Date.now,
      random: Math.random,
      ...options,
      x: options.x ?? new XClient({ baseUrl: 'https://api.x.com', credentials: {} }),
      handlerLogger: options.handlerLogger ?? options.logger,
    };
    this.#byName = new Map(this.#o.plugins.map((p) => [p.name, p]));
    const queue = (this.#queue = options.queue ?? prismaWorkQueue(this.#o.db));
    this.#outcomes = new GroupCommit(async (outcomes: EventOutcome[]) => {
      await queue.recordOutcomes(outcomes);
      return outcomes.map(() => null);
    });
  }

  get pluginNames(): string[] {
    return this.#o.plugins.map((p) => p.name);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** What a writer needs to push new events to this dispatcher (see store/queue). */
  attachment(): DispatchAttachment {
    return {
      owner: this.owner,
      leaseMs: this.#o.leaseMs,
      perUserOrder: this.#o.perUserOrder,
      plugins: this.#o.plugins.map((p) => ({ name: p.name, types: p.any.length > 0 ? null : [...p.byType.keys()] })),
      // Enough to keep every slot busy through bursts, small enough to bound memory.
      maxOutstanding: Math.max(256, this.#o.concurrency * 32),
    };
  }

  /**
   * New events the writer stored already leased to this dispatcher, with their runs. Per-user
   * order: an event of a user whose older event waits for a retry is given back (the claim query
   * hands it out in order later).
   */
  accept(work: PushedWork[]): void {
    const giveBack: string[] = [];
    for (const w of work) {
      const user = w.event.forUserId;
      if (!this.#running || (this.#o.perUserOrder && user && this.#blockedUsers.has(user))) giveBack.push(w.event.id);
      else this.#ready.push(w);
    }
    if (giveBack.length) this.#release(giveBack);
    this.#signal();
  }

  #release(eventIds: string[]): void {
    this.#queue.release(eventIds, this.owner).catch((error: unknown) => {
      // The leases run out instead: the events are claimed again after DISPATCH_LEASE_MS.
      this.#o.logger.warn({ err: error, events: eventIds.length }, 'could not give leases back');
    });
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
    this.#claimWanted = true;
    this.#signal();
  }

  /** Wakes the loop: work may be startable or claimable (pushed work, a finished event, notify, stop). */
  #signal(): void {
    if (this.#wake) this.#wake();
    else this.#woken = true;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let started = this.#startReady();
      // Under sustained intake, pushed work keeps every slot spoken for and the loop is woken
      // too often for its poll timer to fire: the store is still looked at once a poll
      // interval, for its due retries and the backlog stored beyond what was pushed, which
      // would otherwise wait for the load to stop.
      const overdue = performance.now() - this.#lastClaimAt >= this.#o.pollMs;
      const wanted = this.#claimWanted && this.#room() > 0;
      if (wanted || overdue) {
        // Cleared only by a claim for free slots: an overdue one may claim nothing (its share
        // already waiting), and a notify() meanwhile must still be answered when slots free up.
        if (wanted) this.#claimWanted = false;
        try {
          started += await this.#claimAndStart(overdue);
        } catch (error) {
          this.#o.logger.error({ err: error }, 'dispatcher could not claim work');
        }
      }
      if (!this.#running) break;
      // Something happened while this claim ran (an event finished, work was pushed, notify()):
      // what it made startable or claimable is looked at now, not at the next poll.
      if (started === 0 && !this.#woken && !(this.#claimWanted && this.#room() > 0)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#claimWanted = true;
            done();
          }, this.#o.pollMs);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          // Pushed work and every finishing event (it frees a slot) wake it; so does notify().
          this.#wake = done;
        });
        this.#wake = undefined;
      }
    }
  }

  /** Slots for work taken from the store: free slots not already spoken for by ready work. */
  #room(): number {
    return this.#o.concurrency - this.#inFlight.size - this.#ready.length;
  }

  /** Starts ready work in order while slots are free (per-user order: one event per user at a time). */
  #startReady(): number {
    let started = 0;
    if (!this.#o.perUserOrder) {
      while (this.#ready.length > 0 && this.#inFlight.size < this.#o.concurrency) {
        const w = this.#ready.shift()!;
        this.#begin(w);
        started++;
      }
      return started;
    }
    for (let i = 0; i < this.#ready.length && this.#inFlight.size < this.#o.concurrency; ) {
      const w = this.#ready[i]!;
      const user = w.event.forUserId;
      if (user && this.#busyUsers.has(user)) {
        i++;
        continue;
      }
      this.#ready.splice(i, 1);
      this.#begin(w);
      started++;
    }
    return started;
  }

  /**
   * Claims due work for the free slots; `overdue` (a poll interval without a claim): up to a
   * quarter of the slots' worth waiting here even when none is free. Claimed work queues behind
   * what is ready (first come, first started): a retry or the backlog waits for the work ahead of
   * it, no longer for the load to stop, and pushed work is not held back by claims either.
   */
  async #claimAndStart(overdue = false): Promise<number> {
    const reserve = overdue ? Math.ceil(this.#o.concurrency / 4) - this.#ready.filter((w) => w.claimed).length : 0;
    const room = Math.max(this.#room(), reserve);
    this.#lastClaimAt = performance.now();
    if (room <= 0) return 0;
    let events = await this.#queue.claim({
      owner: this.owner,
      now: new Date(this.#o.now()),
      leaseMs: this.#o.leaseMs,
      limit: room,
      perUserOrder: this.#o.perUserOrder,
    });
    // A full batch: more may be waiting.
    if (events.length === room) this.#claimWanted = true;
    // An event this dispatcher still holds whose lease lapsed (a stalled store, a blocked thread)
    // comes back to it in the claim: the claim renewed its lease; its run goes on, not again.
    const ready = new Set(this.#ready.map((w) => w.event.id));
    events = events.filter((e) => !this.#inFlight.has(e.id) && !ready.has(e.id));
    if (events.length === 0) return 0;
    let runs: HandlerRunRow[];
    try {
      runs = await this.#queue.ensureRuns(
        events.map((e) => ({ eventId: e.id, handlers: this.#o.plugins.filter((p) => wants(p, e.type)).map((p) => p.name) })),
        new Date(this.#o.now()),
      );
    } catch (error) {
      // Not held here: give the leases back rather than keep the events (and, per-user order,
      // their users' later events) waiting out the lease.
      this.#release(events.map((e) => e.id));
      throw error;
    }
    const claimed = events.map((event) => {
      // The claim query hands out a user's events in order: whatever held the user back is over.
      if (event.forUserId) this.#blockedUsers.delete(event.forUserId);
      return { event, runs: runs.filter((r) => r.eventId === event.id), claimed: true };
    });
    this.#ready.push(...claimed);
    if (this.#o.perUserOrder) this.#ready.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
    return this.#startReady();
  }

  /**
   * The runs of loaded plugins. A run under a name no loaded plugin has (a plugin renamed or
   * removed) is left alone: not tried, not dead-lettered, and not waited for (the event completes
   * without it). Startup reports such runs; `xaa handlers rename|drop` moves or drops them.
   */
  #loadedOnly(runs: HandlerRunRow[]): HandlerRunRow[] {
    const mine = runs.filter((r) => this.#byName.has(r.handler));
    if (mine.length === runs.length) return runs;
    for (const r of runs) {
      if (this.#byName.has(r.handler) || r.state !== 'pending' || this.#orphans.has(r.handler)) continue;
      this.#orphans.add(r.handler);
      this.#o.logger.warn(
        { handler: r.handler, loaded: this.pluginNames },
        `pending handler runs of "${r.handler}" are left alone: no loaded plugin has that name. ` +
          `Renamed plugin: \`xaa handlers rename ${r.handler} <new-name>\`; removed plugin: \`xaa handlers drop ${r.handler}\``,
      );
    }
    return mine;
  }

  #begin({ event, runs, claimed }: PushedWork & { claimed?: boolean }): void {
    const mine = this.#loadedOnly(runs);
    const abort = new LazyAbort();
    const user = this.#o.perUserOrder ? event.forUserId : null;
    if (user) this.#busyUsers.set(user, true);
    const entry: InFlight = { event, runs: mine, startedAt: new Date(this.#o.now()), abort, done: Promise.resolve() };
    entry.done = this.#process(event, mine, abort)
      .catch((error: unknown) => this.#o.logger.error({ err: error, event: event.dedupeKey }, 'dispatch failed'))
      .finally(() => {
        for (const r of mine) this.#finishedRuns.delete(r.id);
        this.#inFlight.delete(event.id);
        if (user) {
          this.#busyUsers.delete(user);
          // Per-user order: the user's next events wait in the store (a backlog is claimed, not
          // pushed, and a claim takes only the first ones of each user). Claim them now rather
          // than at the next poll, once the user has nothing else ready here.
          if (claimed && !this.#ready.some((w) => w.event.forUserId === user)) this.#claimWanted = true;
        }
        this.#signal();
      });
    this.#inFlight.set(event.id, entry);
  }

  /** Claims and handles everything due now, then returns how many events it took (tests, CLI). */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = this.#startReady() + (await this.#claimAndStart());
      total += claimed;
      if (claimed === 0 && this.#inFlight.size === 0 && this.#ready.length === 0) return total;
      await Promise.all(this.#inFlight.values().map((f) => f.done));
    }
  }

  async #process(event: QueuedEvent, runs: HandlerRunRow[], abort: LazyAbort): Promise<void> {
    const now = this.#o.now();
    const due = runs.filter((r) => r.state === 'pending' && r.nextAttemptAt.getTime() <= now);
    const xEvent = due.length > 0 ? lazyEvent(event) : undefined;
    const tried = await Promise.all(due.map((run) => this.#attempt(xEvent!, event, run, abort)));
    // When a shutdown gave up on the event (a run that did not finish: null), the runs that did
    // finish are still recorded (each completes once) and the rest run again later: the event is
    // due again now. Its own update applies only while its lease is still this dispatcher's: the
    // shutdown's release may commit before or after this outcome (on PostgreSQL they run on two
    // connections), and either way the event ends pending and unleased, never done with a run
    // left undone.
    const results = tried.filter((r): r is NonNullable<typeof r> => r !== null);
    const givenUp = results.length < tried.length;
    // Still pending afterwards: runs that were not due, failures with a retry time, runs given up.
    const waiting = [
      ...runs.filter((r) => r.state === 'pending' && !due.includes(r)).map((r) => r.nextAttemptAt.getTime()),
      ...results.flatMap((r) => (!r.ok && r.retryAt ? [r.retryAt.getTime()] : [])),
      ...(givenUp ? [this.#o.now()] : []),
    ];
    const nextAt = waiting.length ? new Date(Math.min(...waiting)) : null;
    if (nextAt && this.#o.perUserOrder && event.forUserId) this.#holdBack(event.forUserId);
    try {
      await this.#outcomes.write({
        eventId: event.id,
        owner: this.owner,
        worker: this.owner,
        runs: results,
        nextAt,
        now: new Date(this.#o.now()),
      });
    } catch (error) {
      // Per-user order: the user's later events must not run before this one is settled. It is
      // given back (to be claimed again, first of its user, and run again: its outcome is not
      // recorded), and the user is held back as for a retry until then.
      if (this.#o.perUserOrder && event.forUserId) {
        this.#holdBack(event.forUserId);
        this.#release([event.id]);
      }
      throw error;
    }
  }

  /** Per-user order: the user's event waits for a retry, so its later events go back to the store. */
  #holdBack(user: string): void {
    this.#blockedUsers.add(user);
    const later = this.#ready.filter((w) => w.event.forUserId === user);
    if (later.length === 0) return;
    this.#ready = this.#ready.filter((w) => w.event.forUserId !== user);
    this.#release(later.map((w) => w.event.id));
  }

  async #attempt(xEvent: AnyXEvent, event: QueuedEvent, run: HandlerRunRow, abort: LazyAbort): Promise<EventOutcome['runs'][number] | null> {
    // #begin keeps only runs of loaded plugins.
    const plugin = this.#byName.get(run.handler)!;
    const attempt = run.attempts + 1;
    // With a time limit, each attempt has its own abort: a timeout aborts this plugin's signal
    // only, and a shutdown's abort of the event reaches every attempt's.
    const limitMs = plugin.timeoutMs ?? this.#o.handlerTimeoutMs;
    const own = limitMs > 0 ? new LazyAbort() : abort;
    if (own !== abort) abort.onAbort(() => own.abort());
    const ctx = handlerContext({ logger: this.#o.handlerLogger, event: xEvent, plugin: run.handler, attempt, abort: own, x: this.#o.x });
    const startedAt = new Date(this.#o.now());
    const lagSeconds = attempt === 1 ? (Date.now() - event.receivedAt.getTime()) / 1000 : null;
    const t0 = performance.now();
    let error: unknown;
    let failed = false;
    const handlers = handlersFor(plugin, xEvent.type);
    const running = (async () => {
      for (const handler of handlers) await handler(xEvent, ctx);
    })();
    // A shutdown stops waiting for a handler that outlives it (the event is released); a handler
    // past its time limit fails its attempt.
    const stopped = own.whenAborted();
    const timer = limitMs > 0 ? setTimeout(() => own.abort(new HandlerTimeoutError(run.handler, limitMs, plugin.timeoutMs === undefined ? 'DISPATCH_HANDLER_TIMEOUT_MS' : "the plugin's timeoutMs")), limitMs) : undefined;
    try {
      if ((await Promise.race([running, stopped])) === 'aborted') {
        if (!(own.reason instanceof HandlerTimeoutError)) {
          running.catch(() => {});
          this.#givenUp.set(run.id, { run, startedAt });
          return null;
        }
        failed = true;
        error = own.reason;
        this.#abandon(running, ctx.log, limitMs);
      }
    } catch (e) {
      failed = true;
      error = e;
    } finally {
      clearTimeout(timer);
    }
    const finishedAt = new Date(this.#o.now());
    const seconds = (performance.now() - t0) / 1000;
    this.#finishedRuns.set(run.id, true);
    const handled = { plugin: run.handler, seconds, lagSeconds, attempt, event: { id: xEvent.id, type: xEvent.type, format: xEvent.format, forUserId: xEvent.forUserId } };
    if (!failed) {
      this.#o.onHandled?.({ ...handled, ok: true });
      return { run, startedAt, finishedAt, ok: true };
    }
    const retry = nextRetry(this.#o.retrySchedule, attempt, finishedAt.getTime(), this.#o.random);
    const retryAt = retry === null ? null : new Date(retry);
    this.#o.onHandled?.({ ...handled, ok: false, error: describeError(error), retryAt });
    ctx.log.warn({ err: error, retryAt: retryAt?.toISOString() ?? null }, retryAt ? 'handler failed; will retry' : 'handler failed; dead-lettered');
    // The failing plugin's own error handlers, and those registered for every plugin; each with
    // its own plugin's context. After a timeout, with a signal that only a shutdown aborts (the
    // attempt's own is aborted already).
    const failure = { error, event: xEvent, plugin: run.handler, attempt, final: retryAt === null };
    const errorCtx = own !== abort && own.aborted ? handlerContext({ logger: this.#o.handlerLogger, event: xEvent, plugin: run.handler, attempt, abort, x: this.#o.x }) : ctx;
    for (const { plugin: owner, handler: onError } of errorHandlersFor(this.#o.plugins, run.handler)) {
      const ownLog =
        owner.name === run.handler
          ? errorCtx.log
          : this.#o.handlerLogger.child({ event: xEvent.id, type: xEvent.type, plugin: owner.name, failedPlugin: run.handler, attempt });
      try {
        const told = Promise.resolve(onError(failure, owner.name === run.handler ? errorCtx : { ...errorCtx, plugin: owner.name, log: ownLog }));
        // An error handler is held to its own plugin's time limit: one that never returns must
        // not hold the event.
        const ownLimitMs = owner.timeoutMs ?? this.#o.handlerTimeoutMs;
        if (ownLimitMs === 0) await told;
        else if (!(await settlesWithin(told, ownLimitMs))) {
          const setBy = owner.timeoutMs === undefined ? 'DISPATCH_HANDLER_TIMEOUT_MS' : "its plugin's timeoutMs";
          ownLog.error({ timeoutMs: ownLimitMs }, `onError handler did not finish within ${ownLimitMs} ms (${setBy}); the failure is recorded without waiting for it`);
          told.then(
            () => ownLog.warn('a timed-out onError handler finished'),
            (e: unknown) => ownLog.error({ err: e }, 'a timed-out onError handler threw'),
          );
        }
      } catch (e) {
        ownLog.error({ err: e }, 'onError handler threw');
      }
    }
    return { run, startedAt, finishedAt, ok: false, error: describeError(error), retryAt };
  }

  /** A timed-out attempt's handlers, left running: what they do afterwards is logged, not recorded. */
  #abandon(running: Promise<void>, log: Logger, limitMs: number): void {
    const t0 = performance.now();
    const after = () => Math.round(limitMs + performance.now() - t0);
    running.then(
      () => log.warn({ afterMs: after() }, 'a timed-out handler finished; its attempt was already recorded as failed'),
      (err: unknown) => log.warn({ err, afterMs: after() }, 'a timed-out handler threw; its attempt was already recorded as failed'),
    );
  }

  async #renew(): Promise<void> {
    const ids = [...this.#inFlight.keys(), ...this.#ready.map((w) => w.event.id)];
    if (ids.length === 0) return;
    try {
      await this.#queue.renew(ids, this.owner, new Date(this.#o.now() + this.#o.leaseMs));
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
    this.#signal();
    await this.#loop;
    // Work not started yet goes back at once.
    const notStarted = this.#ready.splice(0).map((w) => w.event.id);
    if (notStarted.length) await this.#queue.release(notStarted, this.owner).catch(() => {});
    const pending = this.#inFlight.values();
    const finished = Promise.all(pending.map((f) => f.done));
    // These timers are deliberately not unref'd: a hung handler holds no handle, and the process
    // must stay alive until its work is released. Cleared once the handlers finish: else the
    // thread (and a test's process) stayed alive for the whole SHUTDOWN_TIMEOUT_MS after stop.
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((r) => (deadline = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(deadline);
    if (timedOut) {
      const left = this.#inFlight.values();
      for (const f of left) f.abort.abort();
      // An event given up on still gets its outcome (#process): the runs that finished are
      // recorded done and the event goes back to the queue, due now and unleased. That outcome is
      // waited for (up to a grace) before the leases are given back: released first, the event
      // could be claimed by another process and a handler that had finished run again before its
      // completion was recorded. The release then covers events whose outcome did not come or did
      // not commit; for the others it changes nothing (it applies only to this owner's leases).
      const settled = new Set<InFlight>();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(left.map((f) => f.done.then(() => void settled.add(f)))),
        new Promise((r) => (grace = setTimeout(r, this.#o.outcomeGraceMs))),
      ]);
      clearTimeout(grace);
      const stuck = left.filter((f) => !settled.has(f));
      await this.#queue.release(left.map((f) => f.event.id), this.owner).catch((error: unknown) => {
        // The leases run out instead: the events are claimed again after DISPATCH_LEASE_MS.
        this.#o.logger.warn({ err: error, events: left.length }, 'could not give leases back at shutdown');
      });
      const released = new Map(this.#givenUp);
      this.#givenUp.clear();
      for (const f of stuck) {
        for (const run of f.runs) {
          const due = run.state === 'pending' && run.nextAttemptAt.getTime() <= f.startedAt.getTime();
          if (due && !this.#finishedRuns.has(run.id) && !released.has(run.id)) released.set(run.id, { run, startedAt: f.startedAt });
        }
      }
      const finishedAt = new Date(this.#o.now());
      try {
        for (const { run, startedAt } of released.values()) {
          await this.#queue.recordReleasedAttempt({ run, worker: this.owner, startedAt, finishedAt });
        }
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'could not record the tries cut short at shutdown');
      }
      this.#o.logger.warn({ events: left.length, handlerRuns: released.size, outcomesLate: stuck.length }, 'released in-flight events at shutdown');
    }
    if (this.#renewTimer) clearInterval(this.#renewTimer);
  }
}
