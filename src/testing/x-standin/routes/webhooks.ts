import { INVALID } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';
import { publicWebhook } from '../webhooks.js';

/** The V2 Webhooks API: list, create (CRC first), validate (PUT: CRC now), delete. */
export function webhookRoutes(x: XStandIn): Route[] {
  return [
    route('GET', '/2/webhooks', 'app', () => [200, { data: [...x.webhooks.values()].map(publicWebhook), meta: { result_count: x.webhooks.size } }]),
    route('POST', '/2/webhooks', 'app', async ({ body }) => [200, { data: publicWebhook(await x.createWebhook(body.url)) }]),
    // X's spec: 200 {data: {valid}} (ValidateWebhooksResponse), `errors` beside it. `valid` is the
    // webhook's state after this CRC, as in GET /2/webhooks; a CRC that did not pass is explained
    // in `errors` (a transient failure leaves a valid webhook valid for 28 hours: validation.ts).
    route('PUT', '/2/webhooks/:id', 'app', async ({ params }) => {
      const w = (await x.recheck(x.webhook(params[0]!).id))!;
      const out: { data: { valid: boolean }; errors?: unknown[] } = { data: { valid: w.valid } };
      if (!w.lastCrc?.ok) {
        const message = `CrcValidationFailed: Response token is invalid or the webhook URL did not answer the CRC (${w.lastCrc?.reason ?? 'unknown'})`;
        out.errors = [{ title: 'CRC validation failed', detail: message, message, type: INVALID.type }];
      }
      return [200, out];
    }),
    route('DELETE', '/2/webhooks/:id', 'app', ({ params }) => {
      const w = x.webhook(params[0]!);
      x.webhooks.delete(w.id);
      x.subscriptions.delete(w.id);
      x.streamLinks.delete(w.id);
      for (const [id, s] of x.activitySubs) if (s.webhook_id === w.id) x.activitySubs.delete(id);
      return [200, { data: { deleted: true } }];
    }),
  ];
}
