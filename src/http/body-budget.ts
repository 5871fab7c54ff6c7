/**
 * The budget of request-body bytes held in memory at once: one total across all requests, and a
 * share of it per client address, so that one client (or a few) cannot take all of it. A request
 * reserves bytes before its body is read (the announced Content-Length) and may grow its
 * reservation while reading (a body without a length); the reservation is released once, when
 * the request is over, however it ends. Pure accounting: no I/O, no timers.
 */
import { ChurnMap } from '../runtime/churn-map.js';

export interface BodyBudgetOptions {
  /** Bytes of bodies in flight across all requests (WEBHOOK_BODY_BUDGET_BYTES). */
  totalBytes: number;
  /** Bytes of bodies in flight per client address (WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES), at most totalBytes. */
  perClientBytes: number;
}

/** Why a reservation was refused: the whole budget, or this client's share of it, is taken. */
export type BudgetRefusal = 'total' | 'client';

export interface Reservation {
  /** Bytes this reservation holds (0 once released). */
  readonly bytes: number;
  /** Holds `more` bytes on top; null when they fit, else why not (nothing changes then, and the reservation stays). */
  grow(more: number): BudgetRefusal | null;
  /** Gives every byte back. Idempotent: later calls (and grow) do nothing. */
  release(): void;
}

export interface BodyBudget {
  /** Reserves `bytes` for a body from `client`; a Reservation, or why it does not fit. */
  reserve(client: string, bytes: number): Reservation | BudgetRefusal;
  /** Bytes reserved across all requests. */
  readonly inFlight: number;
  /** Bytes reserved by one client (0 for an unknown one). */
  heldBy(client: string): number;
  /** Clients holding a reservation of more than 0 bytes, or an open one. */
  readonly clients: number;
  readonly options: Readonly<BodyBudgetOptions>;
}

export function createBodyBudget(options: BodyBudgetOptions): BodyBudget {
  const { totalBytes, perClientBytes } = options;
  if (!(Number.isSafeInteger(totalBytes) && totalBytes > 0)) throw new RangeError('totalBytes must be a positive whole number');
  if (!(Number.isSafeInteger(perClientBytes) && perClientBytes > 0 && perClientBytes <= totalBytes)) {
    throw new RangeError('perClientBytes must be a positive whole number, at most totalBytes');
  }
  let inFlight = 0;
  /** Per client: bytes held and open reservations (the entry goes when both are 0). */
  const byClient = new ChurnMap<{ bytes: number; open: number }>();

  function fits(held: number, more: number): BudgetRefusal | null {
    if (inFlight + more > totalBytes) return 'total';
    if (held + more > perClientBytes) return 'client';
    return null;
  }

  function reserve(client: string, bytes: number): Reservation | BudgetRefusal {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError('bytes must be a whole number, at least 0');
    const entry = byClient.get(client);
    const refused = fits(entry?.bytes ?? 0, bytes);
    if (refused) return refused;
    const held = entry ?? { bytes: 0, open: 0 };
    if (!entry) byClient.set(client, held);
    held.bytes += bytes;
    held.open++;
    inFlight += bytes;
    return new Held(client, held, bytes);
  }

  // A class, not an object literal with a getter: a literal's getter is a new function per
  // request, which keeps every reservation alive through young-generation collections
  // (runtime/private-state.ts).
  class Held implements Reservation {
    readonly #client: string;
    readonly #held: { bytes: number; open: number };
    #mine: number;
    #released = false;

    constructor(client: string, held: { bytes: number; open: number }, bytes: number) {
      this.#client = client;
      this.#held = held;
      this.#mine = bytes;
    }

    get bytes(): number {
      return this.#mine;
    }

    grow(more: number): BudgetRefusal | null {
      if (this.#released) return null;
      if (!(Number.isSafeInteger(more) && more >= 0)) throw new RangeError('more must be a whole number, at least 0');
      const no = fits(this.#held.bytes, more);
      if (no) return no;
      this.#held.bytes += more;
      inFlight += more;
      this.#mine += more;
      return null;
    }

    release(): void {
      if (this.#released) return;
      this.#released = true;
      this.#held.bytes -= this.#mine;
      this.#held.open--;
      inFlight -= this.#mine;
      this.#mine = 0;
      if (this.#held.open === 0) byClient.delete(this.#client);
    }
  }

  return {
    reserve,
    get inFlight() {
      return inFlight;
    },
    heldBy: (client) => byClient.get(client)?.bytes ?? 0,
    get clients() {
      return byClient.size;
    },
    options: Object.freeze({ totalBytes, perClientBytes }),
  };
}
