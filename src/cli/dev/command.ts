import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, readEnvironment } from '../../config/index.js';
import { clientFromConfig, Management } from '../../management/index.js';
import { databaseLabel } from '../../store/index.js';
import { XStandIn } from '../../testing/x-standin/index.js';
import { emulatedApp } from '../emulate.js';
import { exitAfterFlush } from '../output.js';
import { serve, type Running } from '../serve.js';
import { wholeNumber } from '../whole-number.js';
import { deliveryLine, formatDelivery, formatHandler, handlerLine, palette } from './lines.js';
import { register, unregister, type Registration, type RegistrationStep, type UndoStep } from './registration.js';
import { watchSources, type SourceWatcher } from './watch.js';

interface DevOptions {
  emulate?: boolean;
  url?: string;
  emulatePort: string;
  subscribe: boolean;
  watch?: string[];
  json?: boolean;
}

export function devCommand(): Command {
  return new Command('dev')
    .description(
      'the local loop in one command: migrate, serve, reload the handlers when their files change, register and validate the webhook ' +
        'and subscribe the user at X (or at a local X stand-in: --emulate), print each delivery and handler run; Ctrl-C removes what it registered',
    )
    .addOption(new Option('--emulate', 'run a local X stand-in and point the registration and ctx.x at it (made-up credentials where none are set)').conflicts('url'))
    .option('--url <url>', 'the public URL that reaches this receiver (any tunnel); WEBHOOK_PATH is appended when the URL has no path, and must be its path otherwise')
    .option('--emulate-port <port>', 'port of the X stand-in (--emulate)', wholeNumber(0, 65535), '8787')
    .option('--no-subscribe', 'register the webhook only, subscribe no user')
    .option('--watch <paths...>', 'more files or folders whose changes reload the handlers (default: the folders of the HANDLERS files)')
    .option('--json', 'one JSON object per line on stdout (handler logs stay pino JSON lines)')
    .action((o: DevOptions) => dev(o));
}

