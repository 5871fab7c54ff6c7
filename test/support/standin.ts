/** Credentials for tests that run the project's X stand-in (src/testing/x-standin/) and point `xaa` at it. */

/** An X app's credentials, as the stand-in is started with and as `xaa` is configured with. */
export interface StandInApp {
  consumerKey: string;
  consumerSecret: string;
  bearerToken: string;
}

/** A user's OAuth 1.0a access token and secret. */
export interface StandInUserTokens {
  accessToken: string;
  accessTokenSecret: string;
}

/** The app most stand-in tests use. */
export const STANDIN_APP: StandInApp = { consumerKey: 'standin-consumer-key', consumerSecret: 'standin-consumer-secret-0123456789', bearerToken: 'standin-app-bearer-token' };

/** The user most stand-in tests use, with OAuth 1.0a and OAuth 2.0 user tokens. */
export const STANDIN_USER = { id: '2244994945', accessToken: '2244994945-standinAccessToken', accessTokenSecret: 'standin-access-token-secret', oauth2Token: 'standin-oauth2-user-token' };

/**
 * The env that points `xaa` at a stand-in at `url` with `app`'s bearer token and consumer secret,
 * and, given a user, OAuth 1.0a user context (the consumer key and the user's tokens).
 */
export function standinEnv(url: string, app: StandInApp, user?: StandInUserTokens): Record<string, string> {
  const env: Record<string, string> = { X_API_BASE_URL: url, X_BEARER_TOKEN: app.bearerToken, X_CONSUMER_SECRET: app.consumerSecret };
  if (user) Object.assign(env, { X_CONSUMER_KEY: app.consumerKey, X_ACCESS_TOKEN: user.accessToken, X_ACCESS_TOKEN_SECRET: user.accessTokenSecret });
  return env;
}
