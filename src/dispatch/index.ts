export { Dispatcher } from './dispatcher.js';
export type { DispatcherOptions, HandledRun } from './dispatcher.js';
export { dispatcherFromConfig } from './start.js';
export { DEFAULT_RETRY_SCHEDULE, nextRetry, parseSchedule } from './schedule.js';
export { startDispatchThread } from './in-thread.js';
export type { DispatchThread, DispatchThreadOptions } from './in-thread.js';
