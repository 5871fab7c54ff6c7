import http from 'node:http';

export interface HttpServerOptions {
  /** Longest time a client may take to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
}

/** Headers must arrive within this (or the request timeout, when shorter). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * The HTTP server for the receiver's request listener (`createApp(...).handler`: the webhook, then
 * Express), with the timeouts that keep slow or stalled clients from holding sockets: Node
 * answers 408 and closes the connection when the headers or the body take too long.
 * Node checks those timeouts every `connectionsCheckingInterval` (30 s by default, which would let
 * a stalled request live up to twice the timeout): here a quarter of the timeout, 100 ms to 5 s.
 */
export function createHttpServer(listener: http.RequestListener, { requestTimeoutMs }: HttpServerOptions): http.Server {
  return http.createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(requestTimeoutMs / 4))),
    },
    listener,
  );
}
