import type { Request, RequestHandler, Response } from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import type { Logger } from '../log/index.js';
import { errorBody } from './errors.js';

export interface RateLimitOptions {
  /** Requests per minute per client address. */
  perMinute: number;
  logger: Logger;
  /** The answer to a refused request (status 429 and Retry-After are set already); default: the JSON error body. */
  refuse?: (req: Request, res: Response) => void;
}

/**
 * A per-client-address limit (fixed one-minute window, in memory, per process) for the routes
 * other than the webhook: health, readiness, metrics and every unknown path. Strangers probing
 * the server get 429 with Retry-After; one warning is logged per client and window, not one per
 * refused request. The client address is Express's `req.ip`: the TCP peer, or what X-Forwarded-For
 * says when TRUST_PROXY trusts that peer; IPv6 clients are grouped by /56.
 */
export function rateLimit({ perMinute, logger, refuse }: RateLimitOptions): RequestHandler {
  return expressRateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      const info = (req as { rateLimit?: { used: number; limit: number } }).rateLimit;
      if (info && info.used === info.limit + 1) {
        logger.warn({ remoteAddr: req.ip, limit: info.limit }, 'rate limit reached: answering 429 until the window ends');
      }
      res.status(429);
      if (refuse) refuse(req, res);
      else res.json(errorBody('rate_limited', 'Too many requests; retry after the time in Retry-After.'));
    },
    // The library's own warnings (misconfiguration, an unreadable client address) as one line, no stack.
    logger: {
      warn: (problem: unknown, message?: string) => logger.warn({ problem: describe(problem) }, message ?? 'rate limiter warning'),
      error: (problem: unknown, message?: string) =>
        isValidation(problem)
          ? logger.warn({ problem: describe(problem) }, message ?? 'rate limiter check failed')
          : logger.error({ err: problem }, message ?? 'rate limiter error'),
    },
  });
}

function isValidation(problem: unknown): boolean {
  const code = (problem as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_ERL_');
}

function describe(problem: unknown): { code?: string; message: string } {
  if (problem instanceof Error) {
    const code = (problem as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: problem.message } : { message: problem.message };
  }
  return { message: String(problem) };
}
