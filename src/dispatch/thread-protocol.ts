import type { MessagePort } from 'node:worker_threads';
import type { HandledRun } from './dispatcher.js';

/** Messages between the server (main thread) and its dispatch thread. */
export type ToDispatchThread = { notify: true } | { stop: true; timeoutMs: number } | { writerPort: MessagePort };

/** workerData: on SQLite, work comes from the writer thread (a port is sent), not from Prisma. */
export interface DispatchThreadData {
  viaWriter: boolean;
  /** Send each handled run with its event and error (`xaa dev` prints them), not only what metrics need. */
  describeRuns?: boolean;
  /** Human-readable logs (`xaa dev`): one line each, colored when `colorize`. Default: as createLogger decides. */
  prettyLogs?: { colorize: boolean };
  /**
   * Level of the receiver's own lines on this thread (the dispatcher's: plugins loaded, leases,
   * orphaned runs), apart from the handlers' ctx.log, which keep LOG_LEVEL. `xaa dev`: warnings,
   * as for the rest of the receiver. Default: LOG_LEVEL for both.
   */
  ownLogLevel?: string;
}

export type FromDispatchThread =
  /** `tid`: the thread's operating-system id where there is one (CPU metrics). */
  | { started: true; plugins: string[]; tid: number | null }
  | { noPlugins: true }
  /** Runs handled since the last such message (batched: one message per turn of the thread's loop, not per run). */
  | { handled: Array<Pick<HandledRun, 'plugin' | 'ok' | 'seconds' | 'lagSeconds'> | HandledRun> }
  | { stopped: true }
  | { failed: string };
