import express, { type RequestHandler } from 'express';

const FORM = 'application/x-www-form-urlencoded';

/** What body-parser raises for a body past its limit (the error handler answers 413 with its type). */
function tooLarge(): Error {
  return Object.assign(new Error('request entity too large'), { status: 413, statusCode: 413, expose: true, type: 'entity.too.large' });
}

/**
 * The console's form bodies (express.urlencoded) without reading an oversized one to its end.
 * body-parser, refusing a body past its limit, reads and discards the rest of it before answering
 * (to keep the connection alive): an endless chunked form, or a huge Content-Length, on any
 * console path (bodies are parsed before the login check) had the server read junk at wire speed
 * until HTTP_REQUEST_TIMEOUT_MS, then answer 408. Here a declared length past the limit is refused
 * at once, and a body is refused as soon as more than the limit has arrived: 413, answered while
 * the body is unread, so closeUnreadBody (http/unread-body.ts) closes the connection.
 */
export function formBody(options: { limitBytes: number; parameterLimit: number }): RequestHandler {
  const { limitBytes } = options;
  const parse = express.urlencoded({ extended: false, limit: limitBytes, parameterLimit: options.parameterLimit });
  return (req, res, next) => {
    // Not a form (or no body): body-parser passes it by, reading nothing.
    if (!req.is(FORM)) return parse(req, res, next);
    if (Number(req.headers['content-length']) > limitBytes) return next(tooLarge());
    let received = 0;
    let settled = false;
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      next(error);
    };
    // The bytes as they arrive (body-parser reads the same ones): past the limit, answered now.
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) done(tooLarge());
    };
    parse(req, res, done);
    if (!settled) req.on('data', count);
  };
}
