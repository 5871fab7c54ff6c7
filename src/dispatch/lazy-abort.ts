/**
 * The abort of one in-flight event (a shutdown that stops waiting for its handlers) or of one
 * attempt (its handler ran past DISPATCH_HANDLER_TIMEOUT_MS). Its AbortSignal (`ctx.signal`) is
 * made only when a handler asks for it: most never do, and an AbortController per event was a
 * visible share of the dispatcher's own cost per event. A signal asked for after the abort comes
 * already aborted, with the same reason.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #waiters: Array<(reason: unknown) => void> = [];

  get aborted(): boolean {
    return this.#aborted;
  }

  /** What abort() was given (undefined: the signal's reason is the platform's AbortError). */
  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    for (const wake of this.#waiters.splice(0)) wake(reason);
  }

  /** Calls `listener` once, when abort() is called (at once if it was). */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.#aborted) listener(this.#reason);
    else this.#waiters.push(listener);
  }

  /** Resolves to 'aborted' once abort() is called (at once if it was). */
  whenAborted(): Promise<'aborted'> {
    if (this.#aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => this.#waiters.push(() => resolve('aborted')));
  }
}
