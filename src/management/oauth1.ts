import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';

/** OAuth 1.0a user context: the app's consumer key and secret plus one user's access token. */
export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
}

/**
 * The Authorization header for one request (RFC 5849, HMAC-SHA1), signed by the oauth-1.0a
 * package with node:crypto as its HMAC. Query parameters are part of the signature; a JSON body
 * is not (X does not expect oauth_body_hash). A fresh nonce and timestamp on every call, so each
 * retry is signed anew.
 */
export function oauth1Header(creds: OAuth1Credentials, method: string, url: string): string {
  const oauth = new OAuth({
    consumer: { key: creds.consumerKey, secret: creds.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  const data = oauth.authorize({ url, method: method.toUpperCase() }, { key: creds.accessToken, secret: creds.accessTokenSecret });
  return oauth.toHeader(data).Authorization;
}
