import type { MessagePort } from 'node:worker_threads';
import { ChurnMap } from '../../runtime/churn-map.js';
import type { FromWriter, QueueOp, ToWriter } from '../sqlite-writer/protocol.js';
import type { DispatchAttachment, PushedWork, WorkQueue } from './types.js';

export class WriterUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriterUnavailable';
  }
}

/**
 * The work queue of a dispatcher whose process writes SQLite through one writer thread: every
 * operation is a message to that thread (it commits them together with deliveries), and new
 * events arrive pushed from the commits that stored them. The port is replaced if the writer
 * thread restarts; calls made while there is none wait for the next one. Once the dispatcher
 * stops (`stopping(waitMs)`) they wait at most `waitMs` from then, so that a stop does not wait
 * for a writer that may never come back (its outcomes are then not recorded, and its leases run
 * out), while a writer restarting meanwhile still records them.
 */
export class RemoteWorkQueue implements WorkQueue {
  #port: MessagePort | undefined;
  #connected: Promise<void>;
  #resolveConnected!: () => void;
  #stopping = false;
  #giveUp: NodeJS.Timeout | undefined;
  #gaveUp!: () => void;
  /** Resolves once calls without a writer stop waiting for one. */
  readonly #noWriter = new Promise<void>((resolve) => (this.#gaveUp = resolve));
  #nextCall = 1;
  readonly #calls = new ChurnMap<{ resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  #attachment: DispatchAttachment | undefined;
  #onPushed: (work: PushedWork[]) => void = () => {};

  constructor() {
    this.#connected = new Promise((resolve) => (this.#resolveConnected = resolve));
  }

  /** Who receives pushed work: the dispatcher, described to the writer by its attachment. */
  attach(attachment: DispatchAttachment, onPushed: (work: PushedWork[]) => void): void {
    this.#attachment = attachment;
    this.#onPushed = onPushed;
    this.#port?.postMessage({ attach: attachment } satisfies ToWriter);
  }

  /** Takes (a new) port to the writer thread and tells the writer what this dispatcher wants. */
  connect(port: MessagePort): void {
    this.#port?.close();
    this.#failCalls('the writer thread was replaced');
    this.#port = port;
    port.on('message', (message: FromWriter) => {
      if ('pushed' in message) return this.#onPushed(message.pushed);
      const key = String(message.reply);
      const call = this.#calls.get(key);
      if (!call) return;
      this.#calls.delete(key);
      if (message.ok) call.resolve(message.result);
      else call.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#port = undefined;
      this.#connected = new Promise((resolve) => (this.#resolveConnected = resolve));
      this.#failCalls('the writer thread stopped');
    });
    if (this.#attachment) port.postMessage({ attach: this.#attachment } satisfies ToWriter);
    this.#resolveConnected();
  }

  /** The dispatcher is stopping: calls that find no writer thread wait at most `waitMs` from now for one, then fail. */
  stopping(waitMs: number): void {
    if (this.#stopping) return;
    this.#stopping = true;
    // Not unref'd: the stop waits on it. Cleared by close().
    this.#giveUp = setTimeout(() => this.#gaveUp(), waitMs);
  }

  close(): void {
    clearTimeout(this.#giveUp);
    this.#gaveUp();
    this.#port?.close();
    this.#port = undefined;
  }

  #failCalls(reason: string): void {
    const calls = this.#calls.values();
    for (const key of this.#calls.keys()) this.#calls.delete(key);
    for (const call of calls) call.reject(new WriterUnavailable(reason));
  }

  async #call<T>(op: QueueOp, args: unknown[]): Promise<T> {
    if (!this.#port) await Promise.race([this.#connected, this.#noWriter]);
    const port = this.#port;
    if (!port) throw new WriterUnavailable('no writer thread came back while the dispatcher was stopping');
    const call = this.#nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(String(call), { resolve: resolve as (v: unknown) => void, reject });
      port.postMessage({ call, op, args } satisfies ToWriter);
    });
  }

  claim: WorkQueue['claim'] = (o) => this.#call('claim', [o]);
  ensureRuns: WorkQueue['ensureRuns'] = (wanted, now) => this.#call('ensureRuns', [wanted, now]);
  recordOutcomes: WorkQueue['recordOutcomes'] = (outcomes) => this.#call('recordOutcomes', [outcomes]);
  renew: WorkQueue['renew'] = (ids, owner, until) => this.#call('renew', [ids, owner, until]);
  release: WorkQueue['release'] = (ids, owner) => this.#call('release', [ids, owner]);
  recordReleasedAttempt: WorkQueue['recordReleasedAttempt'] = (a) => this.#call('recordReleasedAttempt', [a]);
}
