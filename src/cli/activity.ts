import { Command } from 'commander';
import type { ActivitySubscription } from '../management/index.js';
import { jsonAction, table } from './context.js';

function rows(list: ActivitySubscription[]) {
  return list.map((s) => ({ ...s, user_id: s.filter.user_id }));
}

const COLUMNS = ['id', 'event_type', 'user_id', 'tag', 'webhook_id', 'updated_at'];

export function activityCommand(): Command {
  const cmd = new Command('activity').description('X Activity API (XAA) subscriptions per event type (app bearer token: X_BEARER_TOKEN)');

  jsonAction(cmd.command('list').description('list the activity subscriptions (and mirror them)'), async (ctx) => {
    const list = await (await ctx.management()).listActivity();
    ctx.print(list, () => table(rows(list), COLUMNS, 'no activity subscriptions'));
  });

  jsonAction(
    cmd
      .command('create')
      .requiredOption('--event-type <type>', 'XAA event type, e.g. post.create, follow.follow, profile.update.bio')
      .requiredOption('--user-id <id>', 'the user whose activity to receive (filter.user_id)')
      .option('--tag <tag>', 'a label X sends back with each event')
      .option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)')
      .description('subscribe a webhook to an event type for a user'),
    async (ctx, o: { eventType: string; userId: string; tag?: string; webhook?: string }) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(o.webhook);
      const s = await m.createActivity({ event_type: o.eventType, filter: { user_id: o.userId }, webhook_id: webhookId, ...(o.tag ? { tag: o.tag } : {}) });
      ctx.print(s, () => `created activity subscription ${s.id}: ${s.event_type} for ${o.userId} -> webhook ${webhookId}`);
    },
  );

  jsonAction(
    cmd
      .command('update')
      .argument('<id>', 'the subscription id')
      .option('--tag <tag>', 'new tag')
      .option('--webhook <id>', 'new webhook id')
      .option('--user-id <id>', 'new filter.user_id')
      .description('change the tag, webhook or filter of a subscription'),
    async (ctx, id: string, o: { tag?: string; webhook?: string; userId?: string }) => {
      const change = { ...(o.tag ? { tag: o.tag } : {}), ...(o.webhook ? { webhook_id: o.webhook } : {}), ...(o.userId ? { filter: { user_id: o.userId } } : {}) };
      if (Object.keys(change).length === 0) throw new Error('nothing to change: pass --tag, --webhook or --user-id');
      const s = await (await ctx.management()).updateActivity(id, change);
      ctx.print(s, () => `updated activity subscription ${s.id}`);
    },
  );

  jsonAction(cmd.command('delete').argument('<id>', 'the subscription id').description('delete an activity subscription'), async (ctx, id: string) => {
    await (await ctx.management()).deleteActivity(id);
    ctx.print({ id, deleted: true }, () => `deleted activity subscription ${id}`);
  });
  return cmd;
}
