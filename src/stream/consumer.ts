import type { StreamConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Attempt, EndReason } from './attempt.js';
import { planBackfill, replayedUpTo, type BackfillPlan } from './backfill.js';
import { runConnection } from './connection.js';
import { GapAccounting } from './gaps.js';
import { PositionKeeper, type StreamPosition } from './position.js';
import { ReconnectSchedule } from './reconnect.js';
import { storeEventLine, type StreamInbox } from './store-line.js';

export interface StreamConsumerDeps {
  /** X_API_BASE_URL (the stand-in's URL in tests). */
  baseUrl: string;
  /** The app bearer token (X_BEARER_TOKEN). Never logged. */
  bearerToken: string;
  inbox: StreamInbox;
  position: StreamPosition;
  config: Omit<StreamConfig, 'enabled'>;
  metrics: Metrics;
  logger: Logger;
  /** The longest line kept (WEBHOOK_MAX_BODY_BYTES): longer ones are dropped and logged. */
  maxLineBytes: number;
  /** Lines being stored at once before reading pauses (the socket then pushes back on X). */
  maxInFlight?: number;
  /** How often the last-seen time is saved while it moves. */
  checkpointEveryMs?: number;
  now?: () => Date;
  random?: () => number;
}

export interface StreamStatus {
  connected: boolean;
  /** Connection attempts so far (the first one included). */
  attempts: number;
  /** When something (an event stored, a keep-alive) was last received; null: never. */
  lastSeen: Date | null;
  lastEnd: { reason: EndReason; status?: number; detail?: string; at: Date } | null;
  /** The plan of the last connection attempt. */
  lastPlan: BackfillPlan | null;
}

const DEFAULT_MAX_IN_FLIGHT = 256;
const DEFAULT_CHECKPOINT_MS = 1_000;

/**
 * Holds the connection to X's persistent stream (GET /2/activity/stream, app bearer token) and
 * stores every event line through the inbox, the same one webhook deliveries go through: an
 * event counts as received once it is committed, and the inbox's dedupe (by the activity, never
 * by the delivery) absorbs what also came by webhook or by an earlier connection's backfill.
 *
 * This is the loop: read the saved position (position.ts) before any connection; plan each
 * connection's backfill (backfill.ts); run it (connection.ts: the request, the lines, the idle
 * timeout); report what no backfill covers (gaps.ts); wait as X's "Handling disconnections"
 * says (reconnect.ts), then connect again, until stop().
 */
export class StreamConsumer {
  readonly #d: StreamConsumerDeps;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #maxInFlight: number;
  #stopped = false;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** Durable position: every line up to its time is stored. */
  readonly #position: PositionKeeper;
  readonly #gaps: GapAccounting;
  #status: StreamStatus = { connected: false, attempts: 0, lastSeen: null, lastEnd: null, lastPlan: null };
  #firstOutcome: { resolve: (a: Attempt) => void; promise: Promise<Attempt> };
  #failure: { resolve: (e: Error) => void; promise: Promise<Error> };

  constructor(deps: StreamConsumerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? Math.random;
    this.#maxInFlight = deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#position = new PositionKeeper(deps.position, deps.logger);
    this.#gaps = new GapAccounting({ metrics: deps.metrics, logger: deps.logger, position: deps.position, now: this.#now });
    let resolve!: (a: Attempt) => void;
    const promise = new Promise<Attempt>((r) => (resolve = r));
    this.#firstOutcome = { resolve, promise };
    let failed!: (e: Error) => void;
    const failure = new Promise<Error>((r) => (failed = r));
    this.#failure = { resolve: failed, promise: failure };
  }

