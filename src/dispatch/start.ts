import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { XClient } from '../management/index.js';
import { observeHandled, type Metrics } from '../metrics/index.js';
import { loadPlugins } from '../plugins/loader.js';
import type { Database, WorkQueue } from '../store/index.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { reopenOwedEvents, reportOrphanedRuns } from './orphans.js';

/**
 * Loads HANDLERS and builds the dispatcher the configuration describes. `logger` takes the
 * dispatcher's own lines, `handlerLogger` (default: `logger`) is the parent of the handlers' ctx.log.
 */
export async function dispatcherFromConfig(
  config: Config,
  db: Database,
  logger: Logger,
  metrics: Metrics,
  x?: XClient,
  onHandled?: DispatcherOptions['onHandled'],
  queue?: WorkQueue,
  handlerLogger?: Logger,
): Promise<Dispatcher | undefined> {
  const plugins = await loadPlugins(config.dispatch.handlers, { logger, handlerOptions: config.dispatch.handlerOptions });
  if (plugins.length === 0) {
    // Events stay pending in the store; they are dispatched once plugins are configured.
    logger.info('no handler plugins (HANDLERS is empty): events are stored, not dispatched');
    return undefined;
  }
  const names = plugins.map((p) => p.name);
  logger.info({ plugins: names }, 'handler plugins loaded');
  // In the background: on a large store the count takes a moment, and nothing waits for it.
  reportOrphanedRuns(db, names, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not check the store for handler runs of plugins that are not loaded'),
  );
  reopenOwedEvents(db, names, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not check the store for completed events that owe a loaded plugin its runs'),
  );
  return new Dispatcher({
    db,
    ...(queue ? { queue } : {}),
    plugins,
    logger: logger.child({ component: 'dispatch' }),
    ...(handlerLogger ? { handlerLogger: handlerLogger.child({ component: 'dispatch' }) } : {}),
    retrySchedule: config.dispatch.retrySchedule,
    concurrency: config.dispatch.concurrency,
    perUserOrder: config.dispatch.perUserOrder,
    leaseMs: config.dispatch.leaseMs,
    pollMs: config.dispatch.pollMs,
    handlerTimeoutMs: config.dispatch.handlerTimeoutMs,
    x,
    onHandled: onHandled ?? ((handled) => observeHandled(metrics, handled)),
  });
}
