import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../../runtime/worker.js';
import { trackThread } from '../../runtime/thread-cpu.js';
import type { RawDelivery, RecordedDelivery } from '../inbox/types.js';
import type { FromThread, ThreadSettings, ToThread } from './protocol.js';

export class StoreWriteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'StoreWriteError';
  }
}

/**
 * How long after the writer thread died a linked dispatcher's writer is started again: doubling
 * from the first to the last, and back to the first once a thread has run as long as the last.
 */
export const RESTART_DELAYS_MS = { first: 250, last: 30_000 } as const;

/**
 * The main thread's handle on the SQLite writer thread. write() resolves once the batch is
 * committed. If the thread dies, its pending batches are rejected (503: X retries), the next
 * write starts a new thread, and the dispatcher is linked to the new one. With a dispatcher
 * linked, a new thread is also started without waiting for a write (after RESTART_DELAYS_MS,
 * doubling while starts fail): on a quiet receiver, retries falling due and a shutdown's
 * outcomes need the writer as much as deliveries do.
 */
export class SqliteWriter {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  #onStart: ((dispatchPort: MessagePort) => void) | undefined;
  #closed = false;
  #restart: NodeJS.Timeout | undefined;
  #restartDelayMs: number = RESTART_DELAYS_MS.first;
  /** Writes awaiting their commit, each with the thread it was sent to. */
  readonly #pending = new Map<number, { resolve: (r: RecordedDelivery[]) => void; reject: (e: Error) => void; worker: Worker }>();

  constructor(private readonly settings: ThreadSettings) {}

  /**
   * Links a dispatcher to the writer: `link` gets one end of a new channel each time the writer
   * thread starts (now, and again after a restart); the thread holds the other end.
   */
  linkDispatcher(link: (writerPort: MessagePort) => void): Promise<void> {
    this.#onStart = link;
    if (this.#worker) this.#link(this.#worker);
    return this.#start();
  }

  #link(worker: Worker): void {
    if (!this.#onStart) return;
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ dispatchPort: port1 } satisfies ToThread, [port1]);
    this.#onStart(port2);
  }

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = startWorker(import.meta.url, './thread.js', { workerData: this.settings });
    this.#worker = worker;
    this.#link(worker);
    let readyAt: number | undefined;
    this.#ready = new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
          // The delay starts over only after a thread that lived a while: one that dies soon after
          // its start (the same claim or body killing it each time) is restarted less and less often.
          if (readyAt !== undefined && performance.now() - readyAt >= RESTART_DELAYS_MS.last) this.#restartDelayMs = RESTART_DELAYS_MS.first;
          this.#scheduleRestart();
        }
        reject(error);
        // Only the writes this thread had: its 'exit' comes after its 'error', and a write in
        // between has gone to the thread started since.
        for (const [id, waiter] of this.#pending) {
          if (waiter.worker !== worker) continue;
          this.#pending.delete(id);
          waiter.reject(new StoreWriteError(`writer thread stopped: ${error.message}`));
        }
      };
      worker.on('message', (message: FromThread) => {
        if ('ready' in message) {
          trackThread('sqlite_writer', message.tid, worker);
          readyAt = performance.now();
          return resolve();
        }
        if ('fatal' in message) return fail(new StoreWriteError(message.fatal));
        const waiter = this.#pending.get(message.id);
        if (!waiter) return;
        this.#pending.delete(message.id);
        if (message.ok) waiter.resolve(message.results);
        else waiter.reject(new StoreWriteError(message.error.message, message.error.code));
      });
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    });
    // A failed start is reported by the write that waits on it; nothing else awaits it.
    this.#ready.catch(() => {});
    return this.#ready;
  }

  /** A linked dispatcher waits for a writer: start one again after a delay (unless a write does first). */
  #scheduleRestart(): void {
    if (this.#closed || !this.#onStart || this.#restart) return;
    const delay = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(delay * 2, RESTART_DELAYS_MS.last);
    this.#restart = setTimeout(() => {
      this.#restart = undefined;
      if (!this.#closed && this.#onStart) this.#start().catch(() => {}); // a failed start schedules the next
    }, delay);
    this.#restart.unref();
  }

  /**
   * The running writer thread, if any. For tests that kill it (`terminate()`) to see what a crash
   * of the thread does; nothing else should touch it.
   */
  get thread(): Worker | undefined {
    return this.#worker;
  }

  async write(raws: RawDelivery[]): Promise<RecordedDelivery[]> {
    await this.#start();
    const id = this.#nextId++;
    const worker = this.#worker!;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      // Each body gets its own exact-size copy (a Buffer sliced from a larger pool would otherwise
      // clone the whole pool into the message), which moves to the writer rather than being copied
      // again: the caller keeps its own buffer.
      const bodies = raws.map((r) => new Uint8Array(r.body));
      const message: ToThread = { id, raws: raws.map((r, i) => ({ ...r, body: bodies[i]! })) };
      worker.postMessage(message, bodies.map((b) => b.buffer));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restart);
    this.#restart = undefined;
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#onStart = undefined;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close' satisfies ToThread);
    });
  }
}
