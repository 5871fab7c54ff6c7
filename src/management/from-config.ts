import type { Config } from '../config/index.js';
import { XClient, type XClientOptions } from './client.js';
import { credentialsFromConfig } from './credentials.js';

/**
 * The X API client the configuration describes (X_API_BASE_URL, X_BEARER_TOKEN, X_CONSUMER_KEY,
 * X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET, X_OAUTH2_USER_TOKEN, X_API_*).
 * Serve and worker pass it to the dispatcher as ctx.x.
 */
export function clientFromConfig(config: Config, extra: Partial<XClientOptions> = {}): XClient {
  return new XClient({
    baseUrl: config.x.baseUrl,
    credentials: credentialsFromConfig(config.x, config.consumerSecret),
    timeoutMs: config.x.timeoutMs,
    retries: config.x.retries,
    rateLimitMaxWaitMs: config.x.rateLimitMaxWaitMs,
    ...extra,
  });
}
