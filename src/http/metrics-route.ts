import { Router } from 'express';
import type { Metrics } from '../metrics/index.js';
import { hasAdminToken } from './admin-token.js';
import { errorBody } from './errors.js';

/**
 * GET /metrics: Prometheus text, only with `Authorization: Bearer $ADMIN_TOKEN`. Without an
 * ADMIN_TOKEN configured the route does not exist: the webhook is the only public surface.
 */
export function metricsRoute(metrics: Metrics, adminToken: string | undefined): Router {
  const router = Router();
  if (!adminToken) return router;
  router.get('/metrics', async (req, res) => {
    if (!hasAdminToken(req, adminToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).json(errorBody('unauthorized', 'Send Authorization: Bearer <ADMIN_TOKEN>.'));
      return;
    }
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
