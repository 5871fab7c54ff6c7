import type { Logger } from '../log/index.js';
import { ArrivalOrder } from './arrival-order.js';
import type { Attempt, EndReason } from './attempt.js';
import { IdleTimer } from './idle-timer.js';
import { lineKind, logSystemMessage } from './line-kinds.js';
import { LineSplitter } from './lines.js';
import { refusedAttempt } from './refusal.js';
import { networkErrorDetail, requestStream, streamUrl } from './request.js';

export interface ConnectionDeps {
  /** X_API_BASE_URL. */
  baseUrl: string;
  /** The app bearer token. Never in a detail. */
  bearerToken: string;
  idleTimeoutMs: number;
  /** The longest line kept: longer ones are dropped and logged. */
  maxLineBytes: number;
  /** Lines being stored at once before reading pauses (the socket then pushes back on X). */
  maxInFlight: number;
  logger: Logger;
  now: () => Date;
  /** Stores an event line; rejects when it is not stored. */
  store(line: Buffer, receivedAt: Date): Promise<void>;
  /** Every line up to `at` is stored: the position moves there. */
  reach(at: Date): void;
  /** Whether the consumer is stopping: the connection's end is then 'stopped'. */
  stopping(): boolean;
  /** X opened the stream (answered 200): called before the first line is read. */
  opened(): Promise<void>;
  /**
   * The attempt ended, once what was being stored settled: every end but X's refusal (an answer
   * other than 200), a network error before any answer included; `opened`: X had answered 200.
   */
  closed(opened: boolean): Promise<void>;
}

/**
 * One connection to the stream, from the request to its end: reads the lines as they come, stores
 * the events (at most `maxInFlight` at once), moves the position in arrival order, and ends on an
 * idle timeout, a line that could not be stored, the stream closing, a network error, or `abort`
 * (the consumer stopping). Never throws: resolves to how the attempt ended.
 */
export async function runConnection(d: ConnectionDeps, backfillMinutes: number, abort: AbortController): Promise<Attempt> {
  return new Connection(d, abort).run(backfillMinutes);
}

class Connection {
  readonly #d: ConnectionDeps;
  readonly #abort: AbortController;
  #ended: EndReason | undefined;
  readonly #idle: IdleTimer;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #order: ArrivalOrder;
  readonly #splitter: LineSplitter;
  #opened = false;
  #openedAt = 0;

  constructor(d: ConnectionDeps, abort: AbortController) {
    this.#d = d;
    this.#abort = abort;
    this.#idle = new IdleTimer(d.idleTimeoutMs, () => this.#end('idle'));
    this.#order = new ArrivalOrder(d.reach);
    this.#splitter = new LineSplitter(d.maxLineBytes);
  }

  #end(reason: EndReason): void {
    this.#ended ??= reason;
    this.#abort.abort();
  }

  #openMs(): number | undefined {
    return this.#opened ? performance.now() - this.#openedAt : undefined;
  }

  async run(backfillMinutes: number): Promise<Attempt> {
    const d = this.#d;
    const url = streamUrl(d.baseUrl, backfillMinutes);
    try {
      const res = await requestStream(url, d.bearerToken, this.#abort.signal);
      this.#idle.touch();
      if (res.status !== 200 || !res.body) {
        // The error body is read under the idle timer, then the timer is cleared.
        const refused = await refusedAttempt(res, d.now);
        this.#idle.clear();
        return refused;
      }
      this.#opened = true;
      this.#openedAt = performance.now();
      await d.opened();
      await this.#read(res.body as unknown as AsyncIterable<Uint8Array>);
      this.#ended ??= d.stopping() ? 'stopped' : 'closed';
    } catch (err) {
      this.#ended ??= d.stopping() ? 'stopped' : 'network';
      if (this.#ended === 'network') {
        // fetch quotes a header it refuses: the token never goes into a detail (logged, shown by status()).
        const detail = networkErrorDetail(err, d.bearerToken);
        return this.#finish({ reason: 'network', opened: this.#opened, openMs: this.#openMs(), detail });
      }
    }
    return this.#finish({ reason: this.#ended, opened: this.#opened, openMs: this.#openMs() });
  }

  /** Reads the body until it ends or the connection is ended. */
  async #read(body: AsyncIterable<Uint8Array>): Promise<void> {
    const { logger, maxInFlight, maxLineBytes } = this.#d;
    const splitter = this.#splitter;
    for await (const chunk of body) {
      this.#idle.touch();
      const at = this.#d.now();
      for (const line of splitter.push(chunk)) {
        const kind = lineKind(line);
        if (kind !== 'event') {
          if (kind === 'system') logSystemMessage(logger, line);
          this.#order.passed(at);
          continue;
        }
        this.#store(line, at);
        if (this.#inFlight.size >= maxInFlight) {
          // Waiting for the store is not the network being idle: the timer restarts after it.
          this.#idle.clear();
          await Promise.race(this.#inFlight);
          this.#idle.touch();
        }
      }
      this.#order.advance();
      if (splitter.oversized) {
        logger.warn({ lines: splitter.oversized, maxBytes: maxLineBytes }, 'stream: dropped lines longer than WEBHOOK_MAX_BODY_BYTES');
        splitter.oversized = 0;
      }
      if (this.#ended) break;
    }
  }

  #store(line: Buffer, at: Date): void {
    const stored = this.#order.pending(at);
    const write: Promise<void> = this.#d.store(line, at).then(
      () => stored(),
      (err: unknown) => {
        // Not stored: this line must come again. The connection is dropped and the
        // reconnection's backfill starts before it (last-seen stops here).
        this.#d.logger.error({ err }, 'stream: an event could not be stored; reconnecting so that the backfill brings it again');
        this.#end('store');
      },
    );
    this.#inFlight.add(write);
    void write.finally(() => this.#inFlight.delete(write));
  }

  async #finish(attempt: Attempt): Promise<Attempt> {
    this.#idle.clear();
    this.#abort.abort();
    // What is being stored settles first: the next connection's backfill starts after it.
    await Promise.allSettled([...this.#inFlight]);
    this.#order.advance();
    const partial = this.#splitter.reset();
    if (partial > 0) this.#d.logger.warn({ bytes: partial }, 'stream: the connection ended inside a line; it is dropped (the backfill brings the event again)');
    await this.#d.closed(attempt.opened);
    return attempt;
  }
}
