import type { MessagePort } from 'node:worker_threads';
import type { RawDelivery, RecordedDelivery } from '../inbox/types.js';
import type { DispatchAttachment, PushedWork, WorkQueue } from '../queue/types.js';
import type { SqliteWriterSettings } from './connection.js';

/** The writer thread's settings (workerData). */
export type ThreadSettings = SqliteWriterSettings;

/** From the inbox (main thread) to the writer thread. */
export type ToThread = { id: number; raws: RawDelivery[] } | { dispatchPort: MessagePort } | 'close';

export type FromThread =
  | { id: number; ok: true; results: RecordedDelivery[] }
  | { id: number; ok: false; error: { message: string; code?: string } }
  /** Started; `tid`: its operating-system thread id where there is one (CPU metrics). */
  | { ready: true; tid: number | null }
  | { fatal: string };

export type QueueOp = keyof WorkQueue;

/** From a dispatcher (its own thread) to the writer thread, over a MessagePort. */
export type ToWriter =
  | { attach: DispatchAttachment }
  | { call: number; op: QueueOp; args: unknown[] };

export type FromWriter =
  | { reply: number; ok: true; result: unknown }
  | { reply: number; ok: false; error: { message: string; code?: string } }
  | { pushed: PushedWork[] };
