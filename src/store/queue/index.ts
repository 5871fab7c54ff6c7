export {
  claimEvents,
  ensureRuns,
  prismaWorkQueue,
  recordOutcomes,
  recordReleasedAttempt,
  releaseEvents,
  renewLeases,
} from './prisma-queue.js';
export { dropPendingRuns, handlerRunCounts, pendingRunsByHandler, renameHandlerRuns, reopenEventsWithPendingRuns } from './handlers.js';
export type { DropResult, HandlerRunCounts, RenameResult } from './handlers.js';
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
