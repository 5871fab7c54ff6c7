import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_WEBHOOK_PATH, readEnvironment } from '../config/index.js';
import { startReceiver, type Receiver, type StartOptions } from './receiver.js';

export interface XWebhooksOptions extends StartOptions {
  /**
   * The receiver's settings, as the environment variables `xaa serve` reads (X_CONSUMER_SECRET,
   * DATABASE_URL, WEBHOOK_PATH, HANDLERS, ...). Default: the process environment and the working
   * directory's `.env`, as `xaa serve` reads them. Given, it is the whole configuration: `.env` is
   * not read (nor by the dispatch thread).
   */
  env?: Record<string, string | undefined>;
}

/** Express-style middleware (also plain `(req, res, next)`), with the receiver's lifecycle. */
export interface XWebhooksMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** Resolves once the receiver is started (database open, dispatcher running); rejects if it cannot start. */
  ready(): Promise<Receiver>;
  /** Stops the receiver: new deliveries get 503, handlers finish or are released, the database closes. */
  close(): Promise<void>;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/**
 * The receiver inside an existing app: `app.use(xWebhooks())` answers X's CRC and deliveries on
 * WEBHOOK_PATH, with the guarantees of `xaa serve` (signature verified against the raw body,
 * 200 only after commit, dedupe, dispatch to HANDLERS on their own thread); every other request
 * goes on to the app's next handler. Mount it before any body parser: it needs the raw bytes.
 * Requests to WEBHOOK_PATH that arrive while it is starting wait for it; if it cannot start, they
 * get 503 (the reason is written once to stderr, and ready() rejects with it).
 */
export function xWebhooks(options: XWebhooksOptions = {}): XWebhooksMiddleware {
  const env = options.env ?? readEnvironment();
  const started = startReceiver(env, options);
  // The path is known before the start ends (an invalid WEBHOOK_PATH fails the start): the app's
  // other routes never wait for the receiver, nor fail with it.
  const webhookPath = env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH;
  // A failed start is said once, in one line (the app may not await ready()), and answered 503
  // on the webhook path: X retries, and nothing of the failure (paths, stack) goes to the caller.
  started.catch((error: unknown) => {
    process.stderr.write(`xWebhooks: the X webhook receiver did not start: ${(error as Error)?.message?.split('\n')[0] ?? String(error)}\n`);
  });

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    // Without the webhook (`webhook: false`: events by the stream only) the path is the app's own.
    if (options.webhook === false || pathOf(req.url) !== webhookPath) return next();
    started.then(
      (receiver) => {
        if (req.readableEnded) {
          // A body parser ran first: the raw bytes the signature covers are gone.
          return next(new Error(`xWebhooks must be mounted before any body parser: the body of ${receiver.config.webhookPath} was already read`));
        }
        if (!receiver.webhook(req, res)) next();
      },
      () => {
        if (res.headersSent) return;
        // A body not read yet is not drained: the connection closes after the answer (as the
        // receiver's own refusals do), so a client cannot keep the app reading junk.
        res.writeHead(503, {
          'content-type': 'application/json; charset=utf-8',
          'retry-after': '60',
          'cache-control': 'no-store',
          ...(req.complete ? {} : { connection: 'close' }),
        });
        res.end(JSON.stringify({ error: 'unavailable', message: 'the webhook receiver did not start' }));
      },
    );
  };
  return Object.assign(middleware, {
    ready: () => started,
    close: async () => {
      const receiver = await started.catch(() => undefined);
      await receiver?.stop();
    },
  });
}
