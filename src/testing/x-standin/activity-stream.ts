import type { ServerResponse } from 'node:http';

/** X keeps this much of the stream for `backfill_minutes` (at most 5). */
export const STREAM_RETENTION_MS = 5 * 60_000;
/** X's keep-alive: `\r\n` at least every 20 seconds. */
export const STREAM_KEEP_ALIVE_MS = 20_000;

interface Connection {
  res: ServerResponse;
  keepAlive: NodeJS.Timeout;
  /** Lines still to write before this connection is cut in the middle of the next one (a drop mid-burst). */
  dropAfter: number | null;
  lines: number;
}

/**
 * The XAA persistent stream as X documents it (GET /2/activity/stream): the same envelope as a
 * webhook delivery, one event per line (`\r\n`-terminated), a `\r\n` keep-alive at least every
 * 20 seconds, and the last 5 minutes kept for `backfill_minutes` on (re)connection. Every event
 * of a matching XAA subscription is published here, whether or not the subscription also names
 * a webhook. The test controls cut connections now or mid-burst (after some more lines, in the
 * middle of a line).
 */
export class ActivityStreamHub {
  readonly #buffer: Array<{ at: number; line: string }> = [];
  readonly #connections = new Set<Connection>();
  /** Total lines written to connections (backfill included). */
  written = 0;

  constructor(
    readonly now: () => Date,
    readonly keepAliveMs: number = STREAM_KEEP_ALIVE_MS,
  ) {}

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Lines kept for backfill (the last 5 minutes by the stand-in's clock). */
  get retained(): number {
    this.#prune();
    return this.#buffer.length;
  }

  /** Opens a stream on `res`: the backfill of the last `backfillMinutes` first, then live lines and keep-alives. */
  open(res: ServerResponse, backfillMinutes: number, headers: Record<string, string>): void {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', ...headers });
    // Headers go out now: a client knows the stream is open before the first event or keep-alive.
    res.flushHeaders();
    const c: Connection = {
      res,
      keepAlive: setInterval(() => res.write('\r\n'), this.keepAliveMs),
      dropAfter: null,
      lines: 0,
    };
    c.keepAlive.unref();
    this.#connections.add(c);
    res.on('close', () => {
      clearInterval(c.keepAlive);
      this.#connections.delete(c);
    });
    res.socket?.setNoDelay(true);
    if (backfillMinutes > 0) {
      this.#prune();
      const from = this.now().getTime() - backfillMinutes * 60_000;
      for (const { at, line } of this.#buffer) if (at >= from) this.#write(c, line);
    }
  }

  /** An event for the stream: kept for backfill, and written to every open connection when `live`. */
  publish(line: string, live = true): void {
    this.#buffer.push({ at: this.now().getTime(), line });
    this.#prune();
    if (!live) return;
    for (const c of [...this.#connections]) this.#write(c, line);
  }

  /**
   * Cuts every open connection: now (`afterLines` 0 or unset), or after `afterLines` more lines,
   * in the middle of the next one (its first half written, then the socket destroyed).
   */
  drop(afterLines = 0): void {
    for (const c of [...this.#connections]) {
      if (afterLines <= 0) this.#cut(c);
      else c.dropAfter = afterLines;
    }
  }

  /** Closes every connection (the stand-in stops). */
  closeAll(): void {
    for (const c of [...this.#connections]) this.#cut(c);
  }

  #write(c: Connection, line: string): void {
    if (c.res.destroyed) return;
    if (c.dropAfter !== null && c.dropAfter-- <= 0) {
      c.res.write(line.slice(0, Math.ceil(line.length / 2)));
      this.#cut(c);
      return;
    }
    c.res.write(`${line}\r\n`);
    c.lines++;
    this.written++;
  }

  #cut(c: Connection): void {
    clearInterval(c.keepAlive);
    this.#connections.delete(c);
    c.res.socket?.destroy();
    c.res.destroy();
  }

  #prune(): void {
    const oldest = this.now().getTime() - STREAM_RETENTION_MS;
    let n = 0;
    while (n < this.#buffer.length && this.#buffer[n]!.at < oldest) n++;
    if (n) this.#buffer.splice(0, n);
  }
}
