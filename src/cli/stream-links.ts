import { Command } from 'commander';
import { checkWebhookId, type StreamLinkFields } from '../management/index.js';
import { jsonAction, table } from './context.js';

const WEBHOOK_ARG = ['[webhook-id]', 'webhook id (default X_WEBHOOK_ID, or the only webhook)'] as const;

/** `xaa stream-links`: which webhooks get the Posts matching the app's filtered-stream rules. */
export function streamLinksCommand(): Command {
  const cmd = new Command('stream-links').description(
    'filtered-stream webhook links (Enterprise at X; app bearer token: X_BEARER_TOKEN): Posts matching the app\'s filtered-stream rules (`xaa stream-rules`) are delivered to a linked webhook, as post.match events',
  );

  jsonAction(cmd.command('list').description('the webhooks linked to the app\'s filtered stream (GET /2/tweets/search/webhooks)'), async (ctx) => {
    const links = await ctx.client().listStreamLinks();
    ctx.print(links, () => table(links.map((l) => ({ ...l, fields: l.fields.join(' ') })), ['webhook_id', 'fields', 'instance_id', 'application_id', 'created_at'], 'no webhook is linked to the filtered stream'));
  });

  jsonAction(
    cmd
      .command('add')
      .argument(...WEBHOOK_ARG)
      .option('--expansions <list>', 'expansions the deliveries carry, e.g. author_id (the author\'s username then fills event.data.authorUsername)')
      .option('--tweet-fields <list>', 'tweet.fields, e.g. created_at,entities,conversation_id')
      .option('--user-fields <list>', 'user.fields, e.g. username,name')
      .option('--media-fields <list>', 'media.fields')
      .option('--poll-fields <list>', 'poll.fields')
      .option('--place-fields <list>', 'place.fields')
      .description('link the filtered stream to a webhook (POST /2/tweets/search/webhooks/:webhook_id): matching Posts are delivered to it'),
    async (ctx, id: string | undefined, o: { expansions?: string; tweetFields?: string; userFields?: string; mediaFields?: string; pollFields?: string; placeFields?: string }) => {
      if (id !== undefined) checkWebhookId(id);
      const webhookId = await ctx.webhookId(id);
      const fields: StreamLinkFields = {};
      const given: Array<[keyof StreamLinkFields, string | undefined]> = [
        ['expansions', o.expansions],
        ['tweet.fields', o.tweetFields],
        ['user.fields', o.userFields],
        ['media.fields', o.mediaFields],
        ['poll.fields', o.pollFields],
        ['place.fields', o.placeFields],
      ];
      for (const [k, v] of given) if (v !== undefined) fields[k] = v;
      const r = await ctx.client().linkStream(webhookId, fields);
      ctx.print({ webhook_id: webhookId, ...r, fields }, () =>
        r.provisioned
          ? `linked the filtered stream to webhook ${webhookId}: Posts matching the app's rules are delivered to it (post.match events)`
          : `webhook ${webhookId}: X answered without provisioned: true; check it with \`xaa stream-links list\``,
      );
      return r.provisioned ? 0 : 1;
    },
  );

  jsonAction(
    cmd
      .command('remove')
      .argument(...WEBHOOK_ARG)
      .description('unlink the filtered stream from a webhook (DELETE /2/tweets/search/webhooks/:webhook_id): it gets no more matching Posts'),
    async (ctx, id: string | undefined) => {
      if (id !== undefined) checkWebhookId(id);
      const webhookId = await ctx.webhookId(id);
      const r = await ctx.client().unlinkStream(webhookId);
      ctx.print({ webhook_id: webhookId, ...r }, () =>
        r.deleted ? `unlinked the filtered stream from webhook ${webhookId}` : `webhook ${webhookId}: X answered without deleted: true; check it with \`xaa stream-links list\``,
      );
      return r.deleted ? 0 : 1;
    },
  );
  return cmd;
}
