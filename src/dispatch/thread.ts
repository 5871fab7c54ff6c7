// The server's dispatch thread: the dispatcher and the handler plugins run here, with their own
// database connection, so neither user code nor the dispatcher's queries (synchronous on SQLite)
// ever hold up the HTTP event loop that X's deliveries and CRCs wait on.
import { parentPort } from 'node:worker_threads';
import { loadConfig, readEnvironment, secretValues } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { clientFromConfig } from '../management/index.js';
import { openDatabase } from '../store/index.js';
import { dispatcherFromConfig } from './start.js';
import type { FromDispatchThread, ToDispatchThread } from './thread-protocol.js';

const port = parentPort!;
const send = (message: FromDispatchThread) => port.postMessage(message);

try {
  const config = loadConfig(readEnvironment());
  const logger = createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  // A plugin's forgotten promise must not take the dispatcher down with it.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection in a handler plugin'));
  const db = await openDatabase(config.database);
  const x = clientFromConfig(config);
  const dispatcher = await dispatcherFromConfig(config, db, logger, createMetrics(), x, (handled) => send({ handled }));
  if (!dispatcher) {
    await db.close();
    send({ noPlugins: true });
    port.close();
  } else {
    dispatcher.start();
    send({ started: true, plugins: dispatcher.pluginNames });
    port.on('message', (message: ToDispatchThread) => {
      if ('notify' in message) return dispatcher.notify();
      void (async () => {
        await dispatcher.stop(message.timeoutMs);
        await db.close();
        logger.flush();
        send({ stopped: true });
        port.close();
      })();
    });
  }
} catch (error) {
  send({ failed: (error as Error).message });
  port.close();
}
