import { snowflake } from '../../samples.js';
import { invalid } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';
import type { ActivitySub } from '../types.js';

/** XAA activity subscriptions: list, create, update, delete. */
export function activityRoutes(x: XStandIn): Route[] {
  return [
    route('GET', '/2/activity/subscriptions', 'app', () => [200, { data: [...x.activitySubs.values()], meta: { result_count: x.activitySubs.size } }]),
    route('POST', '/2/activity/subscriptions', 'app', ({ body }) => {
      const eventType = typeof body.event_type === 'string' ? body.event_type : '';
      if (!/^[a-z_]+(\.[a-z_]+)*$/.test(eventType)) throw invalid('QueryParamInvalid', 'event_type is required, such as post.create');
      const filter = body.filter && typeof body.filter === 'object' ? (body.filter as Record<string, unknown>) : null;
      if (!filter || typeof filter.user_id !== 'string') throw invalid('QueryParamInvalid', 'filter.user_id is required');
      const webhookId = body.webhook_id === undefined ? [...x.webhooks.keys()][0] : String(body.webhook_id);
      if (!webhookId) throw invalid('WebhookIdInvalid', 'no webhook: create one first or pass webhook_id');
      x.webhook(webhookId);
      for (const s of x.activitySubs.values()) {
        if (s.event_type === eventType && s.webhook_id === webhookId && JSON.stringify(s.filter) === JSON.stringify(filter)) {
          throw invalid('DuplicateSubscriptionFailed', `A subscription for ${eventType} with this filter exists (${s.subscription_id})`, 409);
        }
      }
      const now = new Date().toISOString();
      const sub: ActivitySub = { subscription_id: snowflake(), event_type: eventType, filter, webhook_id: webhookId, created_at: now, updated_at: now };
      if (typeof body.tag === 'string') sub.tag = body.tag;
      x.activitySubs.set(sub.subscription_id, sub);
      return [200, { data: { subscription: sub } }];
    }),
    route('PUT', '/2/activity/subscriptions/:id', 'app', ({ params, body }) => {
      const sub = x.activitySubs.get(params[0]!);
      if (!sub) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
      if (typeof body.tag === 'string') sub.tag = body.tag;
      if (body.webhook_id !== undefined) sub.webhook_id = x.webhook(String(body.webhook_id)).id;
      if (body.filter && typeof body.filter === 'object') sub.filter = body.filter as Record<string, unknown>;
      sub.updated_at = new Date().toISOString();
      return [200, { data: { subscription: sub } }];
    }),
    route('DELETE', '/2/activity/subscriptions/:id', 'app', ({ params }) => {
      if (!x.activitySubs.delete(params[0]!)) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
      return [200, { data: { deleted: true } }];
    }),
  ];
}
