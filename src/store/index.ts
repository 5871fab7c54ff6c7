export { openDatabase, migrationState, sqlitePragmas } from './database.js';
export type { Database, Db, MigrationState } from './database.js';
export { recordDeliveries, recordDelivery } from './deliveries.js';
export { Inbox } from './inbox.js';
export type { BatchWriter, InboxOptions } from './inbox.js';
export { openSqliteBatchWriter, sqliteTime } from './sqlite-inbox/batch-writer.js';
export type { SqliteBatchWriter, SqliteWriterSettings } from './sqlite-inbox/batch-writer.js';
export type { DeliveryInput, DeliveryStatus, EventInput, RecordedDelivery } from './deliveries.js';
export { newId } from './ids.js';
export { committedMigrations, projectRoot } from './paths.js';
export { lastCrcCheck, recordCrcCheck } from './crc-checks.js';
export type { CrcCheckRecord } from './crc-checks.js';
export {
  claimEvents,
  ensureRuns,
  recordOutcomes,
  recordReleasedAttempt,
  releaseEvents,
  renewLeases,
} from './work-queue.js';
export type { AttemptRecord, ClaimOptions, EventOutcome, HandlerRunRow, QueuedEvent } from './work-queue.js';
export {
  countSubscriptionRecords,
  createReplayJob,
  deleteWebhookRecord,
  findReplayJob,
  getEvent,
  listDeadLetters,
  listEvents,
  listReplayJobs,
  listSubscriptionRecords,
  listWebhookRecords,
  markXaaSubscriptionRemoved,
  reconcileReplayJobs,
  redispatchEvents,
  redriveDeadLetters,
  replaceWebhookRecords,
  setWebhookValidity,
  syncAaaSubscriptions,
  syncXaaSubscriptions,
  upsertAaaSubscription,
  upsertWebhookRecord,
  upsertXaaSubscription,
} from './records.js';
export type {
  DeadLetterRecord,
  EventDetail,
  EventFilter,
  EventSummary,
  ReplayJobRecord,
  ReplayJobStatus,
  RequeueResult,
  SubscriptionRecord,
  WebhookRecord,
  XaaSubscriptionInput,
} from './records.js';
export { prune, queueStats } from './retention.js';
export type { PruneResult, RetentionPolicy } from './retention.js';
export { retentionPolicy, startRetention } from './retention-job.js';
