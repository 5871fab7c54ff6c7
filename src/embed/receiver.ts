import type { RequestListener } from 'node:http';
import { loadConfig, readEnvironment, requireReceiver, secretValues, type Config } from '../config/index.js';
import { startDispatchThread, type DispatchThread } from '../dispatch/index.js';
import { createApp } from '../http/index.js';
import type { WebhookHandler } from '../http/webhook.js';
import { createLogger, type Logger } from '../log/index.js';
import { createMetrics, registerQueueGauges } from '../metrics/index.js';
import { databaseLabel, openServiceDatabase, queueStats, startRetention, type Database } from '../store/index.js';

export interface StartOptions {
  /** Apply pending database migrations before starting (`--migrate`; MIGRATE_ON_START=true does the same). */
  migrate?: boolean;
}

/** A started receiver, not yet behind any HTTP server: `xaa serve` gives it one, xWebhooks() mounts it in yours. */
export interface Receiver {
  config: Config & { consumerSecret: string };
  logger: Logger;
  db: Database;
  /** The whole surface: the webhook route first, then health, readiness, metrics and 404s. */
  handler: RequestListener;
  /** The webhook route alone (CRC, deliveries): answers WEBHOOK_PATH and returns true, else false. */
  webhook: WebhookHandler;
  dispatcher: DispatchThread | undefined;
  /**
   * Stops: POSTs get 503, `drainHttp` (the caller's server closing) runs beside the dispatcher's
   * stop (handlers finish or are released within SHUTDOWN_TIMEOUT_MS), then the inbox commits what
   * it holds and the database closes. Once only; later calls get the same promise.
   */
  stop(drainHttp?: () => Promise<void>): Promise<void>;
}

/**
 * Starts everything but the HTTP server: validated config, database (every migration applied,
 * or applied here with `migrate`/MIGRATE_ON_START), inbox, the dispatcher unless
 * DISPATCH_IN_SERVER=false, retention. Throws a one-line error when the database is unusable.
 */
export async function startReceiver(env = readEnvironment(), options: StartOptions = {}): Promise<Receiver> {
  const config = requireReceiver(loadConfig(env));
  const logger = createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  const db = await openServiceDatabase(config, {
    migrate: Boolean(options.migrate) || config.migrateOnStart,
    env,
    onMigrated: (report) => logger.info({ database: databaseLabel(config.database), report }, 'database migrations applied'),
  });
  const metrics = createMetrics({ defaults: true });
  registerQueueGauges(metrics, () => queueStats(db));
  // PostgreSQL: each commit wakes the dispatcher to claim. SQLite: the writer pushes new events.
  let wake: (() => void) | undefined;
  const { handler, webhook, inbox, startClosing } = createApp({ config, db, logger, metrics, onCommitted: () => wake?.() });
  let dispatcher: DispatchThread | undefined;
  try {
    // The dispatcher and the plugins run on their own thread: never on the event loop X waits on.
    // On SQLite it works through the inbox's writer thread, the process's one writer.
    const writer = inbox.writer;
    dispatcher = config.dispatch.inServer ? await startDispatchThread(metrics, logger, { viaWriter: Boolean(writer) }, env) : undefined;
    if (dispatcher && writer) {
      const linked = dispatcher;
      await writer.linkDispatcher((port) => linked.connectWriter(port));
    } else if (dispatcher) {
      const linked = dispatcher;
      wake = () => linked.notify();
    }
  } catch (error) {
    await dispatcher?.stop(0);
    await inbox.close();
    await db.close();
    throw error;
  }
  const stopRetention = startRetention(db, config.retention, logger);

  let stopping: Promise<void> | undefined;
  const stop = (drainHttp: () => Promise<void> = async () => {}) =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      startClosing();
      stopRetention();
      await Promise.all([drainHttp(), dispatcher?.stop(config.shutdownTimeoutMs)]);
      await inbox.close();
      await db.close();
      logger.info('stopped');
      logger.flush();
    })());
  return { config, logger, db, handler, webhook, dispatcher, stop };
}
