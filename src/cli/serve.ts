import type { Server } from 'node:http';
import { loadConfig, readEnvironment, requireReceiver, secretValues } from '../config/index.js';
import { startDispatchThread, type DispatchThread } from '../dispatch/index.js';
import { createApp } from '../http/index.js';
import { createHttpServer } from '../http/server.js';
import { createLogger } from '../log/index.js';
import { createMetrics, registerQueueGauges } from '../metrics/index.js';
import { queueStats, startRetention } from '../store/index.js';
import { exitAfterFlush } from './output.js';
import { databaseLabel, openServiceDatabase } from './startup.js';

export interface Running {
  server: Server;
  url: string;
  dispatcher: DispatchThread | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Apply pending database migrations before starting (`--migrate`; MIGRATE_ON_START=true does the same). */
  migrate?: boolean;
}

/**
 * Starts the receiver: validated config, database, HTTP server, and (unless DISPATCH_IN_SERVER is
 * false) the dispatcher. The database must answer and have every migration applied (applied
 * here with `migrate` or MIGRATE_ON_START=true), else it throws a one-line DatabaseError before
 * listening. stop(): POSTs get 503, in-flight deliveries are committed, handlers finish or are
 * released within SHUTDOWN_TIMEOUT_MS, the database is closed.
 */
export async function serve(env = readEnvironment(), options: StartOptions = {}): Promise<Running> {
  const config = requireReceiver(loadConfig(env));
  const logger = createLogger({
    level: config.logLevel,
    env: config.env,
    secrets: secretValues(config),
  });
  const db = await openServiceDatabase(config, {
    migrate: Boolean(options.migrate) || config.migrateOnStart,
    env,
    onMigrated: (report) => logger.info({ database: databaseLabel(config.database), report }, 'database migrations applied'),
  });
  const metrics = createMetrics({ defaults: true });
  registerQueueGauges(metrics, () => queueStats(db));
  let dispatcher: DispatchThread | undefined;
  // PostgreSQL: each commit wakes the dispatcher to claim. SQLite: the writer pushes new events.
  let wake: (() => void) | undefined;
  const { handler, inbox, startClosing } = createApp({ config, db, logger, metrics, onCommitted: () => wake?.() });
  // The dispatcher and the plugins run on their own thread: never on the event loop X waits on.
  // On SQLite it works through the inbox's writer thread, the process's one writer.
  const writer = inbox.writer;
  dispatcher = config.dispatch.inServer ? await startDispatchThread(metrics, logger, { viaWriter: Boolean(writer) }) : undefined;
  if (dispatcher && writer) {
    const linked = dispatcher;
    await writer.linkDispatcher((port) => linked.connectWriter(port));
  } else if (dispatcher) {
    const linked = dispatcher;
    wake = () => linked.notify();
  }
  // The webhook is answered by this server's listener before Express (see createApp). Slow or
  // stalled requests must not hold sockets forever: 408 after HTTP_REQUEST_TIMEOUT_MS.
  const server = createHttpServer(handler, { requestTimeoutMs: config.requestTimeoutMs });
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const stopRetention = startRetention(db, config.retention, logger);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, webhookPath: config.webhookPath, database: db.provider, dispatcher: dispatcher ? dispatcher.plugins : false }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      startClosing();
      stopRetention();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests already past the closing check finish (and commit) before the inbox closes;
      // the dispatcher stops meanwhile.
      await Promise.all([
        Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]),
        dispatcher?.stop(config.shutdownTimeoutMs),
      ]);
      server.closeAllConnections();
      await inbox.close();
      await db.close();
      logger.info('stopped');
      logger.flush();
    })());
  return { server, url, dispatcher, stop };
}

/** Runs `start` until SIGTERM/SIGINT, then stops cleanly and exits 0 (1 if stopping failed), output flushed. */
export async function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const running = await start();
  const onSignal = () => {
    running.stop().then(
      () => exitAfterFlush(0),
      (error: unknown) => {
        process.stderr.write(`xaa: shutdown failed: ${(error as Error).message}\n`);
        exitAfterFlush(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

export async function serveCommand(options: StartOptions = {}): Promise<void> {
  await runUntilSignal(() => serve(readEnvironment(), options));
}
