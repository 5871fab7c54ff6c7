import { Router } from 'express';
import { migrationState, type Database } from '../store/index.js';

/** GET /healthz: the process is up. GET /readyz: the database answers and every migration is applied. */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await db.ping();
      const state = await migrationState(db);
      const ready = state.pending.length === 0 && state.failed.length === 0;
      res.status(ready ? 200 : 503).json({
        status: ready ? 'ready' : 'not ready',
        database: { provider: db.provider, reachable: true },
        migrations: { applied: state.applied.length, pending: state.pending, failed: state.failed },
      });
    } catch {
      res.status(503).json({ status: 'not ready', database: { provider: db.provider, reachable: false } });
    }
  });
  return router;
}
