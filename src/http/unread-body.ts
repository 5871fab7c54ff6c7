import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Whether the request announces a body (a Content-Length above 0, or a Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * An answer sent before its request's body was read (a 404, a 429, a GET route sent a body, a
 * form refused before it was parsed) closes the connection. Otherwise Node reads and discards the
 * rest of the body to keep the connection alive: a client could make the server read junk at
 * wire speed for up to HTTP_REQUEST_TIMEOUT_MS on every connection it holds. The webhook route
 * does the same for its refusals (webhook.ts).
 */
export const closeUnreadBody: RequestHandler = (req, res, next) => {
  if (!hasBody(req)) return next();
  const raw: ServerResponse = res;
  const writeHead = raw.writeHead;
  raw.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!req.complete && !this.headersSent) this.setHeader('connection', 'close');
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  next();
};
