import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config/index.js';
import { createConsole } from '../console/index.js';
import type { Logger } from '../log/index.js';
import { createMetrics, registerBodyBudgetGauge, registerStoreGauge, type Metrics } from '../metrics/index.js';
import { createCrcRecorder } from '../receiver/crc-recorder.js';
import { createIngest, type IngestDeps } from '../receiver/ingest.js';

import { openInbox, recordCrcCheck, type Database, type DeliveryInbox } from '../store/index.js';
import { createBodyBudget } from './body-budget.js';
import { clientAddressResolver } from './trusted-proxy.js';
import { errorHandler, notFound } from './errors.js';
import { rateLimit } from './rate-limit.js';
import { closeUnreadBody } from './unread-body.js';
import { healthRoutes } from './health.js';
import { metricsRoute } from './metrics-route.js';
import { webhookRoute, type WebhookHandler } from './webhook.js';

export interface AppDeps {
  /** Without a consumer secret (`xaa stream`), WEBHOOK_PATH is not served: nothing can be verified. */
  config: Config;
  db: Database;
  logger: Logger;
  metrics?: Metrics;
  /** Called after each inbox commit (wakes an in-process dispatcher). */
  onCommitted?: () => void;
  /** Told about every delivery once answered (`xaa dev`). */
  onDelivery?: IngestDeps['onDelivery'];
  /** Serve WEBHOOK_PATH (default: whenever X_CONSUMER_SECRET is set). `xaa stream` does not. */
  webhook?: boolean;
}

export interface ReceiverApp {
  /** The Express app: every route but the webhook (health, readiness, metrics, 404s). */
  app: Express;
  /**
   * What the HTTP server serves (and tests drive): WEBHOOK_PATH answered directly, before
   * Express; every other request handed to `app`.
   */
  handler: RequestListener;
  /** The webhook route alone: answers WEBHOOK_PATH and returns true, or returns false (embedding). */
  webhook: WebhookHandler;
  inbox: DeliveryInbox;
  metrics: Metrics;
  /** From now on POSTs get 503 (graceful shutdown). */
  startClosing(): void;
}

/**
 * The request listener and the Express app behind it: wiring only. Routes come from their
 * modules; rules live below http/.
 */
export function createApp({ config, db, logger, metrics = createMetrics(), onCommitted, onDelivery, webhook: serveWebhook = true }: AppDeps): ReceiverApp {
  let closing = false;
  const inbox = openInbox(db, {
    dedupeWindowMs: config.retention.dedupeWindowDays * 86_400_000,
    onCommit: (size, seconds, ok) => {
      metrics.commit.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
      metrics.commitBatch.observe(size);
      if (ok) onCommitted?.();
    },
  });
  registerStoreGauge(metrics, () => inbox.health());
  const secrets = [config.consumerSecret, config.previousConsumerSecret].filter((s): s is string => Boolean(s));
  const ingest = createIngest({ secrets, inbox, metrics, logger, onDelivery });
  const crcRecorder = createCrcRecorder(
    (check) => recordCrcCheck(db.prisma, check),
    (err) => logger.warn({ err }, 'could not record a CRC check'),
  );

  const bodyBudget = createBodyBudget({
    totalBytes: config.limits.bodyBudgetBytes,
    perClientBytes: config.limits.bodyBudgetPerClientBytes,
  });
  registerBodyBudgetGauge(metrics, () => bodyBudget.inFlight);

  // The webhook (X's CRCs and deliveries, the hot path) is answered before Express: no routing,
  // no per-request Express objects. It sets helmet's headers itself and is never rate limited.
  const consumerSecret = config.consumerSecret;
  const webhook: WebhookHandler = !consumerSecret || !serveWebhook ? () => false : webhookRoute({
    path: config.webhookPath,
    consumerSecret,
    maxBodyBytes: config.maxBodyBytes,
    bodyBudget,
    minUploadBytesPerSecond: config.limits.minUploadBytesPerSecond,
    ingest,
    metrics,
    logger,
    isClosing: () => closing,
    clientAddressOf: clientAddressResolver(config.trustProxy),
    onCrc: (check) => crcRecorder.record(check),
  });

  const app = express();
  app.disable('x-powered-by');
  // TRUST_PROXY (off by default): whether X-Forwarded-For names the client (req.ip, the rate
  // limiter's key, logged addresses). The webhook route applies the same rule (trusted-proxy.ts).
  app.set('trust proxy', config.trustProxy);
  // An answer sent before its request's body was read closes the connection (no draining of junk).
  app.use(closeUnreadBody);
  app.use(helmet());
  // Every route Express serves, which is every route but the webhook: X is never throttled by us.
  // Before the request logger, so that a flood does not become a flood of log lines.
  if (config.rateLimitPerMinute > 0) app.use(rateLimit({ perMinute: config.rateLimitPerMinute, logger }));
  app.use(
    pinoHttp({
      logger,
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { method: string; url: string; headers: Record<string, unknown> }) => ({
          method: req.method,
          // Never log query strings: a CRC token is a value X signs with our secret.
          url: String(req.url).split('?')[0],
          headers: {
            'content-type': req.headers['content-type'],
            'content-length': req.headers['content-length'],
            'user-agent': req.headers['user-agent'],
          },
        }),
      },
    }),
  );
  app.use(healthRoutes(db, config.adminToken, () => inbox.health()));
  app.use(metricsRoute(metrics, config.adminToken));
  // The operator console, only with ADMIN_TOKEN: its own router under /console (its own headers,
  // session and CSRF checks); the webhook above never reaches Express.
  const operatorConsole = config.adminToken ? createConsole({ config, db, logger, metrics }) : undefined;
  if (operatorConsole) app.use('/console', operatorConsole.router);
  app.use(notFound);
  app.use(errorHandler(logger));
  const handler: RequestListener = (req, res) => {
    if (!webhook(req, res)) app(req, res);
  };
  return {
    app,
    handler,
    webhook,
    inbox,
    metrics,
    startClosing: () => {
      closing = true;
      operatorConsole?.close();
      crcRecorder.flushAll();
    },
  };
}
