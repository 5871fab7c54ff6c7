import http from 'node:http';
import https from 'node:https';

export interface HttpServerOptions {
  /** Longest time a client may take to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Open connections at most (HTTP_MAX_CONNECTIONS): Node closes the ones past it as they arrive. */
  maxConnections: number;
  /** How long an idle kept-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /** Told about each connection closed because maxConnections were open (for a log line; must not throw). */
  onDropped?: (remoteAddress: string | undefined) => void;
  /** PEM certificate chain and key: serve HTTPS (TLS_CERT_FILE, TLS_KEY_FILE). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

/** Headers must arrive within this (or the request timeout, when shorter). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * The HTTP (or, given a certificate, HTTPS) server for the receiver's request listener
 * (`createApp(...).handler`: the webhook, then Express), with the limits that keep clients from
 * holding sockets and memory:
 * - the timeouts: Node answers 408 and closes the connection when the headers or the body take
 *   too long. Node checks them every `connectionsCheckingInterval` (30 s by default, which would
 *   let a stalled request live up to twice the timeout): here a quarter of the timeout, 100 ms to 5 s;
 * - `maxConnections`: past it, new connections are closed at once (no answer);
 * - `keepAliveTimeout`: idle kept-alive connections are closed after it.
 * Header size stays at Node's 16 KiB (431 above). Body bytes are bounded by the webhook route's budget.
 * An HTTPS server's certificate can be replaced while it runs (`setSecureContext`, see
 * certificates.ts).
 */
export function createHttpServer(listener: http.RequestListener, options: HttpServerOptions): http.Server | https.Server {
  const { requestTimeoutMs, tls } = options;
  const serverOptions: http.ServerOptions = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(requestTimeoutMs / 4))),
    keepAliveTimeout: options.keepAliveTimeoutMs,
  };
  const server = tls
    ? // A TLS handshake must not hold a socket longer than a request may.
      https.createServer(
        { ...serverOptions, cert: tls.cert, key: tls.key, handshakeTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs) },
        listener,
      )
    : http.createServer(serverOptions, listener);
  server.maxConnections = options.maxConnections;
  const { onDropped } = options;
  if (onDropped) server.on('drop', (data?: { remoteAddress?: string }) => onDropped(data?.remoteAddress));
  return server;
}
