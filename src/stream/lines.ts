/**
 * Splits the bytes of a persistent stream into lines, whatever the chunks: a line may arrive in
 * pieces, several lines in one chunk, a CRLF split between two chunks. A line ends at LF, CR or
 * CRLF (JSON text never holds a raw CR or LF, so no event is cut by this). An empty line is X's
 * keep-alive (`\r\n` at least every 20 seconds). A line longer than `maxLineBytes` is dropped up
 * to its end and counted in `oversized`, so that a runaway line cannot hold unbounded memory.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  /** The previous chunk ended with CR: an LF first in the next one closes the same line. */
  #afterCr = false;
  /** Inside a line already over the limit: its bytes are skipped up to its end. */
  #skipping = false;
  /** Lines dropped for being longer than the limit. */
  oversized = 0;

  constructor(readonly maxLineBytes: number) {}

  /** The complete lines in `chunk` (with what came before it), in order; an empty Buffer is a keep-alive. */
  push(chunk: Uint8Array): Buffer[] {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Buffer[] = [];
    let start = 0;
    if (this.#afterCr && bytes.length > 0) {
      this.#afterCr = false;
      if (bytes[0] === 0x0a) start = 1;
    }
    for (let i = start; i < bytes.length; i++) {
      const b = bytes[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      this.#end(bytes.subarray(start, i), out);
      if (b === 0x0d) {
        if (i + 1 < bytes.length) {
          if (bytes[i + 1] === 0x0a) i++;
        } else {
          this.#afterCr = true;
        }
      }
      start = i + 1;
    }
    if (start < bytes.length) this.#keep(bytes.subarray(start));
    return out;
  }

  /** Bytes of an unfinished line, dropped when the connection ends (an event cut off is not an event). */
  get pending(): number {
    return this.#size;
  }

  /** Forgets an unfinished line (a new connection starts clean); returns how many bytes it had. */
  reset(): number {
    const dropped = this.#size;
    this.#parts = [];
    this.#size = 0;
    this.#afterCr = false;
    this.#skipping = false;
    return dropped;
  }

  #keep(piece: Buffer): void {
    if (this.#skipping) return;
    if (this.#size + piece.length > this.maxLineBytes) {
      this.#skipping = true;
      this.#parts = [];
      this.#size = 0;
      return;
    }
    // Copied: the chunk's memory may be reused by the reader.
    this.#parts.push(Buffer.from(piece));
    this.#size += piece.length;
  }

  #end(tail: Buffer, out: Buffer[]): void {
    if (this.#skipping) {
      this.#skipping = false;
      this.oversized++;
      return;
    }
    if (this.#size + tail.length > this.maxLineBytes) {
      this.#parts = [];
      this.#size = 0;
      this.oversized++;
      return;
    }
    if (this.#parts.length === 0) {
      out.push(Buffer.from(tail));
    } else {
      this.#parts.push(tail);
      out.push(Buffer.concat(this.#parts, this.#size + tail.length));
      this.#parts = [];
      this.#size = 0;
    }
  }
}