/** The public URL of the webhook: --url with WEBHOOK_PATH as its path (appended when it has none). */
export function webhookUrlFrom(given: string, webhookPath: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`--url "${given}" is not a URL: give the public URL of your tunnel, e.g. https://abc123.ngrok.app`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--url "${given}" is not an http(s) URL`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = webhookPath;
  // A tunnel passes the path through: the receiver answers on WEBHOOK_PATH only.
  if (url.pathname !== webhookPath) {
    throw new Error(`--url "${given}" has the path ${url.pathname}, but the receiver answers on WEBHOOK_PATH (${webhookPath}): give the URL without a path, or set WEBHOOK_PATH=${url.pathname}`);
  }
  return url.href;
}

/** The HANDLERS entries that are files (package names are not watched), resolved against the working directory. */
function handlerFiles(specifiers: readonly string[]): string[] {
  return specifiers.filter((s) => s.startsWith('.') || s.startsWith('/') || /\.[cm]?[jt]s$/.test(s)).map((s) => path.resolve(s));
}

/** A path as short as it reads well: relative to the working directory when inside it. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The receiver's own log lines are replaced by dev's: it logs warnings and errors only, unless asked for more detail. */
function receiverLogLevel(level: string | undefined): string {
  return level && ['debug', 'trace', 'error', 'fatal', 'silent'].includes(level) ? level : 'warn';
}

/** What a session has set up so far: the parts to take down again, in reverse order. */
interface Session {
  standin?: XStandIn;
  running?: Running;
  management?: Management;
  registration?: Registration;
  watcher?: SourceWatcher;
  reloading: Promise<void>;
}

async function dev(o: DevOptions): Promise<void> {
  if (!o.emulate && !o.url) {
    throw new Error('xaa dev needs --emulate (a local X stand-in) or --url <public URL> (a tunnel that reaches this receiver)');
  }
  const colorize = !o.json && Boolean(process.stdout.isTTY);
  const colors = palette(colorize);
  const print = (record: object, human: string) => process.stdout.write(`${o.json ? JSON.stringify(record) : human}\n`);
  const session: Session = { reloading: Promise.resolve() };

  /** Removes what this session registered (and only that), then stops the receiver and the stand-in. */
  const takeDown = async (): Promise<boolean> => {
    session.watcher?.close();
    let ok = true;
    if (session.management && session.registration) {
      ok = await unregister(session.management, session.registration, (step) => print(step, describeUndo(step)));
    }
    await session.reloading;
    await session.running?.stop();
    await session.standin?.stop();
    return ok;
  };

  // Ctrl-C at any point, during the start too: what was registered by then is removed.
  let stopping = false;
  let started: Promise<void> = Promise.resolve();
  const shutdown = () => {
    if (stopping) {
      print({ kind: 'forced' }, colors.red('stopping now: what was not removed yet stays registered (see `xaa webhooks list`)'));
      exitAfterFlush(130);
      return;
    }
    stopping = true;
    print({ kind: 'stopping' }, 'stopping: removing what xaa dev registered (Ctrl-C again to leave at once)');
    void (async () => {
      let ok = false;
      try {
        await started.catch((error: unknown) => {
          const message = (error as Error).message.split('\n')[0]!;
          print({ kind: 'failed', what: 'start', error: message }, colors.red(`the start did not finish: ${message}`));
        });
        ok = await takeDown();
      } catch (error) {
        print({ kind: 'failed', what: 'stop', error: (error as Error).message }, colors.red(`could not stop cleanly: ${(error as Error).message}`));
      }
      print({ kind: 'stopped', ok }, ok ? 'stopped' : colors.red('stopped, but not everything could be removed (see above)'));
      exitAfterFlush(ok ? 0 : 1);
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  started = start(o, session, print, colors, () => stopping);
  try {
    await started;
  } catch (error) {
    if (stopping) return; // the signal's shutdown takes it down and exits
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    await takeDown().catch(() => undefined);
    throw error;
  }
}

type Print = (record: object, human: string) => void;

/** Starts the stand-in (--emulate), the receiver, the registration at X and the watcher, saying each. */
async function start(o: DevOptions, session: Session, print: Print, colors: ReturnType<typeof palette>, stopping: () => boolean): Promise<void> {
  let env = readEnvironment();
  // Refused before anything starts.
  const tunnelUrl = o.url ? webhookUrlFrom(o.url, loadConfig(env).webhookPath) : undefined;
  if (o.emulate) {
    // The stand-in signs deliveries with the consumer secret it is given: never a production one.
    if (env.NODE_ENV === 'production') throw new Error('xaa dev --emulate is a development tool and does not run with NODE_ENV=production');
    const config = loadConfig(env);
    const app = emulatedApp(config);
    const standin = new XStandIn({
      consumerKey: app.consumerKey,
      consumerSecret: app.consumerSecret,
      bearerToken: app.bearerToken,
      users: [{ id: app.userId, accessToken: app.accessToken, accessTokenSecret: app.accessTokenSecret, oauth2Token: app.oauth2Token }],
      // The receiver is on loopback: http and a port, which X itself refuses.
      allowLoopbackHttp: true,
      host: '127.0.0.1',
      port: Number(o.emulatePort),
    });
    await standin.start().catch((error: unknown) => {
      const busy = (error as { code?: string }).code === 'EADDRINUSE';
      throw new Error(busy ? `port ${o.emulatePort} is in use: run the X stand-in on another with --emulate-port <port>` : `the X stand-in cannot start: ${(error as Error).message}`);
    });
    session.standin = standin;
    env = {
      ...env,
      X_API_BASE_URL: standin.url,
      X_CONSUMER_KEY: app.consumerKey,
      X_CONSUMER_SECRET: app.consumerSecret,
      X_BEARER_TOKEN: app.bearerToken,
      X_ACCESS_TOKEN: app.accessToken,
      X_ACCESS_TOKEN_SECRET: app.accessTokenSecret,
      X_OAUTH2_USER_TOKEN: app.oauth2Token,
      X_WEBHOOK_ID: undefined,
    };
    const madeUp = !config.consumerSecret;
    print(
      { kind: 'emulator', url: standin.url, user: app.userId, madeUpCredentials: madeUp },
      `X stand-in on ${standin.url} (user ${app.userId}; ${madeUp ? 'credentials made up for this session' : 'the configured credentials'})`,
    );
  }
  if (stopping()) return;

  const colorize = !o.json && Boolean(process.stdout.isTTY);
  const running = await serve(
    // One process does everything; its own info lines are replaced by the lines below.
    { ...env, DISPATCH_IN_SERVER: 'true', LOG_LEVEL: receiverLogLevel(env.LOG_LEVEL) },
    {
      migrate: true,
      onDelivery: (d) => {
        try {
          const line = deliveryLine(d);
          print(line, formatDelivery(line, colors));
        } catch {
          // A line that cannot be made must not touch the answer to X.
        }
      },
      dispatch: {
        env: { ...env, DISPATCH_IN_SERVER: 'true', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
        // The dispatch thread's own lines as the receiver's above; the handlers' logs at LOG_LEVEL.
        ownLogLevel: receiverLogLevel(env.LOG_LEVEL),
        ...(o.json ? {} : { prettyLogs: { colorize } }),
        onHandled: (run) => {
          const line = handlerLine(run);
          print(line, formatHandler(line, colors));
        },
        onUnexpectedExit: (code) =>
          print(
            { kind: 'handlers-exited', code },
            colors.red(`the handlers' thread exited (code ${code}): events wait in the store; save a handler file to start them again`),
          ),
      },
    },
  );
  session.running = running;
  const config = running.receiver.config;
  const webhookUrl = tunnelUrl ?? `${running.url}${config.webhookPath}`;
  const plugins = running.dispatcher?.plugins ?? [];
  print(
    { kind: 'serving', url: `${running.url}${config.webhookPath}`, database: databaseLabel(config.database), plugins },
    `receiver on ${running.url}${config.webhookPath} (database ${databaseLabel(config.database)}, migrated); ` +
      (plugins.length ? `handlers: ${plugins.join(', ')}` : 'no handlers (HANDLERS is empty): events are stored, not dispatched'),
  );
  if (stopping()) return;

  session.management = new Management(clientFromConfig(config), running.receiver.db);
  session.registration = await register(session.management, { url: webhookUrl, subscribe: o.subscribe, say: (step) => print(step, describeStep(step)) });
  if (stopping()) return;

  // Reloading: a new dispatch thread imports every module anew (see Receiver.restartDispatcher).
  let queued = false;
  const reload = (files: string[]) => {
    if (queued || stopping()) return;
    queued = true;
    session.reloading = session.reloading.then(async () => {
      queued = false;
      const changed = files.map(shortPath);
      try {
        const thread = await running.receiver.restartDispatcher();
        const names = thread?.plugins ?? [];
        print({ kind: 'reloaded', files: changed, plugins: names }, `${colors.cyan('reloaded')}  ${changed.join(', ')} changed: handlers ${names.join(', ') || '(none)'}`);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!;
        print(
          { kind: 'reload-failed', files: changed, error: message },
          `${colors.red('reload failed')}  ${message}; events wait in the store until the handlers load (save to retry)`,
        );
      }
    });
  };
  const roots = [...handlerFiles(config.dispatch.handlers), ...(o.watch ?? []).map((p) => path.resolve(p))];
  session.watcher = watchSources(roots, reload, {
    onLimit: (max) => print({ kind: 'note', message: `watching the first ${max} folders only` }, `note: watching the first ${max} folders only`),
  });
  const folders = session.watcher.folders().map(shortPath);
  const hint = session.standin
    ? `make an activity happen: curl -X POST ${session.standin.url}/_standin/events -H 'content-type: application/json' -d '{"type":"follow"}'`
    : `X delivers the user's activity to ${webhookUrl}; \`xaa trigger <type> --url ${running.url}${config.webhookPath}\` posts a signed sample`;
  print(
    { kind: 'ready', webhookId: session.registration.webhookId, webhookUrl, watching: folders },
    `ready: ${folders.length ? `watching ${folders.join(', ')}` : 'no handler files to watch'}; Ctrl-C removes what xaa dev registered\n${hint}`,
  );
}

function describeStep(step: RegistrationStep): string {
  if (step.kind === 'webhook') {
    return `webhook ${step.id} ${step.created ? 'registered' : 'found (registered before, kept on exit)'} for ${step.url}: CRC ${step.valid ? 'passed, valid' : 'failed, not valid'}`;
  }
  if (step.kind === 'subscription') {
    const who = step.user ? `user ${step.user}` : 'the token user';
    return step.created ? `${who} subscribed to webhook ${step.webhookId}` : `${who} was subscribed to webhook ${step.webhookId} already (kept on exit)`;
  }
  return `note: ${step.message}`;
}

function describeUndo(step: UndoStep): string {
  if (step.kind === 'unsubscribed') return `user ${step.user} unsubscribed from webhook ${step.webhookId}`;
  if (step.kind === 'deleted') return `webhook ${step.webhookId} deleted`;
  if (step.kind === 'kept') return `kept ${step.what}`;
  return `could not ${step.what}: ${step.error}`;
}
