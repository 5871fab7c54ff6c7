import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { clientKey } from './client-address.js';

export interface HttpServerOptions {
  /** Longest time a client may take to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Open connections at most (HTTP_MAX_CONNECTIONS): Node closes the ones past it as they arrive. */
  maxConnections: number;
  /**
   * Open connections at most from one client address, counted as the body budget counts clients
   * (an IPv6 address by its /64; HTTP_MAX_CONNECTIONS_PER_CLIENT): past it, that client's new
   * connections are closed at once. 0 or absent: no such limit.
   */
  maxConnectionsPerClient?: number;
  /** Peers exempt from maxConnectionsPerClient: proxies TRUST_PROXY trusts (they carry many clients). */
  isTrustedPeer?: (remoteAddress: string | undefined) => boolean;
  /** How long an idle kept-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /**
   * Told about each connection closed because maxConnections were open ('total'), or its client's
   * maxConnectionsPerClient ('client') (for a log line; must not throw).
   */
  onDropped?: (remoteAddress: string | undefined, limit: 'total' | 'client') => void;
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
 * - `maxConnectionsPerClient`: the same for one client address, so that one client (a slowloris
 *   holding connections with headers sent a byte at a time) cannot take every connection X's
 *   deliveries need;
 * - `keepAliveTimeout`: idle kept-alive connections are closed after it (0: none is kept alive);
 * Header size stays at Node's 16 KiB (431 above). Body bytes are bounded by the webhook route's budget.
 * An HTTPS server's certificate can be replaced while it runs (`setSecureContext`, see
 * certificates.ts).
 */
export function createHttpServer(listener: http.RequestListener, options: HttpServerOptions): http.Server | https.Server {
  const { requestTimeoutMs, tls } = options;
  // Node reads a keepAliveTimeout of 0 as "no timeout": idle connections would then stay open
  // for good. 0 here means none kept alive: every answer says `Connection: close`.
  if (options.keepAliveTimeoutMs === 0) listener = closingEach(listener);
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
  if (onDropped) server.on('drop', (data?: { remoteAddress?: string }) => onDropped(data?.remoteAddress, 'total'));
  const perClient = options.maxConnectionsPerClient ?? 0;
  if (perClient > 0) limitPerClient(server, perClient, options.isTrustedPeer ?? (() => false), onDropped);
  return server;
}

/** The listener, with each response ending its connection once sent. */
function closingEach(listener: http.RequestListener): http.RequestListener {
  return (req, res) => {
    res.setHeader('connection', 'close');
    listener(req, res);
  };
}

/**
 * Counts open connections per client key (TCP peer; 'connection' comes before a TLS handshake)
 * and closes, at once and unanswered, those past `perClient`. Trusted proxies are not counted.
 */
function limitPerClient(
  server: http.Server | https.Server,
  perClient: number,
  isTrustedPeer: (remoteAddress: string | undefined) => boolean,
  onDropped: HttpServerOptions['onDropped'],
): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (isTrustedPeer(address)) return;
    const key = clientKey(address);
    const count = open.get(key) ?? 0;
    if (count >= perClient) {
      socket.destroy();
      onDropped?.(address, 'client');
      return;
    }
    open.set(key, count + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}
