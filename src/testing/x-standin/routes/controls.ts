import type { SampleType } from '../../samples.js';
import { invalid } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';

/** The emulator's own controls (not X's): make an activity happen, inspect the state. */
export function controlRoutes(x: XStandIn): Route[] {
  return [
    route('POST', '/_standin/events', 'none', async ({ body }) => {
      const type = String(body.type ?? 'follow') as SampleType;
      const userId = String(body.user_id ?? x.users[0]?.id ?? '');
      if (!userId) throw invalid('QueryParamInvalid', 'user_id is required');
      const result = await x.emit(type, userId, { deliver: body.deliver !== false });
      return [200, { data: { activity: result.activity, deliveries: result.deliveries } }];
    }),
    // A public post made at X: delivered to the webhooks linked to the filtered stream when it matches the app's rules.
    route('POST', '/_standin/posts', 'none', async ({ body }) => {
      if (typeof body.text !== 'string' || body.text === '') throw invalid('QueryParamInvalid', 'text is required');
      const result = await x.emitPost({ text: body.text, ...(body.author_id !== undefined ? { authorId: String(body.author_id) } : {}), deliver: body.deliver !== false });
      return [200, { data: result }];
    }),
    route('GET', '/_standin/state', 'none', () => [
      200,
      {
        data: {
          webhooks: [...x.webhooks.values()],
          subscriptions: Object.fromEntries([...x.subscriptions].map(([k, v]) => [k, [...v]])),
          activity_subscriptions: [...x.activitySubs.values()],
          stream_links: [...x.streamLinks.values()],
          stream_rules: [...x.streamRules.values()],
          deliveries: x.deliveries,
          replay_jobs: x.replayJobs.map(({ done: _done, ...j }) => j),
        },
      },
    ]),
  ];
}
