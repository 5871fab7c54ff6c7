import http from 'node:http';
import https from 'node:https';

export interface HttpServerOptions {
  /** Longest time a client may take to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** PEM certificate chain and key: serve HTTPS (TLS_CERT_FILE, TLS_KEY_FILE). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

/** Headers must arrive within this (or the request timeout, when shorter). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * The HTTP (or, given a certificate, HTTPS) server for the receiver's request listener
 * (`createApp(...).handler`: the webhook, then Express), with the timeouts that keep slow or
 * stalled clients from holding sockets: Node answers 408 and closes the connection when the
 * headers or the body take too long.
 * Node checks those timeouts every `connectionsCheckingInterval` (30 s by default, which would let
 * a stalled request live up to twice the timeout): here a quarter of the timeout, 100 ms to 5 s.
 * An HTTPS server's certificate can be replaced while it runs (`setSecureContext`, see
 * certificates.ts).
 */
export function createHttpServer(listener: http.RequestListener, { requestTimeoutMs, tls }: HttpServerOptions): http.Server | https.Server {
  const options: http.ServerOptions = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(requestTimeoutMs / 4))),
  };
  if (!tls) return http.createServer(options, listener);
  // A TLS handshake must not hold a socket longer than a request may.
  return https.createServer({ ...options, cert: tls.cert, key: tls.key, handshakeTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs) }, listener);
}
