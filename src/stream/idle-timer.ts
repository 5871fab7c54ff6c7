/**
 * One timer for a whole connection attempt: connecting, the headers and every read must make
 * progress within `ms`, else `onIdle` runs. touch() on progress; clear() at the end, and while
 * waiting on something that is not the network (the store), touch() again after it.
 */
export class IdleTimer {
  readonly #ms: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout;

  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
    this.#timer = setTimeout(onIdle, ms);
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onIdle, this.#ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
