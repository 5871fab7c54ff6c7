import { invalid } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';

/** AAA subscriptions: subscribe and check (user context), list, remove and count (app bearer). */
export function accountActivityRoutes(x: XStandIn): Route[] {
  const total = () => [...x.subscriptions.values()].reduce((n, s) => n + s.size, 0);
  return [
    route('POST', '/2/account_activity/webhooks/:id/subscriptions/all', 'user', ({ params, userId }) => {
      const w = x.webhook(params[0]!);
      const subs = x.subscriptions.get(w.id) ?? new Set<string>();
      if (subs.has(userId!)) throw invalid('DuplicateSubscriptionFailed', `User ${userId} is already subscribed to webhook ${w.id}`, 409);
      const n = total();
      if (n >= x.options.maxSubscriptions) throw invalid('SubscriptionLimitExceeded', `The app has ${n} of ${x.options.maxSubscriptions} subscriptions`, 403);
      subs.add(userId!);
      x.subscriptions.set(w.id, subs);
      return [200, { data: { subscribed: true } }];
    }),
    route('GET', '/2/account_activity/webhooks/:id/subscriptions/all', 'user', ({ params, userId }) => {
      const w = x.webhook(params[0]!);
      return [200, { data: { subscribed: x.subscriptions.get(w.id)?.has(userId!) ?? false } }];
    }),
    route('GET', '/2/account_activity/webhooks/:id/subscriptions/all/list', 'app', ({ params }) => {
      const w = x.webhook(params[0]!);
      const subs = [...(x.subscriptions.get(w.id) ?? [])].map((user_id) => ({ user_id }));
      return [200, { data: { application_id: '1234567', webhook_id: w.id, webhook_url: w.url, subscriptions: subs } }];
    }),
    route('DELETE', '/2/account_activity/webhooks/:id/subscriptions/:user_id/all', 'app', ({ params }) => {
      const w = x.webhook(params[0]!);
      const subs = x.subscriptions.get(w.id);
      if (!subs?.delete(params[1]!)) throw invalid('SubscriptionNotFound', `User ${params[1]} is not subscribed to webhook ${w.id}`, 404);
      return [200, { data: { subscribed: false } }];
    }),
    route('GET', '/2/account_activity/subscriptions/count', 'app', () => {
      const all = total();
      return [
        200,
        {
          data: {
            account_name: 'standin-account',
            provisioned_count: String(x.options.maxSubscriptions),
            subscriptions_count_all: String(all),
            subscriptions_count_direct_messages: String(all),
          },
        },
      ];
    }),
  ];
}
