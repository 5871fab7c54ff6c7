/** The X stand-in: see standin.ts. */
export { XStandIn } from './standin.js';
export type { ActivitySub, DeliveryRecord, OutboxEntry, ReplayJobState, StandInOptions, StandInUser, StandInWebhook } from './types.js';
