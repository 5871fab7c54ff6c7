import type { XApiConfig } from '../config/index.js';
import type { OAuth1Credentials } from './oauth1.js';

/**
 * The credentials X accepts, per kind of call:
 * - `app`: the app's bearer token (X_BEARER_TOKEN): webhooks, subscription list/count/remove, replay, XAA subscriptions;
 * - `user`: a user context, OAuth 1.0a (X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)
 *   or an OAuth 2.0 user token (X_OAUTH2_USER_TOKEN): subscribing a user, checking it, sending DMs.
 */
export type AuthKind = 'app' | 'user';

export interface XCredentials {
  bearerToken?: string | undefined;
  consumerKey?: string | undefined;
  consumerSecret?: string | undefined;
  accessToken?: string | undefined;
  accessTokenSecret?: string | undefined;
  oauth2UserToken?: string | undefined;
  /** OAuth 2.0 user tokens by user id (X_OAUTH2_USER_TOKEN_<user id>). */
  oauth2UserTokens?: Record<string, string> | undefined;
}

/** How one request is authenticated. */
export type ResolvedAuth =
  | { kind: 'bearer'; token: string; label: 'app bearer token' | 'OAuth 2.0 user token' }
  | { kind: 'oauth1'; credentials: OAuth1Credentials; label: 'OAuth 1.0a user context' };

export function credentialsFromConfig(x: XApiConfig, consumerSecret: string | undefined): XCredentials {
  return {
    bearerToken: x.bearerToken,
    consumerKey: x.consumerKey,
    consumerSecret,
    accessToken: x.accessToken,
    accessTokenSecret: x.accessTokenSecret,
    oauth2UserToken: x.oauth2UserToken,
    oauth2UserTokens: x.oauth2UserTokens,
  };
}

const OAUTH1_VARIABLES = [
  ['consumerKey', 'X_CONSUMER_KEY'],
  ['consumerSecret', 'X_CONSUMER_SECRET'],
  ['accessToken', 'X_ACCESS_TOKEN'],
  ['accessTokenSecret', 'X_ACCESS_TOKEN_SECRET'],
] as const;

/** The OAuth 1.0a variables that are not set. */
export function missingOAuth1(c: XCredentials): string[] {
  return OAUTH1_VARIABLES.filter(([k]) => !c[k]).map(([, v]) => v);
}

/** What is missing for a kind of call, as the variables to set ([] when it can be made). */
export function missingFor(kind: AuthKind, c: XCredentials): string[] {
  if (kind === 'app') return c.bearerToken ? [] : ['X_BEARER_TOKEN'];
  if (c.oauth2UserToken) return [];
  const missing = missingOAuth1(c);
  return missing.length === 0 ? [] : [...missing, 'X_OAUTH2_USER_TOKEN'];
}

/** Words for an error: what to set to make a call of this kind. */
export function describeMissing(kind: AuthKind, c: XCredentials): string {
  if (kind === 'app') return 'the app bearer token: set X_BEARER_TOKEN';
  const missing = missingOAuth1(c);
  return `a user context: set ${missing.join(', ')} (OAuth 1.0a) or X_OAUTH2_USER_TOKEN (OAuth 2.0 user token)`;
}

/** Picks the credential for a call, or undefined when none is configured. OAuth 1.0a wins over OAuth 2.0 for user calls. */
export function resolveAuth(kind: AuthKind, c: XCredentials): ResolvedAuth | undefined {
  if (kind === 'app') return c.bearerToken ? { kind: 'bearer', token: c.bearerToken, label: 'app bearer token' } : undefined;
  if (missingOAuth1(c).length === 0) {
    return {
      kind: 'oauth1',
      label: 'OAuth 1.0a user context',
      credentials: {
        consumerKey: c.consumerKey!,
        consumerSecret: c.consumerSecret!,
        accessToken: c.accessToken!,
        accessTokenSecret: c.accessTokenSecret!,
      },
    };
  }
  if (c.oauth2UserToken) return { kind: 'bearer', token: c.oauth2UserToken, label: 'OAuth 2.0 user token' };
  return undefined;
}

/** The user id an OAuth 1.0a access token belongs to: X's tokens read "<user id>-<random>". */
export function userIdOfAccessToken(token: string | undefined): string | undefined {
  const m = token ? /^(\d{1,20})-/.exec(token) : null;
  return m ? m[1] : undefined;
}

/**
 * The user a user-context call acts as, where it can be told: the user of X_ACCESS_TOKEN when
 * OAuth 1.0a is what the call uses (all four of its variables set). With one of them missing the
 * call goes with X_OAUTH2_USER_TOKEN, whose user cannot be read from it: undefined.
 */
export function userContextUserId(c: XCredentials): string | undefined {
  return missingOAuth1(c).length === 0 ? userIdOfAccessToken(c.accessToken) : undefined;
}

/**
 * The OAuth 2.0 user token to act as `userId`: X_OAUTH2_USER_TOKEN_<userId>, else (`fallback`)
 * X_OAUTH2_USER_TOKEN, which then must belong to that user (X refuses it otherwise). X's tokens
 * are opaque: which user one belongs to cannot be read from it.
 */
export function oauth2TokenFor(userId: string | undefined, c: XCredentials, fallback = true): { token: string; variable: string } | undefined {
  const own = userId ? c.oauth2UserTokens?.[userId] : undefined;
  if (own) return { token: own, variable: `X_OAUTH2_USER_TOKEN_${userId}` };
  if (fallback && c.oauth2UserToken) return { token: c.oauth2UserToken, variable: 'X_OAUTH2_USER_TOKEN' };
  return undefined;
}
