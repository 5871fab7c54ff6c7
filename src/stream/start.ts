import { ConfigError, type Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { recordStreamGap, saveStreamLastSeen, streamLastSeen, ACTIVITY_STREAM, type Database, type DeliveryInbox } from '../store/index.js';
import { StreamConsumer, type StreamConsumerDeps } from './consumer.js';

/** What consuming the stream needs on top of the base configuration: the app bearer token. */
export function requireStreamCredentials(config: Config): string {
  if (!config.x.bearerToken) {
    throw new ConfigError(
      "X_BEARER_TOKEN is required to consume the XAA persistent stream: set it to the X app's bearer token (app-only OAuth 2.0)",
    );
  }
  // fetch refuses such a header with a message that quotes it (the token would reach the logs),
  // and would do so on every reconnection: said once, here, without the value.
  if (/[^\x20-\x7e]/.test(config.x.bearerToken)) {
    throw new ConfigError(
      'X_BEARER_TOKEN is not a valid HTTP header value: it holds a line break, a control character or a non-ASCII character (copied with its newline?)',
    );
  }
  return config.x.bearerToken;
}

/**
 * The stream consumer the configuration describes (X_API_BASE_URL, X_BEARER_TOKEN, XAA_STREAM_*),
 * writing into `inbox` and keeping its position and gaps in `db`. Started; stop() it before
 * the inbox closes.
 */
export function startStreamConsumer(
  { config, db, inbox, metrics, logger }: { config: Config; db: Database; inbox: DeliveryInbox; metrics: Metrics; logger: Logger },
  extra: Partial<StreamConsumerDeps> = {},
): StreamConsumer {
  const bearerToken = requireStreamCredentials(config);
  const { enabled: _enabled, ...streamConfig } = config.stream;
  const consumer = new StreamConsumer({
    baseUrl: config.x.baseUrl,
    bearerToken,
    inbox,
    position: {
      lastSeen: () => streamLastSeen(db.prisma, ACTIVITY_STREAM),
      saveLastSeen: (at) => saveStreamLastSeen(db.prisma, at, ACTIVITY_STREAM),
      recordGap: (gap) => recordStreamGap(db.prisma, { stream: ACTIVITY_STREAM, ...gap }),
    },
    config: streamConfig,
    metrics,
    logger,
    maxLineBytes: config.maxBodyBytes,
    ...extra,
  });
  consumer.start();
  return consumer;
}
