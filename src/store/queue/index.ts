export {
  claimEvents,
  ensureRuns,
  prismaWorkQueue,
  recordOutcomes,
  recordReleasedAttempt,
  releaseEvents,
  renewLeases,
} from './prisma-queue.js';
export { RemoteWorkQueue, WriterUnavailable } from './remote-queue.js';
export { eventHandlers, recordedHandlers, redispatchEvents, redriveDeadLetters } from './requeue.js';
export type { RequeueResult } from './requeue.js';
export type {
  AttemptRecord,
  ClaimOptions,
  DispatchAttachment,
  EventOutcome,
  HandlerRunRow,
  PluginInterest,
  PushedWork,
  QueuedEvent,
  WorkQueue,
} from './types.js';
