import { Command, Option } from 'commander';
import { XAA_EVENT_TYPES } from '../events/xaa-catalog.generated.js';
import { eventTypeFacts, parseEventType, subscriptionCredential, type ActivitySubscription } from '../management/index.js';
import { jsonAction, table } from './context.js';

function rows(list: ActivitySubscription[]) {
  return list.map((s) => ({ ...s, user_id: s.filter.user_id, keyword: s.filter.keyword, direction: s.filter.direction }));
}

const COLUMNS = ['id', 'event_type', 'user_id', 'keyword', 'direction', 'tag', 'webhook_id', 'updated_at'];

export function activityCommand(): Command {
  const cmd = new Command('activity').description(
    'X Activity API (XAA) subscriptions per event type: the app bearer token (X_BEARER_TOKEN); private event types with the user\'s OAuth 2.0 token (X_OAUTH2_USER_TOKEN_<user id> or X_OAUTH2_USER_TOKEN)',
  );

  jsonAction(cmd.command('list').description('list the activity subscriptions (and mirror them)'), async (ctx) => {
    const list = await (await ctx.management()).listActivity();
    ctx.print(list, () => table(rows(list), COLUMNS, 'no activity subscriptions'));
  });

  jsonAction(cmd.command('types').description('the event types X documents, their filters and the credential each needs'), async (ctx) => {
    const types = XAA_EVENT_TYPES.map((t) => {
      const f = eventTypeFacts(t);
      const c = subscriptionCredential(t);
      return {
        event_type: t,
        family: f.family,
        filters: f.filters.join(', '),
        access: f.access,
        credential: c.kind === 'user' ? `user's OAuth 2.0 token (${c.scope})` : 'app bearer token',
        alias_of: f.aliasOf,
      };
    });
    ctx.print(types, () => table(types, ['event_type', 'family', 'filters', 'access', 'credential', 'alias_of']));
  });

  jsonAction(
    cmd
      .command('create')
      .requiredOption('--event-type <type>', 'an event type X documents, e.g. post.create, follow.follow, like.create (`xaa activity types` lists them)')
      .option('--user-id <id>', 'filter.user_id: the user whose activity to receive (every type but news.new)')
      .option('--keyword <keyword>', 'filter.keyword (news.new)')
      .addOption(new Option('--direction <direction>', 'filter.direction (like.create): inbound or outbound; both when unset').choices(['inbound', 'outbound']))
      .option('--tag <tag>', 'a label X sends back with each event (1-200 characters)')
      .option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)')
      .option('--stream-only', 'no webhook: the events go to the persistent stream (GET /2/activity/stream) only')
      .description('subscribe to an event type (private types use the user\'s OAuth 2.0 token: X_OAUTH2_USER_TOKEN_<user id>, else X_OAUTH2_USER_TOKEN)'),
    async (ctx, o: { eventType: string; userId?: string; keyword?: string; direction?: string; tag?: string; webhook?: string; streamOnly?: boolean }) => {
      // Checked before any call to X: an unknown type fails naming the close matches.
      const eventType = parseEventType(o.eventType);
      if (o.streamOnly && o.webhook) throw new Error('pass either --webhook or --stream-only, not both');
      const m = await ctx.management();
      const webhookId = o.streamOnly ? undefined : await ctx.webhookId(o.webhook);
      const filter = Object.fromEntries(Object.entries({ user_id: o.userId, keyword: o.keyword, direction: o.direction }).filter(([, v]) => v !== undefined));
      const s = await m.createActivity({ event_type: eventType, filter, ...(webhookId ? { webhook_id: webhookId } : {}), ...(o.tag !== undefined ? { tag: o.tag } : {}) });
      const what = o.userId ? `for ${o.userId}` : o.keyword ? `for "${o.keyword}"` : '';
      ctx.print(s, () => `created activity subscription ${s.id}: ${s.event_type} ${what} -> ${webhookId ? `webhook ${webhookId}` : 'the persistent stream'}`);
    },
  );

  jsonAction(
    cmd
      .command('update')
      .argument('<id>', 'the subscription id')
      .option('--tag <tag>', 'new tag')
      .option('--webhook <id>', 'new webhook id')
      .option('--user-id <id>', 'not supported by X (it changes only tag and webhook): delete the subscription and create another')
      .description('change the tag or webhook of a subscription (X changes nothing else)'),
    async (ctx, id: string, o: { tag?: string; webhook?: string; userId?: string }) => {
      if (o.userId !== undefined) {
        throw new Error(
          `X cannot change a subscription's filter (PUT /2/activity/subscriptions/:id takes tag and webhook_id only): delete ${id} and create a new subscription with --user-id ${o.userId}`,
        );
      }
      const change = { ...(o.tag !== undefined ? { tag: o.tag } : {}), ...(o.webhook ? { webhook_id: o.webhook } : {}) };
      if (Object.keys(change).length === 0) throw new Error('nothing to change: pass --tag or --webhook');
      const s = await (await ctx.management()).updateActivity(id, change);
      ctx.print(s, () => `updated activity subscription ${s.id}`);
    },
  );

  jsonAction(
    cmd
      .command('delete')
      .argument('<ids...>', 'one or more subscription ids')
      .description('delete activity subscriptions (several: DELETE /2/activity/subscriptions?ids=..., 100 per call)'),
    async (ctx, ids: string[]) => {
      const bad = ids.filter((i) => !/^\d{1,19}$/.test(i));
      if (bad.length) throw new Error(`not a subscription id: ${bad.join(', ')} (ids are numbers, see \`xaa activity list\`)`);
      const m = await ctx.management();
      if (ids.length === 1) {
        await m.deleteActivity(ids[0]!);
        ctx.print({ id: ids[0], deleted: true }, () => `deleted activity subscription ${ids[0]}`);
        return 0;
      }
      const r = await m.deleteActivities([...new Set(ids)]);
      ctx.print(r, () =>
        [
          `deleted ${r.deleted.length} activity subscription(s)${r.deleted.length ? `: ${r.deleted.join(', ')}` : ''}`,
          ...r.failed.map((f) => `not deleted: ${f.id}: ${[f.reason, f.message].filter(Boolean).join(': ')}`),
        ].join('\n'),
      );
      return r.failed.length ? 1 : 0;
    },
  );
  return cmd;
}
