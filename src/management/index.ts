export { XClient, parseReplayAnswer } from './client.js';
export type { ActivitySubscription, ActivitySubscriptionInput, ReplayJobAnswer, SentDirectMessage, SubscriptionCount, XClientOptions, XWebhook } from './client.js';
export { STREAM_LINK_FIELDS, checkWebhookId, linkFieldsQuery, linkFieldsText } from './filtered-stream.js';
export type { StreamLink, StreamLinkFields, StreamRule, StreamRuleInput, StreamRulesChange } from './filtered-stream.js';
export { XTransport, queryString } from './transport.js';
export type { RateLimit, TransportOptions, WaitNotice, XRequest, XResponse } from './transport.js';
export { MissingCredentialError, RateLimitedError, XApiError, XUnreachableError, describeXErrorBody, formatWait, isDuplicateSubscription, parseXErrorBody } from './errors.js';
export type { XErrorBody, XProblem } from './errors.js';
export { credentialsFromConfig, describeMissing, missingFor, oauth2TokenFor, resolveAuth, userContextUserId, userIdOfAccessToken } from './credentials.js';
export {
  ActivitySubscriptionInputError,
  canonicalEventType,
  checkFilter,
  checkTag,
  closeEventTypes,
  editDistance,
  eventFamilies,
  eventTypeFacts,
  isXaaEventType,
  parseEventType,
  subscriptionCredential,
} from './activity-rules.js';
export type { ActivityFilter, ActivityFilterInput, EventFamilyAccess } from './activity-rules.js';
export type { AuthKind, XCredentials } from './credentials.js';
export { oauth1Header } from './oauth1.js';
export type { OAuth1Credentials } from './oauth1.js';
export { fromXDate, parseWhen, toXDate } from './dates.js';
export { Management } from './service.js';
export { OPERATIONS, activityCredentialReport, credentialReport } from './operations.js';
export type { ActivityCredentialRow, CredentialReportRow } from './operations.js';
export { clientFromConfig } from './from-config.js';
export { AAA_COVERAGE, applyMigration, MIGRATE_TAG, planMigration, TIER_CAPS } from './migration.js';
export type { MigrationPlan, PlannedSubscription, Tier } from './migration.js';
