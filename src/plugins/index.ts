// The public plugin contract: what handler authors import.
export { definePlugin } from './types.js';
export type {
  ErrorHandler,
  Handler,
  HandlerContext,
  HandlerFailure,
  Hooks,
  OnErrorOptions,
  OptionsParser,
  Plugin,
  PluginDefinition,
} from './types.js';
export type * from '../events/index.js';
export { EVENT_TYPES } from '../events/index.js';
// ctx.x: the X API client's type, what its calls answer, and what they throw.
export type {
  ActivitySubscription,
  ActivitySubscriptionInput,
  ReplayJobAnswer,
  SentDirectMessage,
  SubscriptionCount,
  XClient,
  XWebhook,
} from '../management/client.js';
export type { XCredentials } from '../management/credentials.js';
export { MissingCredentialError, RateLimitedError, XApiError, XUnreachableError } from '../management/errors.js';
export { HandlerTimeoutError } from '../dispatch/handler-timeout.js';
export type { XErrorBody, XProblem } from '../management/errors.js';
