import type { IncomingMessage } from 'node:http';
import type { BudgetRefusal, Reservation } from './body-budget.js';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
  }
}

/** The body arrived slower than the minimum upload rate over one window: cut off. */
export class BodyTooSlow extends Error {
  constructor(
    readonly bytesPerSecond: number,
    readonly windowMs: number,
  ) {
    super(`body arrived slower than ${bytesPerSecond} bytes/s over ${windowMs} ms`);
  }
}

/** More bytes arrived than were reserved, and the budget could not hold them. */
export class BodyOverBudget extends Error {
  constructor(readonly refusal: BudgetRefusal) {
    super(`body bytes in flight exceed the ${refusal === 'total' ? 'total budget' : "client's share"}`);
  }
}

/** The connection closed before the whole body arrived. */
export class BodyAborted extends Error {
  constructor() {
    super('the request was aborted before its body was complete');
  }
}

/** How often the minimum upload rate is checked, and the span it is measured over. */
export const UPLOAD_RATE_WINDOW_MS = 5_000;

export interface ReadBodyOptions {
  /** Largest body: BodyTooLarge as soon as more is announced or has arrived. */
  limit: number;
  /**
   * The body's place in the budget: bytes past what it holds are added to it as they arrive (a
   * body without Content-Length), BodyOverBudget when they do not fit. Releasing it is the
   * caller's job (when the request is over).
   */
  reservation?: Reservation;
  /** Fewer bytes than this per second over a window (while the body is incomplete): BodyTooSlow. 0: no minimum. */
  minBytesPerSecond?: number;
  /** The window of the minimum rate (default UPLOAD_RATE_WINDOW_MS). */
  windowMs?: number;
}

/** The Content-Length a request announces, or null without one. */
export function announcedLength(req: IncomingMessage): number | null {
  const value = req.headers['content-length'];
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/**
 * Reads the request body as raw bytes, without any parsing: the signature covers exactly these.
 * A body with a Content-Length is written into one buffer of that size as it arrives (no second
 * copy at the end); one without is collected in chunks. Rejects with BodyTooLarge, BodyTooSlow,
 * BodyOverBudget or BodyAborted, having stopped reading (the caller answers and closes).
 */
export function readRawBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { limit, reservation, minBytesPerSecond = 0, windowMs = UPLOAD_RATE_WINDOW_MS } = options;
  const announced = announcedLength(req);
  if (announced !== null && announced > limit) return Promise.reject(new BodyTooLarge(limit));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    let whole: Buffer | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let sizeAtWindowStart = 0;
    let windowStart = performance.now();
    let settled = false;
    const timer =
      minBytesPerSecond > 0
        ? setInterval(() => {
            const now = performance.now();
            // A window that ended much later than due was a stall of this process, not of the
            // client (what it sent may still wait in the socket): it is not judged.
            const stalled = now - windowStart > windowMs * 1.5;
            if (!stalled && size - sizeAtWindowStart < (minBytesPerSecond * windowMs) / 1000) {
              fail(new BodyTooSlow(minBytesPerSecond, windowMs));
            }
            sizeAtWindowStart = size;
            windowStart = now;
          }, windowMs)
        : undefined;
    timer?.unref();

    const onData = (chunk: Buffer) => {
      const next = size + chunk.length;
      if (next > limit) {
        req.resume(); // drained, not kept: the caller answers 413 and closes
        return fail(new BodyTooLarge(limit));
      }
      if (reservation && next > reservation.bytes) {
        const refused = reservation.grow(next - reservation.bytes);
        if (refused) return fail(new BodyOverBudget(refused));
      }
      if (size === 0 && chunk.length === announced) {
        // The whole body in one chunk (most deliveries): kept as it is, no copy.
        whole = chunk;
      } else if (announced !== null && next <= announced) {
        // Allocated once, at the announced (and reserved) size; pages are touched only as bytes arrive.
        whole ??= Buffer.allocUnsafe(announced);
        chunk.copy(whole, size);
      } else {
        chunks.push(chunk);
      }
      size = next;
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      if (whole && size === announced && chunks.length === 0) return resolve(whole);
      const parts = whole ? [whole.subarray(0, Math.min(size, announced!)), ...chunks] : chunks;
      resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    };
    const onError = (error: Error) => fail(error);
    const onClose = () => fail(new BodyAborted());
    function fail(error: Error) {
      if (settled) return;
      settled = true;
      cleanup();
      whole = undefined;
      chunks.length = 0;
      reject(error);
    }
    function cleanup() {
      if (timer) clearInterval(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
