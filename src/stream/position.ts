import type { Logger } from '../log/index.js';

/** Where the consumer keeps its position and reports gaps (the store: stream_state, stream_gaps). */
export interface StreamPosition {
  lastSeen(): Promise<Date | null>;
  saveLastSeen(at: Date): Promise<void>;
  recordGap(gap: { from: Date; to: Date; seconds: number; detectedAt: Date }): Promise<void>;
}

/**
 * The consumer's durable position: the time up to which every line received is stored (an event
 * committed, a keep-alive), read from the store before any connection and saved there while it
 * moves (each `everyMs`, at the end of each connection, at stop), so that a restart, even after
 * a crash, asks for the same backfill.
 */
export class PositionKeeper {
  readonly #store: StreamPosition;
  readonly #logger: Logger;
  #seen: Date | null = null;
  #saved: Date | null = null;
  #checkpoint: NodeJS.Timeout | undefined;
  /** The last save asked for (saves run one at a time): a stop's save waits for a checkpoint's. */
  #saving: Promise<void> = Promise.resolve();
  /** A save waiting for the one under way: later calls share it (it reads the position when it starts). */
  #queued: Promise<void> | undefined;

  constructor(store: StreamPosition, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Every line up to this time is stored; null: nothing ever received. */
  get seen(): Date | null {
    return this.#seen;
  }

  /** Every line up to `at` is stored. */
  reach(at: Date): void {
    this.#seen = at;
  }

  /** Takes the saved position from the store; rejects (nothing changed) when it cannot be read. */
  async read(): Promise<void> {
    this.#seen = await this.#store.lastSeen();
    this.#saved = this.#seen;
  }

  /**
   * Saves the position when it moved since the last save; a failure is logged (the next save tries
   * again). Saves run one after the other: this resolves once no save is under way.
   */
  save(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#saving.then(() => {
      this.#queued = undefined;
      return this.#saveNow();
    });
    this.#queued = next;
    this.#saving = next;
    return next;
  }

  async #saveNow(): Promise<void> {
    const seen = this.#seen;
    if (!seen || (this.#saved && this.#saved.getTime() >= seen.getTime())) return;
    try {
      await this.#store.saveLastSeen(seen);
      this.#saved = seen;
    } catch (err) {
      this.#logger.warn({ err }, 'stream: could not save the last-seen time');
    }
  }

  /** Saves every `everyMs` from now on (once; the timer does not hold the process open). */
  startCheckpoints(everyMs: number): void {
    this.#checkpoint ??= setInterval(() => void this.save(), everyMs);
    this.#checkpoint.unref();
  }

  stopCheckpoints(): void {
    if (this.#checkpoint) clearInterval(this.#checkpoint);
  }
}
