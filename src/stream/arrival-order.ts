/**
 * The lines of one connection in arrival order: the position moves to a line's time once that
 * line and every line before it are stored (or needed no storing: a keep-alive, a system
 * message), so that a line still being stored, or never stored, comes again in the next
 * connection's backfill.
 */
export class ArrivalOrder {
  readonly #reach: (at: Date) => void;
  readonly #order: Array<{ at: Date; done: boolean }> = [];
  #head = 0;

  /** `reach(at)`: every line of this connection up to `at` is stored. */
  constructor(reach: (at: Date) => void) {
    this.#reach = reach;
  }

  /** A line that needs no storing. */
  passed(at: Date): void {
    this.#order.push({ at, done: true });
  }

  /** A line being stored: the function returned says it is (and advances). */
  pending(at: Date): () => void {
    const entry = { at, done: false };
    this.#order.push(entry);
    return () => {
      entry.done = true;
      this.advance();
    };
  }

  /** Moves the position over the lines done at the head of the order. */
  advance(): void {
    const order = this.#order;
    while (this.#head < order.length && order[this.#head]!.done) this.#reach(order[this.#head++]!.at);
    if (this.#head > 1024 && this.#head * 2 > order.length) {
      order.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
