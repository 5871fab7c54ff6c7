import type { MessagePort, Worker } from 'node:worker_threads';
import type { Logger } from '../log/index.js';
import { observeHandled, type Metrics } from '../metrics/index.js';
import { startWorker } from '../runtime/worker.js';
import { trackThread } from '../runtime/thread-cpu.js';
import type { HandledRun } from './dispatcher.js';
import type { DispatchThreadData, FromDispatchThread, ToDispatchThread } from './thread-protocol.js';

/** How long past its stop's limit a dispatch thread may take to answer before it is ended. */
export const STOP_ANSWER_MARGIN_MS = 5_000;

export interface DispatchThreadOptions extends DispatchThreadData {
  /** Told about every handled run, with its event and error (sets describeRuns). */
  onHandled?: (handled: HandledRun) => void;
  /**
   * The thread died without being stopped (a plugin crashed it). Default: log and exit the
   * process, so that its supervisor restarts it; `xaa dev` says so and waits for a fix instead.
   */
  onUnexpectedExit?: (code: number) => void;
}

export interface DispatchThread {
  plugins: string[];
  /** New work was committed. */
  notify(): void;
  /** SQLite: (a new) port to the writer thread, which the dispatcher then works through. */
  connectWriter(port: MessagePort): void;
  /** Stops taking work, lets handlers finish within `timeoutMs`, releases the rest. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts the dispatcher on its own thread (configuration from the same environment, or `env`). Resolves
 * to undefined when HANDLERS is empty; rejects when a plugin cannot load.
 */
export async function startDispatchThread(
  metrics: Metrics,
  logger: Logger,
  options: DispatchThreadOptions = { viaWriter: false },
  /** The environment the thread reads its configuration from (default: this process's). */
  env?: Record<string, string | undefined>,
): Promise<DispatchThread | undefined> {
  const { onHandled, onUnexpectedExit, ...data } = options;
  const workerData: DispatchThreadData = onHandled ? { ...data, describeRuns: true } : data;
  const worker: Worker = startWorker(import.meta.url, './thread.js', { workerData, ...(env ? { env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) } : {}) });
  let stopped: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<{ plugins: string[] } | undefined>((resolve, reject) => {
    worker.on('message', (message: FromDispatchThread) => {
      if ('started' in message) {
        trackThread('dispatch', message.tid, worker);
        resolve({ plugins: message.plugins });
      }
      else if ('noPlugins' in message) resolve(undefined);
      else if ('failed' in message) {
        // What the plugins loaded so far started (a timer, a pool) would keep the thread alive.
        void worker.terminate();
        reject(new Error(message.failed));
      }
      else if ('handled' in message) {
        for (const handled of message.handled) {
          observeHandled(metrics, handled);
          if (onHandled && 'event' in handled) onHandled(handled);
        }
      }
      else if ('stopped' in message) stopped?.();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`dispatch thread exited (${code}) before starting`)));
  });
  if (!started) return undefined;
  let stopping = false;
  worker.on('error', (err) => logger.error({ err }, 'dispatch thread failed'));
  // A dispatcher that died silently would leave events pending forever while /readyz says 200:
  // exit, so that the supervisor (systemd, Docker, Kubernetes) restarts the whole process.
  worker.on('exit', (code) => {
    if (stopping) return;
    if (onUnexpectedExit) return onUnexpectedExit(code);
    logger.fatal({ code }, 'dispatch thread exited unexpectedly; exiting so that the process is restarted');
    logger.flush();
    process.exit(1);
  });
  const post = (message: ToDispatchThread) => worker.postMessage(message);
  return {
    plugins: started.plugins,
    notify: () => post({ notify: true }),
    connectWriter: (port) => worker.postMessage({ writerPort: port } satisfies ToDispatchThread, [port]),
    async stop(timeoutMs) {
      stopping = true;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      post({ stop: true, timeoutMs });
      // The thread answers once its work is finished or released (within timeoutMs); exit
      // follows, unless something a plugin started (a timer, a pool, a request: plugins have no
      // teardown) keeps it alive: then it is ended, so that no old thread keeps working beside its
      // successor. A thread that does not answer at all (a handler stuck in a synchronous loop
      // holds its event loop) is ended too, STOP_ANSWER_MARGIN_MS past the limit: what it held
      // is taken up again when its leases run out.
      let wait: NodeJS.Timeout | undefined;
      const after = (ms: number) => new Promise((r) => (wait = setTimeout(r, ms)));
      await Promise.race([done, exited, after(timeoutMs + STOP_ANSWER_MARGIN_MS)]);
      clearTimeout(wait);
      await Promise.race([exited, after(1_000)]);
      clearTimeout(wait);
      await worker.terminate();
    },
  };
}
