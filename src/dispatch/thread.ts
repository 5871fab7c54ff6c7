// The server's dispatch thread: the dispatcher and the handler plugins run here, with their own
// database connection, so neither user code nor the dispatcher's queries (synchronous on SQLite)
// ever hold up the HTTP event loop that X's deliveries and CRCs wait on.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, secretValues } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { clientFromConfig } from '../management/index.js';
import { osThreadId } from '../runtime/thread-cpu.js';
import { openDatabase, RemoteWorkQueue } from '../store/index.js';
import type { HandledRun } from './dispatcher.js';
import { dispatcherFromConfig } from './start.js';
import type { DispatchThreadData, FromDispatchThread, ToDispatchThread } from './thread-protocol.js';

const port = parentPort!;
const send = (message: FromDispatchThread) => port.postMessage(message);

try {
  // The environment the receiver handed this thread, whole (`xaa serve` read .env into it already):
  // not .env again, which let a project's .env configure the receivers of xWebhooks({ env }) and
  // startTestReceiver() here (its X tokens and API URL reaching ctx.x in a handler's tests).
  const config = loadConfig({ ...process.env });
  const data = workerData as DispatchThreadData | undefined;
  const logger = createLogger({
    level: config.logLevel,
    env: config.env,
    secrets: secretValues(config),
    // One line per log call: the plugin's name, the message, the handler's own fields.
    ...(data?.prettyLogs
      ? {
          pretty: true,
          prettyOptions: {
            colorize: data.prettyLogs.colorize,
            singleLine: true,
            translateTime: 'HH:MM:ss.l',
            ignore: 'component,event,plugin,attempt',
            messageFormat: '{if plugin}{plugin}: {end}{msg}',
          },
        }
      : {}),
  });
  // The receiver's own lines, through the same output; the handlers' ctx.log stay on `logger`.
  const own = data?.ownLogLevel ? logger.child({}, { level: data.ownLogLevel }) : logger;
  // A plugin's forgotten promise must not take the dispatcher down with it.
  process.on('unhandledRejection', (err) => own.error({ err }, 'unhandled rejection in a handler plugin'));
  const db = await openDatabase(config.database);
  const x = clientFromConfig(config);
  // SQLite: claims and outcomes go through the server's one writer thread, which also pushes new
  // events here straight from the commits that store them.
  const viaWriter = data?.viaWriter === true;
  const remote = viaWriter ? new RemoteWorkQueue() : undefined;
  // Metrics need four fields; the event and the error go along only when asked for (`xaa dev`).
  // Runs handled in one turn of this thread's loop go to the server in one message (a message
  // per run cost both threads more than the handling of a no-op handler).
  let handled: Extract<FromDispatchThread, { handled: unknown }>['handled'] = [];
  const flushHandled = () => {
    if (handled.length === 0) return;
    send({ handled });
    handled = [];
  };
  const onHandled = (run: HandledRun) => {
    if (handled.length === 0) setImmediate(flushHandled);
    const { plugin, ok, seconds, lagSeconds } = run;
    handled.push(data?.describeRuns ? run : { plugin, ok, seconds, lagSeconds });
  };
  const dispatcher = await dispatcherFromConfig(config, db, own, createMetrics(), x, onHandled, remote, logger);
  if (dispatcher && remote) remote.attach(dispatcher.attachment(), (work) => dispatcher.accept(work));
  if (!dispatcher) {
    await db.close();
    send({ noPlugins: true });
    port.close();
  } else {
    dispatcher.start();
    send({ started: true, plugins: dispatcher.pluginNames, tid: osThreadId() });
    port.on('message', (message: ToDispatchThread) => {
      if ('notify' in message) return dispatcher.notify();
      if ('writerPort' in message) return remote?.connect(message.writerPort);
      void (async () => {
        // Outcomes still wait for a writer that is restarting, up to the stop's own limit.
        remote?.stopping(message.timeoutMs);
        await dispatcher.stop(message.timeoutMs);
        flushHandled();
        remote?.close();
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
