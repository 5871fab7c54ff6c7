import type { IncomingMessage } from 'node:http';
import { verifyOAuth1 } from '../oauth1-verify.js';
import { HttpError, unauthorized, unsupported } from './errors.js';
import type { StandInUser } from './types.js';

/** What an endpoint accepts: the app bearer token, a user context, either, or none (the stand-in's own controls). */
export type Auth = 'app' | 'user' | 'any' | 'none';

/** Who made a request. */
export interface Principal {
  label: 'bearer' | 'oauth2-user' | 'oauth1-user';
  /** The user of a user context; null for the app bearer token. */
  userId: string | null;
}

export interface AuthDeps {
  consumerKey: string;
  consumerSecret: string;
  bearerToken: string;
  readonly users: StandInUser[];
  log?: ((line: string) => void) | undefined;
}

/**
 * How the stand-in recognises callers: `Bearer <the app bearer token>` is the app;
 * `Bearer <a user's oauth2Token>` is that user's OAuth 2.0 user context; `OAuth ...` is an
 * OAuth 1.0a user context, verified (signature, nonce) against the consumer secret and the
 * user's token secret. Anything else is 401.
 */
export function authenticate(req: IncomingMessage, url: URL, need: Exclude<Auth, 'none'>, deps: AuthDeps): Principal {
  const header = req.headers.authorization;
  if (!header) throw unauthorized();
  if (/^Bearer\s/i.test(header)) {
    const token = header.replace(/^Bearer\s+/i, '');
    if (token === deps.bearerToken) {
      if (need === 'user') throw unsupported('OAuth 2.0 Application-Only', ['OAuth 1.0a User Context', 'OAuth 2.0 User Context']);
      return { label: 'bearer', userId: null };
    }
    const user = deps.users.find((u) => u.oauth2Token === token);
    if (!user) throw unauthorized();
    if (need === 'app') throw unsupported('OAuth 2.0 User Context', ['OAuth 2.0 Application-Only']);
    return { label: 'oauth2-user', userId: user.id };
  }
  if (/^OAuth\s/i.test(header)) {
    const check = verifyOAuth1(req.method ?? 'GET', url, header, {
      consumerSecret: (key) => (key === deps.consumerKey ? deps.consumerSecret : undefined),
      tokenSecret: (token) => deps.users.find((u) => u.accessToken === token)?.accessTokenSecret,
    });
    if (!check.ok) {
      deps.log?.(`OAuth 1.0a rejected: ${check.problem}`);
      throw new HttpError(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized', errors: [{ message: `Could not authenticate you: ${check.problem}`, code: 32 }] });
    }
    if (need === 'app') throw unsupported('OAuth 1.0a User Context', ['OAuth 2.0 Application-Only']);
    return { label: 'oauth1-user', userId: deps.users.find((u) => u.accessToken === check.token)!.id };
  }
  throw unauthorized();
}
