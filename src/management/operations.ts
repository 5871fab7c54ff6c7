import { missingFor, type AuthKind, type XCredentials } from './credentials.js';

/** Every operation, the credential X requires for it, and the command that makes it. */
export const OPERATIONS: Array<{ operation: string; command: string; auth: AuthKind }> = [
  { operation: 'list / create / validate / delete webhooks', command: 'xaa webhooks ...', auth: 'app' },
  { operation: 'subscribe a user (AAA)', command: 'xaa subscriptions add', auth: 'user' },
  { operation: 'check a user subscription (AAA)', command: 'xaa subscriptions check', auth: 'user' },
  { operation: 'list / remove / count subscriptions (AAA)', command: 'xaa subscriptions list|remove|count', auth: 'app' },
  { operation: 'replay (AAA and webhook/XAA)', command: 'xaa replay run', auth: 'app' },
  { operation: 'activity subscriptions (XAA)', command: 'xaa activity ...', auth: 'app' },
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
