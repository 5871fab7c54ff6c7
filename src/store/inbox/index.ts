import type { Database } from '../database.js';
import { prepareDelivery } from '../../normalize/prepare.js';
import { SqliteWriter } from '../sqlite-writer/client.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { InboxHealth, type InboxHealthState } from './health.js';
import { recordDeliveries } from './prisma-writer.js';
import type { RawDelivery, RecordedDelivery } from './types.js';

/**
 * The durable inbox: a verified delivery goes in, and write() resolves once the delivery and its
 * normalized events are committed (group commit: deliveries that arrive together share one
 * transaction). SQLite: parsed and written on the process's one writer thread, which the
 * in-server dispatcher shares (`writer`). PostgreSQL: parsed here, written through Prisma.
 */
export interface DeliveryInbox {
  write(raw: RawDelivery): Promise<RecordedDelivery>;
  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void>;
  /** Waits for what is queued, then releases the writer. */
  close(): Promise<void>;
  /** Whether deliveries are being committed, or why not (a full disk or database, ...): for /readyz and metrics. */
  health(): InboxHealthState;
  /** SQLite: the writer thread, for linking the in-server dispatcher to it. */
  writer?: SqliteWriter;
}

export interface InboxOptions extends GroupCommitOptions {
  /** DEDUPE_WINDOW_DAYS in ms: activities older than this when received are stored stale, not dispatched. */
  dedupeWindowMs?: number;
}

export function openInbox(db: Database, options: InboxOptions = {}): DeliveryInbox {
  const { dedupeWindowMs } = options;
  const health = new InboxHealth();
  const tracked = (commits: GroupCommit<RawDelivery, RecordedDelivery>) => (raw: RawDelivery) =>
    commits.write(raw).then(
      (result) => {
        health.succeeded();
        return result;
      },
      (error: unknown) => {
        health.failed(error);
        throw error;
      },
    );
  if (db.provider === 'sqlite' && db.config.file) {
    const writer = new SqliteWriter({
      file: db.config.file,
      synchronous: db.config.sqliteSynchronous,
      busyTimeoutMs: db.config.busyTimeoutMs,
      maxBytes: db.config.sqliteMaxBytes,
      dedupeWindowMs,
    });
    // The thread queues what it is sent and commits it in order, merging whatever waits into one
    // transaction: a few batches in flight keep it from idling while a commit's answer travels back.
    const commits = new GroupCommit((raws: RawDelivery[]) => writer.write(raws), { inFlight: 4, ...options }, () => writer.close());
    return { write: tracked(commits), drain: () => commits.drain(), close: () => commits.close(), health: () => health.state(), writer };
  }
  const commits = new GroupCommit(
    (raws: RawDelivery[]) => recordDeliveries(db.prisma, raws.map(prepareDelivery), { dedupeWindowMs, provider: db.provider }),
    options,
  );
  return { write: tracked(commits), drain: () => commits.drain(), close: () => commits.close(), health: () => health.state() };
}

export { decodeBody, encodeBody } from './body-codec.js';
export type { BodyEncoding, StoredBody } from './body-codec.js';
export { loadActivities } from './activity.js';
export { GroupCommit } from './group-commit.js';
export type { BatchWriter, GroupCommitOptions } from './group-commit.js';
export { InboxHealth } from './health.js';
export type { InboxHealthState } from './health.js';
export { isStale } from './plan.js';
export { recordDeliveries, recordDelivery } from './prisma-writer.js';
export type { RecordOptions } from './prisma-writer.js';
export type { DeliveryInput, DeliverySource, DeliveryStatus, EventInput, RawDelivery, RecordedDelivery } from './types.js';
