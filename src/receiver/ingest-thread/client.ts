import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../runtime/worker.js';
import type { RecordedDelivery } from '../../store/index.js';
import type { RawDelivery } from '../prepare.js';
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
 * The main thread's handle on the ingest thread. write() resolves once the batch is committed.
 * If the thread dies, its pending batches are rejected (503: X retries) and the next write
 * starts a new thread.
 */
export class IngestThread {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: RecordedDelivery[]) => void; reject: (e: Error) => void }>();

  constructor(private readonly settings: ThreadSettings) {}

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = startWorker(import.meta.url, './thread.js', { workerData: this.settings });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        reject(error);
        for (const [, waiter] of this.#pending) waiter.reject(new StoreWriteError(`ingest thread stopped: ${error.message}`));
        this.#pending.clear();
      };
      worker.on('message', (message: FromThread) => {
        if ('ready' in message) return resolve();
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
    return this.#ready;
  }

  async write(raws: RawDelivery[]): Promise<RecordedDelivery[]> {
    await this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Each body gets its own exact-size buffer: a Buffer sliced from a larger pool would
      // otherwise clone the whole pool into the message.
      const message: ToThread = { id, raws: raws.map((r) => ({ ...r, body: new Uint8Array(r.body) })) };
      this.#worker!.postMessage(message);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#ready = undefined;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close' satisfies ToThread);
    });
  }
}
