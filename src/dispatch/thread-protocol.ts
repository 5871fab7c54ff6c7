import type { MessagePort } from 'node:worker_threads';

/** Messages between the server (main thread) and its dispatch thread. */
export type ToDispatchThread = { notify: true } | { stop: true; timeoutMs: number } | { writerPort: MessagePort };

/** workerData: on SQLite, work comes from the writer thread (a port is sent), not from Prisma. */
export interface DispatchThreadData {
  viaWriter: boolean;
}

export type FromDispatchThread =
  | { started: true; plugins: string[] }
  | { noPlugins: true }
  | { handled: { plugin: string; ok: boolean; seconds: number; lagSeconds: number | null } }
  | { stopped: true }
  | { failed: string };
