import { storageFault, type StorageFault } from '../errors.js';

export interface InboxHealthState {
  /** False while deliveries cannot be committed (they get 503, X retries). */
  writable: boolean;
  /** Why not: the disk or database is full, locked, or unavailable. */
  reason: StorageFault | null;
  /** Since when writes have been failing. */
  since: Date | null;
}

/**
 * Whether the inbox can commit, from the outcome of its own writes: no probe writes, nothing
 * extra on the hot path. The first commit that succeeds makes it writable again. A failure counts
 * for `recentMs` only: an instance that a load balancer took out of rotation on its /readyz gets
 * no deliveries to learn from, so it reports writable again after that long without a write, gets
 * traffic, and either commits (intake has resumed) or fails again and says so.
 */
export class InboxHealth {
  #since: number | null = null;
  #lastFailure: number | null = null;
  #reason: StorageFault | null = null;

  constructor(
    private readonly recentMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(): void {
    this.#since = this.#lastFailure = null;
    this.#reason = null;
  }

  /** Records a failed write; returns why it failed. */
  failed(error: unknown): StorageFault {
    const at = this.now();
    this.#reason = storageFault(error);
    this.#since ??= at;
    this.#lastFailure = at;
    return this.#reason;
  }

  state(): InboxHealthState {
    if (this.#lastFailure === null || this.now() - this.#lastFailure >= this.recentMs) return { writable: true, reason: null, since: null };
    return { writable: false, reason: this.#reason, since: new Date(this.#since!) };
  }
}
