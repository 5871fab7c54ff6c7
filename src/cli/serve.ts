import type { Server } from 'node:http';
import https from 'node:https';
import { readEnvironment } from '../config/index.js';
import type { DispatchThread } from '../dispatch/index.js';
import { startReceiver, type Receiver, type StartOptions } from '../embed/receiver.js';
import { loadCertificatePair, watchCertificates, type CertificatePair } from '../http/certificates.js';
import { createHttpServer } from '../http/server.js';
import { trustedPeer } from '../http/trusted-proxy.js';
import { exitAfterFlush } from './output.js';

export interface Running {
  server: Server | https.Server;
  url: string;
  readonly dispatcher: DispatchThread | undefined;
  /** What runs behind the server (`xaa dev` restarts its dispatcher). */
  receiver: Receiver;
  stop(): Promise<void>;
}

export type { StartOptions };

/**
 * Starts the receiver (see startReceiver) behind its own HTTP server. stop(): POSTs get 503,
 * the server stops accepting, in-flight deliveries are committed, handlers finish or are released
 * within SHUTDOWN_TIMEOUT_MS, the database is closed.
 */
export async function serve(env = readEnvironment(), options: StartOptions = {}): Promise<Running> {
  const receiver = await startReceiver(env, options);
  const { config, logger } = receiver;
  // HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set: the pair must be usable to start.
  let pair: CertificatePair | undefined;
  try {
    pair = config.tls ? loadCertificatePair(config.tls) : undefined;
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  // The webhook is answered by this server's listener before Express (see createApp). Slow or
  // stalled requests must not hold sockets forever: 408 after HTTP_REQUEST_TIMEOUT_MS; nor may
  // clients open connections without end (HTTP_MAX_CONNECTIONS), nor one client take them all
  // (HTTP_MAX_CONNECTIONS_PER_CLIENT).
  let lastDropLog = 0;
  let dropsNotLogged = 0;
  const server = createHttpServer(receiver.handler, {
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.limits.maxConnections,
    maxConnectionsPerClient: config.limits.maxConnectionsPerClient,
    isTrustedPeer: trustedPeer(config.trustProxy),
    keepAliveTimeoutMs: config.limits.keepAliveTimeoutMs,
    tls: pair,
    // At most one line a second: a connection flood must not become a flood of log lines.
    onDropped: (remoteAddress, limit) => {
      const now = Date.now();
      if (now - lastDropLog < 1000) {
        dropsNotLogged++;
        return;
      }
      if (limit === 'client') {
        logger.warn(
          { remoteAddress, maxConnectionsPerClient: config.limits.maxConnectionsPerClient, notLogged: dropsNotLogged },
          'connection closed: HTTP_MAX_CONNECTIONS_PER_CLIENT are open from this client',
        );
      } else {
        logger.warn(
          { remoteAddress, maxConnections: config.limits.maxConnections, notLogged: dropsNotLogged },
          'connection closed: HTTP_MAX_CONNECTIONS are open',
        );
      }
      lastDropLog = now;
      dropsNotLogged = 0;
    },
  });
  server.listen(config.port, config.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  // Certificate renewals: the files are watched and the new pair served without a restart.
  const certificates = config.tls && pair && server instanceof https.Server ? watchCertificates(server, config.tls, pair, logger) : undefined;
  const onHangup = () => certificates?.reload();
  if (certificates) process.on('SIGHUP', onHangup);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${pair ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info(
    {
      url,
      webhookPath: config.webhookPath,
      database: receiver.db.provider,
      dispatcher: receiver.dispatcher ? receiver.dispatcher.plugins : false,
      trustProxy: config.trustProxy,
      webhook: options.webhook !== false,
      stream: Boolean(receiver.stream),
    },
    'listening',
  );
  const stop = () =>
    receiver.stop(async () => {
      certificates?.close();
      process.off('SIGHUP', onHangup);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests already past the closing check finish (and commit) before the inbox closes.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
      server.closeAllConnections();
    });
  return {
    server,
    url,
    get dispatcher() {
      return receiver.dispatcher;
    },
    receiver,
    stop,
  };
}

/**
 * Runs `start` until SIGTERM/SIGINT, then stops cleanly and exits 0 (1 if stopping failed), output
 * flushed. `check` runs once the signals are handled (a startup check that waits, such as the
 * stream's first answer from X): a signal meanwhile stops cleanly too; a throw is the command's error.
 */
export async function runUntilSignal<T extends { stop(): Promise<void> }>(start: () => Promise<T>, check?: (running: T) => Promise<void>): Promise<void> {
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
  await check?.(running);
}

/**
 * A stream consumer that stopped on an unexpected error makes no more connections: the process
 * stops cleanly and exits 1 rather than running on without its stream (a supervisor restarts it).
 */
function exitOnStreamFailure(running: Awaited<ReturnType<typeof serve>>): void {
  void running.receiver.stream?.failed().then(() => {
    process.stderr.write("xaa: the stream consumer stopped on an unexpected error (logged above); stopping\n");
    running.stop().then(
      () => exitAfterFlush(1),
      () => exitAfterFlush(1),
    );
  });
}

export async function serveCommand(options: StartOptions = {}): Promise<void> {
  await runUntilSignal(async () => {
    const running = await serve(readEnvironment(), options);
    exitOnStreamFailure(running);
    return running;
  });
}

/**
 * `xaa stream`: the XAA persistent stream into the inbox, and the dispatcher, with no webhook
 * (no public URL, no X_CONSUMER_SECRET needed). The HTTP server still answers /healthz, /readyz
 * and /metrics on PORT. X refusing the bearer token on the first connection stops it (exit 1).
 */
export async function streamCommand(options: StartOptions = {}): Promise<void> {
  await runUntilSignal(
    async () => {
      const running = await serve(readEnvironment(), { ...options, stream: true, webhook: false });
      exitOnStreamFailure(running);
      return running;
    },
    // X may send the stream's headers only with its first keep-alive (~20 s): a SIGTERM while
    // waiting for them stops cleanly (handlers working through the backlog finish or are released).
    async (running) => {
      const first = await running.receiver.stream!.firstAnswer();
      if (first.reason === 'unauthorized') {
        await running.stop();
        throw new Error(
          `X refused the stream's bearer token (HTTP ${first.status}${first.detail ? `: ${first.detail}` : ''}): check X_BEARER_TOKEN, the app-only bearer token of the app whose XAA subscriptions to receive`,
        );
      }
    },
  );
}
