// The public plugin contract: what handler authors import.
export { definePlugin } from './types.js';
export type { ErrorHandler, Handler, HandlerContext, Hooks, Plugin } from './types.js';
export type * from '../events/index.js';
export { EVENT_TYPES } from '../events/index.js';
