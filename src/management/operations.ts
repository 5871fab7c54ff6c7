import { eventFamilies } from './activity-rules.js';
import { missingFor, type AuthKind, type XCredentials } from './credentials.js';

/** Every operation, the credential X requires for it, and the command that makes it. */
export const OPERATIONS: Array<{ operation: string; command: string; auth: AuthKind }> = [
  { operation: 'list / create / validate / delete webhooks', command: 'xaa webhooks ...', auth: 'app' },
  { operation: 'subscribe a user (AAA)', command: 'xaa subscriptions add', auth: 'user' },
  { operation: 'check a user subscription (AAA)', command: 'xaa subscriptions check', auth: 'user' },
  { operation: 'list / remove / count subscriptions (AAA)', command: 'xaa subscriptions list|remove|count', auth: 'app' },
  { operation: 'replay (POST /2/webhooks/replay; the deprecated AAA replay)', command: 'xaa replay run', auth: 'app' },
  { operation: 'activity subscriptions (XAA): list, update, delete; create for public event types', command: 'xaa activity ...', auth: 'app' },
  { operation: 'filtered-stream webhook links and rules', command: 'xaa stream-links ...|stream-rules ...', auth: 'app' },
  { operation: 'send DMs (handlers, ctx.x)', command: 'ctx.x.sendDirectMessage', auth: 'user' },
];

export interface CredentialReportRow {
  operation: string;
  command: string;
  needs: string;
  ok: boolean;
  missing: string[];
}

export function credentialReport(c: XCredentials): CredentialReportRow[] {
  return OPERATIONS.map((o) => {
    const missing = missingFor(o.auth, c);
    return {
      operation: o.operation,
      command: o.command,
      needs: o.auth === 'app' ? 'X_BEARER_TOKEN' : 'X_CONSUMER_KEY + X_CONSUMER_SECRET + X_ACCESS_TOKEN + X_ACCESS_TOKEN_SECRET, or X_OAUTH2_USER_TOKEN',
      ok: missing.length === 0,
      missing,
    };
  });
}

export interface ActivityCredentialRow {
  family: string;
  eventTypes: string[];
  /** In words: which credential subscribing to this family's types takes. */
  needs: string;
  ok: boolean;
  missing: string[];
}

/**
 * Per XAA event family, the credential X wants to create its subscriptions (from X's
 * documentation, see activity-rules.ts): the app bearer token for public types (and for those X's
 * page does not classify), the subscribed user's OAuth 2.0 token (with a scope) for private ones.
 * `ok`: such a credential is configured (for user tokens: X_OAUTH2_USER_TOKEN or any
 * X_OAUTH2_USER_TOKEN_<user id>; whether it is the right user's, only X can tell).
 */
export function activityCredentialReport(c: XCredentials): ActivityCredentialRow[] {
  const userTokens = Boolean(c.oauth2UserToken) || Object.keys(c.oauth2UserTokens ?? {}).length > 0;
  return eventFamilies().map((f) => {
    const parts: string[] = [];
    const missing = new Set<string>();
    if (f.public.length) parts.push(`${f.public.length === f.eventTypes.length ? 'all' : f.public.join(', ')}: public, the app bearer token`);
    if (f.unstated.length) parts.push(`${f.unstated.length === f.eventTypes.length ? 'all' : f.unstated.join(', ')}: X does not say public or private; the app bearer token (or the user's OAuth 2.0 token)`);
    if (f.private.length) {
      const scopes = [...new Set(f.private.map((p) => p.scope))].join(' / ');
      parts.push(`${f.private.length === f.eventTypes.length ? 'all' : f.private.map((p) => p.type).join(', ')}: private, the user's OAuth 2.0 token (scope ${scopes}): X_OAUTH2_USER_TOKEN_<user id> or X_OAUTH2_USER_TOKEN`);
      if (!userTokens) missing.add('X_OAUTH2_USER_TOKEN_<user id> or X_OAUTH2_USER_TOKEN');
    }
    if ((f.public.length || f.unstated.length) && !c.bearerToken) missing.add('X_BEARER_TOKEN');
    return { family: f.family, eventTypes: f.eventTypes, needs: parts.join('; '), ok: missing.size === 0, missing: [...missing] };
  });
}