  status(): StreamStatus {
    return { ...this.#status, lastSeen: this.#position.seen };
  }

  /** Starts the loop (once). */
  start(): void {
    this.#running ??= this.#loop().catch((err: unknown) => {
      this.#d.logger.error({ err }, 'stream consumer stopped on an unexpected error');
      const error = err instanceof Error ? err : new Error(String(err));
      this.#firstOutcome.resolve({ reason: 'stopped', opened: false, detail: error.message });
      this.#failure.resolve(error);
    });
    this.#position.startCheckpoints(this.#d.checkpointEveryMs ?? DEFAULT_CHECKPOINT_MS);
  }

  /**
   * Resolves once the first connection attempt is answered: 'connected' when X opened the
   * stream, else the reason (`xaa stream` stops on 'unauthorized' at startup instead of waiting).
   */
  async firstAnswer(): Promise<{ reason: EndReason | 'connected'; status?: number; detail?: string }> {
    const a = await this.#firstOutcome.promise;
    return a.opened ? { reason: 'connected' } : { reason: a.reason, status: a.status, detail: a.detail };
  }

  /**
   * Resolves if the loop stops on an unexpected error (no more connections will be made; the
   * commands stop the process so that its supervisor restarts it); never otherwise.
   */
  failed(): Promise<Error> {
    return this.#failure.promise;
  }

  /** Closes the connection, waits for the lines being stored, saves the position. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#running;
    this.#position.stopCheckpoints();
    await this.#position.save();
    this.#d.metrics.streamConnected.set(0);
  }

  async #loop(): Promise<void> {
    const { logger, metrics, config } = this.#d;
    const schedule = new ReconnectSchedule(config, this.#random);
    let positionRead = false;
    while (!this.#stopped) {
      if (!positionRead) {
        // No connection before the saved position is known: one without it would ask no
        // backfill, and its first save would move the position past the gap, for good.
        try {
          await this.#position.read();
          positionRead = true;
        } catch (err) {
          const delay = schedule.afterReadFailure();
          this.#firstOutcome.resolve({ reason: 'store', opened: false, detail: 'the saved stream position could not be read from the store' });
          logger.error({ err, retryInMs: delay }, 'stream: could not read the saved position from the store; not connecting until it can be read');
          await this.#sleep(delay);
          continue;
        }
      }
      const plan = planBackfill(this.#position.seen, this.#now());
      this.#status.lastPlan = plan;
      this.#gaps.measured(plan);
      this.#status.attempts++;
      const attempt = await this.#connect(plan);
      this.#firstOutcome.resolve(attempt);
      this.#status.lastEnd = { reason: attempt.reason, status: attempt.status, detail: attempt.detail, at: this.#now() };
      if (this.#stopped || attempt.reason === 'stopped') break;
      metrics.streamReconnects.inc({ reason: attempt.reason });
      const delay = schedule.after(attempt);
      const level = attempt.reason === 'unauthorized' ? 'error' : 'warn';
      logger[level](
        { reason: attempt.reason, status: attempt.status, detail: attempt.detail, retryInMs: delay, lastSeen: this.#position.seen },
        attempt.reason === 'unauthorized'
          ? `stream: X refused the bearer token (${attempt.status}): check X_BEARER_TOKEN (the app-only bearer token of the app whose XAA subscriptions to receive); retrying in ${Math.round(delay / 1000)} s`
          : 'stream: disconnected; reconnecting',
      );
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One connection, from the request to its end. Never throws. */
  async #connect(plan: BackfillPlan): Promise<Attempt> {
    const { logger, metrics, config } = this.#d;
    const abort = new AbortController();
    this.#abort = abort;
    if (this.#stopped) return { reason: 'stopped', opened: false };
    let replaying: { openedAt: Date } | undefined;
    return runConnection(
      {
        baseUrl: this.#d.baseUrl,
        bearerToken: this.#d.bearerToken,
        idleTimeoutMs: config.idleTimeoutMs,
        maxLineBytes: this.#d.maxLineBytes,
        maxInFlight: this.#maxInFlight,
        logger,
        now: this.#now,
        store: (line, at) => storeEventLine(this.#d, line, at),
        // During a backfill's replay, no further than the replay surely got (replayedUpTo).
        reach: (at) => {
          const until = replaying ? replayedUpTo(replaying.openedAt, plan.backfillMinutes, at.getTime() - replaying.openedAt.getTime()) : at;
          const next = until.getTime() < at.getTime() ? until : at;
          const seen = this.#position.seen;
          if (!seen || next.getTime() > seen.getTime()) this.#position.reach(next);
        },
        stopping: () => this.#stopped,
        opened: async () => {
          if (plan.backfillMinutes > 0) replaying = { openedAt: this.#now() };
          this.#firstOutcome.resolve({ reason: 'closed', opened: true });
          if (!this.#position.seen) {
            // The very first connection of this store: from now on, a restart must ask for backfill.
            this.#position.reach(this.#now());
            await this.#position.save();
          }
          // X now backfills `backfillMinutes`: what lies before that is reported, here and once.
          if (plan.uncovered) await this.#gaps.reportUncovered(plan.uncovered);
          metrics.streamConnected.set(1);
          this.#status.connected = true;
          logger.info({ backfillMinutes: plan.backfillMinutes, gapSeconds: plan.gapMs === null ? null : Math.round(plan.gapMs / 1000) }, 'stream: connected');
        },
        closed: async (opened) => {
          if (opened) {
            metrics.streamConnected.set(0);
            this.#status.connected = false;
          }
          await this.#position.save();
        },
      },
      plan.backfillMinutes,
      abort,
    );
  }
}
