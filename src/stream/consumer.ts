import type { StreamConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Attempt, EndReason } from './attempt.js';
import { planBackfill, type BackfillPlan } from './backfill.js';
import { ArrivalOrder } from './arrival-order.js';
import { GapAccounting } from './gaps.js';
import { lineKind, logSystemMessage } from './line-kinds.js';
import { LineSplitter } from './lines.js';
import { PositionKeeper, type StreamPosition } from './position.js';
import { ReconnectSchedule } from './reconnect.js';
import { refusedAttempt } from './refusal.js';
import { networkErrorDetail, requestStream, streamUrl } from './request.js';
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
 * - Lines: any chunking, LF / CR / CRLF; an empty line is a keep-alive (lines.ts).
 * - Idle: no byte for `idleTimeoutMs` (X sends a keep-alive at least every 20 s) drops the connection.
 * - Reconnect (X's "Handling disconnections"): after an established connection drops, the first
 *   retry at once; then, while retries fail (until a connection stays open STABLE_MS), network
 *   errors back off linearly (250 ms steps, at most 16 s) and HTTP errors exponentially
 *   (`backoffInitialMs` to `backoffMaxMs`), each delay with jitter up to the next step; 429
 *   waits for Retry-After / x-rate-limit-reset, at least `rateLimitMinWaitMs`
 *   (doubling while 429s repeat); 401/403 log one clear line and wait `authRetryMs`.
 * - Backfill: each connection asks for `backfill_minutes` covering the time since the last line
 *   received whose predecessors are all stored (at most X's 5); a longer gap is logged, counted
 *   and recorded (position.recordGap) once a connection opens, each part of it once. The last-seen time is saved, so a restart asks the same.
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
  }

  status(): StreamStatus {
    return { ...this.#status, lastSeen: this.#position.seen };
  }

  /** Starts the loop (once). */
  start(): void {
    this.#running ??= this.#loop().catch((err: unknown) => {
      this.#d.logger.error({ err }, 'stream consumer stopped on an unexpected error');
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
    let ended: EndReason | undefined;
    const end = (reason: EndReason) => {
      ended ??= reason;
      abort.abort();
    };
    if (this.#stopped) return { reason: 'stopped', opened: false };
    // One timer for the whole attempt: connecting, headers and every read must make progress.
    let idle: NodeJS.Timeout = setTimeout(() => end('idle'), config.idleTimeoutMs);
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => end('idle'), config.idleTimeoutMs);
    };
    const url = streamUrl(this.#d.baseUrl, plan.backfillMinutes);
    const inFlight = new Set<Promise<void>>();
    const order = new ArrivalOrder((at) => this.#position.reach(at));
    let opened = false;
    let openedAt = 0;
    const openMs = () => (opened ? performance.now() - openedAt : undefined);
    const splitter = new LineSplitter(this.#d.maxLineBytes);
    try {
      const res = await requestStream(url, this.#d.bearerToken, abort.signal);
      touch();
      if (res.status !== 200 || !res.body) {
        // The error body is read under the idle timer, then the timer is cleared.
        const refused = await refusedAttempt(res, this.#now);
        clearTimeout(idle);
        return refused;
      }
      opened = true;
      openedAt = performance.now();
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
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        const at = this.#now();
        for (const line of splitter.push(chunk)) {
          const kind = lineKind(line);
          if (kind !== 'event') {
            if (kind === 'system') logSystemMessage(logger, line);
            order.passed(at);
            continue;
          }
          const stored = order.pending(at);
          const write: Promise<void> = storeEventLine(this.#d, line, at).then(
            () => stored(),
            (err: unknown) => {
              // Not stored: this line must come again. The connection is dropped and the
              // reconnection's backfill starts before it (last-seen stops here).
              logger.error({ err }, 'stream: an event could not be stored; reconnecting so that the backfill brings it again');
              end('store');
            },
          );
          inFlight.add(write);
          void write.finally(() => inFlight.delete(write));
          if (inFlight.size >= this.#maxInFlight) {
            // Waiting for the store is not the network being idle: the timer restarts after it.
            clearTimeout(idle);
            await Promise.race(inFlight);
            touch();
          }
        }
        order.advance();
        if (splitter.oversized) {
          logger.warn({ lines: splitter.oversized, maxBytes: this.#d.maxLineBytes }, 'stream: dropped lines longer than WEBHOOK_MAX_BODY_BYTES');
          splitter.oversized = 0;
        }
        if (ended) break;
      }
      ended ??= this.#stopped ? 'stopped' : 'closed';
    } catch (err) {
      ended ??= this.#stopped ? 'stopped' : 'network';
      if (ended === 'network') {
        // fetch quotes a header it refuses: the token never goes into a detail (logged, shown by status()).
        const detail = networkErrorDetail(err, this.#d.bearerToken);
        return this.#finish({ reason: 'network', opened, openMs: openMs(), detail }, inFlight, order, splitter, idle);
      }
    }
    return this.#finish({ reason: ended, opened, openMs: openMs() }, inFlight, order, splitter, idle);
  }

  async #finish(attempt: Attempt, inFlight: Set<Promise<void>>, order: ArrivalOrder, splitter: LineSplitter, idle: NodeJS.Timeout): Promise<Attempt> {
    clearTimeout(idle);
    this.#abort?.abort();
    // What is being stored settles first: the next connection's backfill starts after it.
    await Promise.allSettled([...inFlight]);
    order.advance();
    const partial = splitter.reset();
    if (partial > 0) this.#d.logger.warn({ bytes: partial }, 'stream: the connection ended inside a line; it is dropped (the backfill brings the event again)');
    if (attempt.opened) {
      this.#d.metrics.streamConnected.set(0);
      this.#status.connected = false;
    }
    await this.#position.save();
    return attempt;
  }
}
