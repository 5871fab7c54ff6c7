import { Router } from 'express';
import { migrationState, type Database, type InboxHealthState } from '../store/index.js';
import { hasAdminToken } from './admin-token.js';

/**
 * GET /healthz: the process is up. GET /readyz: the database answers, every migration is
 * applied and deliveries are being committed (not while the disk or database is full). The
 * details (database kind, migration names, why the store refuses writes) only with
 * `Authorization: Bearer $ADMIN_TOKEN`: anyone else gets the status alone.
 */
export function healthRoutes(db: Database, adminToken?: string, storeHealth?: () => InboxHealthState): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const details = hasAdminToken(req, adminToken);
    try {
      await db.ping();
      const state = await migrationState(db);
      const store = storeHealth?.() ?? { writable: true, reason: null, since: null };
      const ready = state.pending.length === 0 && state.failed.length === 0 && store.writable;
      const status = ready ? 'ready' : 'not ready';
      res.status(ready ? 200 : 503).json(
        details
          ? {
              status,
              database: { provider: db.provider, reachable: true },
              migrations: { applied: state.applied.length, pending: state.pending, failed: state.failed },
              store: store.writable ? { writable: true } : { writable: false, reason: store.reason, since: store.since?.toISOString() },
            }
          : { status },
      );
    } catch {
      res.status(503).json(details ? { status: 'not ready', database: { provider: db.provider, reachable: false } } : { status: 'not ready' });
    }
  });
  return router;
}
