export { openDatabase, migrationState, sqlitePragmas } from './database.js';
export type { Database, Db, MigrationState } from './database.js';
export { DatabaseError, describeDatabaseError, isDatabaseError, redactDatabaseUrl, storageFault } from './errors.js';
export type { StorageFault } from './errors.js';
export { applyMigrations } from './migrate.js';
export { decodeBody, encodeBody, GroupCommit, loadActivities, openInbox, recordDeliveries, recordDelivery } from './inbox/index.js';
export type {
  BatchWriter,
  BodyEncoding,
  StoredBody,
  DeliveryInbox,
  InboxHealthState,
  DeliveryInput,
  DeliveryStatus,
  EventInput,
  GroupCommitOptions,
  RawDelivery,
  RecordedDelivery,
  RecordOptions,
} from './inbox/index.js';
export { sqliteTime } from './sqlite-writer/connection.js';
export type { SqliteWriterSettings } from './sqlite-writer/connection.js';
export { newId } from './ids.js';
export { committedMigrations, projectRoot } from './paths.js';
export { lastCrcCheck, recordCrcCheck } from './crc-checks.js';
export type { CrcCheckRecord } from './crc-checks.js';
export { ACTIVITY_STREAM, listStreamGaps, recordStreamGap, saveStreamLastSeen, streamLastSeen } from './stream-state.js';
export type { StreamGapRecord } from './stream-state.js';
export * from './queue/index.js';
export * from './records/index.js';
export { backlogReport, EVENT_STATUSES, eventStatus, getEvent, isEventStatus, countWaitingDeadLetters, listDeadLetters, listEvents } from './inspection.js';
export type { BacklogReport, DeadLetterRecord, EventDetail, EventFilter, EventStatus, EventSummary } from './inspection.js';
export { prune, queueStats } from './retention.js';
export type { PruneResult, RetentionPolicy } from './retention.js';
export { retentionPolicy, startRetention } from './retention-job.js';
export { databaseLabel, inspectMigrations, MIGRATE_COMMAND, openServiceDatabase } from './service-database.js';
export { migrationActivity } from './migration-activity.js';
export type { UserMigrationActivity } from './migration-activity.js';
