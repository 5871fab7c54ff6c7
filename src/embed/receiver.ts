import type { RequestListener } from 'node:http';
import { loadConfig, readEnvironment, requireReceiver, secretValues, type Config } from '../config/index.js';
import { startDispatchThread, type DispatchThread, type DispatchThreadOptions } from '../dispatch/index.js';
import { createApp, type AppDeps } from '../http/index.js';
import { requireStreamCredentials, startStreamConsumer, type StreamConsumer } from '../stream/index.js';
import type { WebhookHandler } from '../http/webhook.js';
import { createLogger, type Logger } from '../log/index.js';
import { createMetrics, registerQueueGauges, registerThreadCpuCounter } from '../metrics/index.js';
import { osThreadId, trackThread } from '../runtime/thread-cpu.js';
import { databaseLabel, openServiceDatabase, queueStats, startRetention, type Database } from '../store/index.js';

export interface StartOptions {
  /** Apply pending database migrations before starting (`--migrate`; MIGRATE_ON_START=true does the same). */
  migrate?: boolean;
  /** Told about every delivery once it is answered (`xaa dev` prints them). */
  onDelivery?: AppDeps['onDelivery'];
  /**
   * How the dispatch thread runs (`xaa dev`): told about each handled run, what to do when it
   * dies, its logs, and the environment it reads (default: the receiver's).
   */
  dispatch?: Omit<DispatchThreadOptions, 'viaWriter'> & { env?: Record<string, string | undefined> };
  /** Also consume the XAA persistent stream (`serve --stream`); default: XAA_STREAM. */
  stream?: boolean;
  /**
   * Serve the webhook (default true; it needs X_CONSUMER_SECRET). `xaa stream` sets false: events
   * come by the stream only, and WEBHOOK_PATH is not served.
   */
  webhook?: boolean;
}

/** A started receiver, not yet behind any HTTP server: `xaa serve` gives it one, xWebhooks() mounts it in yours. */
export interface Receiver {
  /** consumerSecret is set whenever the webhook is served (StartOptions.webhook). */
  config: Config;
  logger: Logger;
  db: Database;
  /** The whole surface: the webhook route first, then health, readiness, metrics and 404s. */
  handler: RequestListener;
  /** The webhook route alone (CRC, deliveries): answers WEBHOOK_PATH and returns true, else false. */
  webhook: WebhookHandler;
  /** The running dispatch thread (undefined: DISPATCH_IN_SERVER=false, no plugins, or a restart failed). */
  readonly dispatcher: DispatchThread | undefined;
  /** The XAA persistent stream consumer, when it runs (`xaa stream`, XAA_STREAM=on, `serve --stream`). */
  readonly stream: StreamConsumer | undefined;
  /**
   * Loads the plugins afresh on a new dispatch thread (a new thread imports every module anew),
   * hands new work to it, then stops the old one (its running handlers finish or are released
   * within SHUTDOWN_TIMEOUT_MS, and the new one takes them up). When the new thread cannot start
   * (a plugin fails to load), the old one is stopped too and the error thrown: events wait in the
   * store until a restart succeeds. Calls are taken one at a time. `xaa dev` reloads with it.
   */
  restartDispatcher(): Promise<DispatchThread | undefined>;
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
  const loaded = loadConfig(env);
  const config: Config = options.webhook === false ? loaded : requireReceiver(loaded);
  const streamOn = options.stream ?? config.stream.enabled;
  // Checked before anything opens: a stream without its credential is a configuration error.
  if (streamOn) requireStreamCredentials(config);
  const logger = createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  const db = await openServiceDatabase(config, {
    migrate: Boolean(options.migrate) || config.migrateOnStart,
    env,
    onMigrated: (report) => logger.info({ database: databaseLabel(config.database), report }, 'database migrations applied'),
  });
  const metrics = createMetrics({ defaults: true });
  registerQueueGauges(metrics, () => queueStats(db));
  // The thread serving HTTP; the writer and dispatch threads report theirs when they start.
  trackThread('main', osThreadId());
  registerThreadCpuCounter(metrics);
  // PostgreSQL: each commit wakes the dispatcher to claim. SQLite: the writer pushes new events.
  let dispatcher: DispatchThread | undefined;
  const { handler, webhook, inbox, startClosing } = createApp({
    config,
    db,
    logger,
    metrics,
    onCommitted: () => (inbox.writer ? undefined : dispatcher?.notify()),
    onDelivery: options.onDelivery,
    webhook: options.webhook !== false,
  });
  // The dispatcher and the plugins run on their own thread: never on the event loop X waits on.
  // On SQLite it works through the inbox's writer thread, the process's one writer.
  const writer = inbox.writer;
  const { env: threadEnv = env, ...threadOptions } = options.dispatch ?? {};
  const startThread = () => startDispatchThread(metrics, logger, { ...threadOptions, viaWriter: Boolean(writer) }, threadEnv);
  /** SQLite: new events go to this dispatcher from now on (the writer leases them to it). */
  const link = async (thread: DispatchThread | undefined) => {
    if (thread && writer) await writer.linkDispatcher((port) => thread.connectWriter(port));
  };
  try {
    dispatcher = config.dispatch.inServer ? await startThread() : undefined;
    await link(dispatcher);
  } catch (error) {
    await dispatcher?.stop(0);
    await inbox.close();
    await db.close();
    throw error;
  }
  const stopRetention = startRetention(db, config.retention, logger);
  // The stream writes into the same inbox as the webhook: one store, one dedupe, one dispatcher.
  const stream = streamOn ? startStreamConsumer({ config, db, inbox, metrics, logger }) : undefined;

  let restarting: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  const restartDispatcher = () => {
    const next = restarting.then(async () => {
      if (stopping) throw new Error('the receiver is stopping');
      const old = dispatcher;
      let fresh: DispatchThread | undefined;
      try {
        fresh = await startThread();
        await link(fresh);
      } catch (error) {
        dispatcher = undefined;
        await Promise.all([fresh?.stop(0), old?.stop(config.shutdownTimeoutMs)]);
        throw error;
      }
      dispatcher = fresh;
      // The old thread gives back what it had not started; the new one claims it (DISPATCH_POLL_MS).
      await old?.stop(config.shutdownTimeoutMs);
      fresh?.notify();
      return fresh;
    });
    restarting = next.catch(() => undefined);
    return next;
  };
  const stop = (drainHttp: () => Promise<void> = async () => {}) =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      startClosing();
      stopRetention();
      await restarting;
      await Promise.all([drainHttp(), stream?.stop(), dispatcher?.stop(config.shutdownTimeoutMs)]);
      await inbox.close();
      await db.close();
      logger.info('stopped');
      logger.flush();
    })());
  return {
    config,
    logger,
    db,
    handler,
    webhook,
    get dispatcher() {
      return dispatcher;
    },
    stream,
    restartDispatcher,
    stop,
  };
}
