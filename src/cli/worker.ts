import { loadConfig, readEnvironment, secretValues } from '../config/index.js';
import { dispatcherFromConfig } from '../dispatch/index.js';
import { createLogger } from '../log/index.js';
import { clientFromConfig } from '../management/index.js';
import { createMetrics } from '../metrics/index.js';
import { runUntilSignal, type StartOptions } from './serve.js';
import { databaseLabel, openServiceDatabase } from '../store/service-database.js';

/**
 * A dispatcher without an HTTP server: scale handlers out with as many as needed. Like serve, it
 * refuses to start (one line) while the database is unreachable or has pending migrations,
 * unless `migrate` (or MIGRATE_ON_START=true) applies them first.
 */
export async function worker(env = readEnvironment(), options: StartOptions = {}) {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  const db = await openServiceDatabase(config, {
    migrate: Boolean(options.migrate) || config.migrateOnStart,
    env,
    onMigrated: (report) => logger.info({ database: databaseLabel(config.database), report }, 'database migrations applied'),
  });
  // A plugin's forgotten promise (at load, while handling, or during the shutdown's drain) must
  // not take the worker down with it, nor the events it holds, as in the server's dispatch thread.
  const onRejection = (err: unknown) => logger.error({ err }, 'unhandled rejection in a handler plugin');
  process.on('unhandledRejection', onRejection);
  const dispatcher = await dispatcherFromConfig(config, db, logger, createMetrics(), clientFromConfig(config)).catch(async (error: unknown) => {
    process.off('unhandledRejection', onRejection);
    await db.close();
    throw error;
  });
  if (!dispatcher) {
    process.off('unhandledRejection', onRejection);
    await db.close();
    throw new Error('HANDLERS is empty: a worker needs at least one handler plugin');
  }
  dispatcher.start();
  logger.info({ owner: dispatcher.owner, database: db.provider }, 'worker started');
  return {
    dispatcher,
    async stop() {
      logger.info('worker stopping');
      await dispatcher.stop(config.shutdownTimeoutMs);
      process.off('unhandledRejection', onRejection);
      await db.close();
      logger.info('worker stopped');
      logger.flush();
    },
  };
}

export async function workerCommand(options: StartOptions = {}): Promise<void> {
  await runUntilSignal(() => worker(readEnvironment(), options));
}
