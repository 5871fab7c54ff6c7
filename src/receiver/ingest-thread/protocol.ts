import type { RecordedDelivery, SqliteWriterSettings } from '../../store/index.js';
import type { RawDelivery } from '../prepare.js';

/** Messages between the inbox (main thread) and the ingest thread. */
export type ToThread = { id: number; raws: RawDelivery[] } | 'close';

export type FromThread =
  | { id: number; ok: true; results: RecordedDelivery[] }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { ready: true }
  | { fatal: string };

export type ThreadSettings = SqliteWriterSettings;
