/**
 * The dispatch work queue: what a dispatcher asks of the store, whichever database and whichever
 * connection serves it (Prisma in prisma-queue.ts; on SQLite inside the server, the process's one
 * writer thread, reached through remote-queue.ts).
 */

export interface QueuedEvent {
  id: string;
  dedupeKey: string;
  type: string;
  action: string | null;
  forUserId: string | null;
  format: string;
  occurredAt: Date | null;
  receivedAt: Date;
  /** The activity as JSON text; null for an event that comes with `activity` instead. */
  payload: string | null;
  sideObjects: string | null;
  /**
   * An event the SQLite writer hands the dispatcher with its delivery's body (pushed from the
   * commit that stored it, or claimed when it is its delivery's only activity): the body and the
   * event's position among the body's activities, parsed only when a handler reads the payload
   * (normalize/prepare.ts activityOf).
   */
  activity?: { body: Uint8Array; index: number };
}

export interface HandlerRunRow {
  id: string;
  eventId: string;
  handler: string;
  state: 'pending' | 'done' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
}

export interface ClaimOptions {
  owner: string;
  now: Date;
  leaseMs: number;
  limit: number;
  /** Only the oldest pending event of each subscribed user is claimable. */
  perUserOrder: boolean;
}

export interface AttemptRecord {
  run: HandlerRunRow;
  worker: string;
  startedAt: Date;
  finishedAt: Date;
}

/** What happened to one event's due runs, recorded together with the event's new state. */
export interface EventOutcome {
  eventId: string;
  owner: string;
  worker: string;
  runs: Array<
    | { run: HandlerRunRow; startedAt: Date; finishedAt: Date; ok: true }
    | { run: HandlerRunRow; startedAt: Date; finishedAt: Date; ok: false; error: string; retryAt: Date | null }
  >;
  /** null: every run is finished (done or dead), the event is done. Else: when it is due again. */
  nextAt: Date | null;
  now: Date;
}

/** Which plugins want which event types: lets the writer create runs as it stores events. */
export interface PluginInterest {
  name: string;
  /** Canonical event types the plugin handles; null: every type (onAny). */
  types: string[] | null;
}

/** A new event the writer stored already leased to the attached dispatcher, with its runs. */
export interface PushedWork {
  event: QueuedEvent;
  runs: HandlerRunRow[];
}

/** A dispatcher that takes new events straight from the commit that stored them. */
export interface DispatchAttachment {
  owner: string;
  leaseMs: number;
  perUserOrder: boolean;
  plugins: PluginInterest[];
  /** Most pushed events not yet settled; beyond it new events are stored unleased and claimed later. */
  maxOutstanding: number;
}

export interface WorkQueue {
  /**
   * Leases up to `limit` events that are due, the earliest due first (a new event is due when it
   * arrives, a retry at its retry time), ties in id order.
   */
  claim(o: ClaimOptions): Promise<QueuedEvent[]>;
  /** Creates the missing (event, handler) runs and returns all runs of these events. */
  ensureRuns(wanted: Array<{ eventId: string; handlers: string[] }>, now: Date): Promise<HandlerRunRow[]>;
  /** Run completions, retries, dead letters, attempts and the events' new state, in one transaction. */
  recordOutcomes(outcomes: EventOutcome[]): Promise<void>;
  /** Extends the leases this owner holds on these events. */
  renew(eventIds: string[], owner: string, until: Date): Promise<void>;
  /** Gives leases back without trying (shutdown, per-user order): available again at once. */
  release(eventIds: string[], owner: string): Promise<void>;
  /** Records an attempt that a shutdown cut short (it does not count as a try). */
  recordReleasedAttempt(a: AttemptRecord): Promise<void>;
}
