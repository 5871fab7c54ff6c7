/** The X stand-in: see standin.ts. */
export { XStandIn } from './standin.js';
export type { ActivitySub, DeliveryRecord, OutboxEntry, ReplayJobState, StandInOptions, StandInUser, StandInWebhook, StreamLinkState, StreamRuleState } from './types.js';
