import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Metrics } from '../metrics/index.js';
import { errorBody } from './errors.js';

function bearer(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics: Prometheus text, only with `Authorization: Bearer $ADMIN_TOKEN`. Without an
 * ADMIN_TOKEN configured the route does not exist: the webhook is the only public surface.
 */
export function metricsRoute(metrics: Metrics, adminToken: string | undefined): Router {
  const router = Router();
  if (!adminToken) return router;
  router.get('/metrics', async (req, res) => {
    const token = bearer(req);
    if (!token || !sameToken(token, adminToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).json(errorBody('unauthorized', 'Send Authorization: Bearer <ADMIN_TOKEN>.'));
      return;
    }
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
