export type { EndReason } from './attempt.js';
export { MAX_BACKFILL_MINUTES, planBackfill } from './backfill.js';
export type { BackfillPlan } from './backfill.js';
export { exponentialDelay, linearDelay, NETWORK_BACKOFF_MAX_MS, NETWORK_BACKOFF_STEP_MS, rateLimitWaitMs } from './backoff.js';
export { StreamConsumer } from './consumer.js';
export type { StreamConsumerDeps, StreamPosition, StreamStatus } from './consumer.js';
export { LineSplitter } from './lines.js';
export { ACTIVITY_STREAM_PATH } from './request.js';
export { requireStreamCredentials, startStreamConsumer } from './start.js';
