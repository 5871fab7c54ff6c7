import { Router } from 'express';
import { migrationState, type Database } from '../store/index.js';
import { hasAdminToken } from './admin-token.js';

/**
 * GET /healthz: the process is up. GET /readyz: the database answers and every migration is
 * applied. The details (database kind, migration names) only with `Authorization: Bearer
 * $ADMIN_TOKEN`: anyone else gets the status alone.
 */
export function healthRoutes(db: Database, adminToken?: string): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const details = hasAdminToken(req, adminToken);
    try {
      await db.ping();
      const state = await migrationState(db);
      const ready = state.pending.length === 0 && state.failed.length === 0;
      const status = ready ? 'ready' : 'not ready';
      res.status(ready ? 200 : 503).json(
        details
          ? {
              status,
              database: { provider: db.provider, reachable: true },
              migrations: { applied: state.applied.length, pending: state.pending, failed: state.failed },
            }
          : { status },
      );
    } catch {
      res.status(503).json(details ? { status: 'not ready', database: { provider: db.provider, reachable: false } } : { status: 'not ready' });
    }
  });
  return router;
}
