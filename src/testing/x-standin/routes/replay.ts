import { startReplay } from '../replay.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';

/** Replay: the webhook replay (POST /2/webhooks/replay) and the AAA replay. */
export function replayRoutes(x: XStandIn): Route[] {
  return [
    route('POST', '/2/webhooks/replay', 'app', ({ body }) => startReplay(x, 'webhook', String(body.webhook_id ?? ''), body.from_date, body.to_date)),
    route('POST', '/2/account_activity/replay/webhooks/:id/subscriptions/all', 'app', ({ params, url }) =>
      startReplay(x, 'aaa', params[0]!, url.searchParams.get('from_date'), url.searchParams.get('to_date')),
    ),
  ];
}
