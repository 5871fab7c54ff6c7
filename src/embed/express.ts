import type { IncomingMessage, ServerResponse } from 'node:http';
import { readEnvironment } from '../config/index.js';
import { startReceiver, type Receiver, type StartOptions } from './receiver.js';

export interface XWebhooksOptions extends StartOptions {
  /**
   * The receiver's settings, as the environment variables `xaa serve` reads (X_CONSUMER_SECRET,
   * DATABASE_URL, WEBHOOK_PATH, HANDLERS, ...). Default: process.env.
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
 * Requests that arrive while it is starting wait for it.
 */
export function xWebhooks(options: XWebhooksOptions = {}): XWebhooksMiddleware {
  const started = startReceiver(options.env ?? readEnvironment(), options);
  // A failed start is reported to each request that waits on it (and by ready()).
  started.catch(() => {});
  let webhookPath: string | undefined;
  void started.then((r) => (webhookPath = r.config.webhookPath), () => {});

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    // Known path, not ours: straight on, without waiting for the start.
    if (webhookPath !== undefined && pathOf(req.url) !== webhookPath) return next();
    started.then(
      (receiver) => {
        if (pathOf(req.url) !== receiver.config.webhookPath) return next();
        if (req.readableEnded) {
          // A body parser ran first: the raw bytes the signature covers are gone.
          return next(new Error(`xWebhooks must be mounted before any body parser: the body of ${receiver.config.webhookPath} was already read`));
        }
        receiver.webhook(req, res);
      },
      (error: unknown) => next(error),
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
