import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/index.js';

/** A JSON error body: a short machine code and a sentence for humans. Never a stack trace. */
export function errorBody(error: string, message: string): { error: string; message: string } {
  return { error, message };
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody('not_found', 'No such route.'));
};

/** Last-resort handler: body-parser style errors keep their status; everything else is a 500. */
export const errorHandler = (logger: Logger): ErrorRequestHandler => (err, req, res, _next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
  // An error raised before the request logger ran (helmet, the rate limiter) has no req.log.
  if (status >= 500) (req.log ?? logger).error({ err }, 'request failed');
  if (res.headersSent) return;
  const code = status === 500 ? 'internal_error' : String(err?.type ?? 'bad_request').replace(/\./g, '_');
  res.status(status).json(errorBody(code, status === 500 ? 'Internal error.' : String(err?.expose ? err.message : 'Bad request.')));
};
