/** Writes a batch in one transaction; returns one result per input, in order. */
export type BatchWriter<In, Out> = (items: In[]) => Promise<Out[]>;

export interface GroupCommitOptions {
  /** Most deliveries committed in one transaction. */
  maxBatch?: number;
  /**
   * Batches handed to the writer before the first of them has committed (default 1). A writer
   * that queues batches itself and commits them in order (the SQLite writer thread) takes more,
   * so it never waits idle for the next batch to reach it.
   */
  inFlight?: number;
  /** Observes each commit (batch size and duration), for metrics. */
  onCommit?: (size: number, seconds: number, ok: boolean) => void;
}

interface Pending<In, Out> {
  delivery: In;
  resolve: (result: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items (deliveries, handler outcomes) that arrive while a commit is running are
 * written together in the next transaction, so the cost of a commit (an fsync) is shared. Each
 * caller's promise resolves only after the transaction holding its delivery has committed.
 * If a batch fails, its deliveries are retried one by one, so one bad row cannot fail the others.
 */
export class GroupCommit<In, Out> {
  readonly #writeBatch: BatchWriter<In, Out>;
  readonly #close: () => Promise<void>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #onCommit: GroupCommitOptions['onCommit'];
  #queue: Array<Pending<In, Out>> = [];
  #inFlight = 0;
  #closed = false;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(writeBatch: BatchWriter<In, Out>, options: GroupCommitOptions = {}, close: () => Promise<void> = async () => {}) {
    this.#writeBatch = writeBatch;
    this.#close = close;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#maxInFlight = Math.max(1, options.inFlight ?? 1);
    this.#onCommit = options.onCommit;
  }

  /** Resolves once the delivery and its events are committed; rejects if they could not be. */
  write(delivery: In): Promise<Out> {
    if (this.#closed) return Promise.reject(new Error('the store is closed (shutting down)'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ delivery, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Waits for what is queued, then releases the writer. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
    await this.#close();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // One macrotask of delay lets the deliveries already read from their sockets join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        if (this.#queue.length > 0) this.#schedule();
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  async #commit(batch: Array<Pending<In, Out>>): Promise<void> {
    const started = performance.now();
    try {
      const results = await this.#writeBatch(batch.map((p) => p.delivery));
      this.#onCommit?.(batch.length, (performance.now() - started) / 1000, true);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      this.#onCommit?.(batch.length, (performance.now() - started) / 1000, false);
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // Was it one bad delivery, or is the store unavailable? Try the first alone: if that fails
      // too, the store is the problem and every delivery of the batch is refused at once (503, X
      // retries) rather than each waiting out its own timeout.
      const [first, ...rest] = batch;
      if (!(await this.#commitOne(first!))) {
        for (const p of rest) p.reject(error);
        return;
      }
      for (const p of rest) await this.#commitOne(p);
    }
  }

  async #commitOne(p: Pending<In, Out>): Promise<boolean> {
    const started = performance.now();
    try {
      const [result] = await this.#writeBatch([p.delivery]);
      this.#onCommit?.(1, (performance.now() - started) / 1000, true);
      p.resolve(result!);
      return true;
    } catch (error) {
      this.#onCommit?.(1, (performance.now() - started) / 1000, false);
      p.reject(error);
      return false;
    }
  }
}
