import express, { type Router } from 'express';
import { secretValues, type Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { clientFromConfig, Management } from '../management/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Database } from '../store/index.js';
import { assetRoutes } from './assets/index.js';
import { authRoutes, requireSameSite, requireSession } from './auth.js';
import type { ConsoleDeps } from './context.js';
import { formBody } from './form-body.js';
import { createLiveTail } from './live-tail.js';
import { createMetricsHistory } from './metrics-history.js';
import { chartsPage } from './pages/charts.js';
import { deadLettersPage, redrive } from './pages/dead-letters.js';
import { eventPage, redispatch, tailPage, tailStream } from './pages/events.js';
import { addAaa, addXaa, removeAaa, removeXaa, subscriptionsPage } from './pages/subscriptions.js';
import { replaysPage, requestReplay } from './pages/replays.js';
import { webhooksPage } from './pages/webhooks.js';
import { redactSecrets } from './redact.js';
import { consoleHeaders } from './security-headers.js';
import { createSessionStore } from './session.js';

export interface OperatorConsole {
  /** Mounted at /console by the app (its own router: the webhook is answered before Express). */
  router: Router;
  close(): void;
}

/**
 * The operator console: pages over the store, the management service and the metrics, behind a
 * login with ADMIN_TOKEN. Only created when ADMIN_TOKEN is set.
 */
export function createConsole({ config, db, logger, metrics }: { config: Config; db: Database; logger: Logger; metrics: Metrics }): OperatorConsole {
  if (!config.adminToken) throw new Error('the operator console needs ADMIN_TOKEN');
  const tail = createLiveTail(db);
  const history = createMetricsHistory(metrics);
  const deps: ConsoleDeps = {
    config,
    db,
    logger,
    metrics,
    sessions: createSessionStore(config.console.sessionMs),
    tail,
    history,
    management: () => new Management(clientFromConfig(config), db),
  };
  const router = express.Router();
  router.use(consoleHeaders());
  router.use(redactSecrets(secretValues(config)));
  router.use(formBody({ limitBytes: 16 * 1024, parameterLimit: 200 }));
  router.use(assetRoutes());
  router.use(authRoutes(deps));
  router.use(requireSession(deps), requireSameSite);
  router.get('/', (_req, res) => res.redirect(303, '/console/events'));
  router.get('/events', tailPage(deps));
  router.get('/events/stream', tailStream(deps));
  router.get('/events/:id', eventPage(deps));
  router.post('/events/:id/redispatch', redispatch(deps));
  router.get('/dead-letters', deadLettersPage(deps));
  router.post('/dead-letters/redrive', redrive(deps));
  router.get('/webhooks', webhooksPage(deps));
  router.get('/subscriptions', subscriptionsPage(deps));
  router.post('/subscriptions/aaa', addAaa(deps));
  router.post('/subscriptions/aaa/remove', removeAaa(deps));
  router.post('/subscriptions/xaa', addXaa(deps));
  router.post('/subscriptions/xaa/remove', removeXaa(deps));
  router.get('/replays', replaysPage(deps));
  router.post('/replays', requestReplay(deps));
  router.get('/charts', chartsPage(deps));
  return {
    router,
    close() {
      tail.close();
      history.close();
    },
  };
}
