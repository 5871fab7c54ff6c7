/**
 * Records of the management side, mirrored from X: webhooks, AAA and XAA subscriptions, replay
 * jobs (tracked until X reports them complete).
 */
export {
  deleteWebhookRecord,
  listWebhookRecords,
  replaceWebhookRecords,
  setWebhookValidity,
  upsertWebhookRecord,
} from './webhooks.js';
export type { WebhookRecord } from './webhooks.js';
export {
  countSubscriptionRecords,
  listSubscriptionRecords,
  markXaaSubscriptionRemoved,
  syncAaaSubscriptions,
  syncXaaSubscriptions,
  upsertAaaSubscription,
  upsertXaaSubscription,
} from './subscriptions.js';
export type { SubscriptionRecord, XaaSubscriptionInput } from './subscriptions.js';
export { createReplayJob, findReplayJob, listReplayJobs, reconcileReplayJobs } from './replay-jobs.js';
export type { ReplayJobRecord, ReplayJobStatus } from './replay-jobs.js';
