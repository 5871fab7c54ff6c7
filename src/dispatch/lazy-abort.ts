/**
 * The abort of one in-flight event, for a shutdown that stops waiting for its handlers. Its
 * AbortSignal (`ctx.signal`) is made only when a handler asks for it: most never do, and an
 * AbortController per event was a visible share of the dispatcher's own cost per event. A signal
 * asked for after the abort comes already aborted.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #waiters: Array<() => void> = [];

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves to 'aborted' once abort() is called (at once if it was). */
  whenAborted(): Promise<'aborted'> {
    if (this.#aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => this.#waiters.push(() => resolve('aborted')));
  }
}
