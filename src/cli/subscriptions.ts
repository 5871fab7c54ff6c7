import { Command } from 'commander';
import { jsonAction, table } from './context.js';

const WEBHOOK = ['--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)'] as const;

export function subscriptionsCommand(): Command {
  const cmd = new Command('subscriptions').description('Account Activity API (AAA) user subscriptions');

  jsonAction(
    cmd
      .command('add')
      .option(...WEBHOOK)
      .description('subscribe the user of the user context (X_ACCESS_TOKEN + X_ACCESS_TOKEN_SECRET, or X_OAUTH2_USER_TOKEN); succeeds when already subscribed'),
    async (ctx, opts: { webhook?: string }) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(opts.webhook);
      const r = await m.subscribe(webhookId);
      const user = r.userId ?? 'the user of the user context';
      ctx.print({ webhookId, ...r }, () =>
        r.alreadySubscribed ? `${user} was already subscribed to webhook ${webhookId}: nothing to do` : `subscribed ${user} to webhook ${webhookId}`,
      );
    },
  );

  jsonAction(
    cmd.command('check').option(...WEBHOOK).description('whether the user of the user context is subscribed'),
    async (ctx, opts: { webhook?: string }) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(opts.webhook);
      const r = await m.client.checkSubscription(webhookId);
      ctx.print({ webhookId, ...r }, () => `${r.subscribed ? 'subscribed' : 'not subscribed'} to webhook ${webhookId}`);
      return r.subscribed ? 0 : 1;
    },
  );

  jsonAction(
    cmd.command('list').option(...WEBHOOK).description('the users subscribed to a webhook (and mirror them)'),
    async (ctx, opts: { webhook?: string }) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(opts.webhook);
      const users = await m.listSubscriptions(webhookId);
      ctx.print({ webhookId, userIds: users }, () => table(users.map((u) => ({ user_id: u })), ['user_id'], `no users subscribed to webhook ${webhookId}`));
    },
  );

  jsonAction(
    cmd.command('remove').argument('<userId>', 'the user to unsubscribe').option(...WEBHOOK).description('unsubscribe a user'),
    async (ctx, userId: string, opts: { webhook?: string }) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(opts.webhook);
      await m.unsubscribe(webhookId, userId);
      ctx.print({ webhookId, userId, subscribed: false }, () => `unsubscribed ${userId} from webhook ${webhookId}`);
    },
  );

  jsonAction(cmd.command('count').description('subscriptions used and provisioned for the app'), async (ctx) => {
    const c = await ctx.client().countSubscriptions();
    ctx.print(c, () => table([c as Record<string, unknown>], ['account_name', 'subscriptions_count_all', 'subscriptions_count_direct_messages', 'provisioned_count']));
  });
  return cmd;
}
