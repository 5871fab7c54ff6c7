import { loadConfig, readEnvironment, secretValues } from '../config/index.js';
import { dispatcherFromConfig } from '../dispatch/index.js';
import { createLogger } from '../log/index.js';
import { clientFromConfig } from '../management/index.js';
import { createMetrics } from '../metrics/index.js';
import { openDatabase } from '../store/index.js';
import { runUntilSignal } from './serve.js';

/** A dispatcher without an HTTP server: scale handlers out with as many as needed. */
export async function worker(env = readEnvironment()) {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  const db = await openDatabase(config.database);
  const dispatcher = await dispatcherFromConfig(config, db, logger, createMetrics(), clientFromConfig(config));
  if (!dispatcher) {
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
      await db.close();
      logger.info('worker stopped');
      logger.flush();
    },
  };
}

export async function workerCommand(): Promise<void> {
  await runUntilSignal(() => worker());
}
