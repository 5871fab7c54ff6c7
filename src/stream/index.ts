export { MAX_BACKFILL_MINUTES, planBackfill } from './backfill.js';
export type { BackfillPlan } from './backfill.js';
export { exponentialDelay, linearDelay, NETWORK_BACKOFF_MAX_MS, NETWORK_BACKOFF_STEP_MS, rateLimitWaitMs } from './backoff.js';
export { ACTIVITY_STREAM_PATH, StreamConsumer } from './consumer.js';
export type { EndReason, StreamConsumerDeps, StreamPosition, StreamStatus } from './consumer.js';
export { LineSplitter } from './lines.js';
export { requireStreamCredentials, startStreamConsumer } from './start.js';
