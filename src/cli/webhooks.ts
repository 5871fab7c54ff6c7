import { Command } from 'commander';
import { jsonAction, table } from './context.js';

export function webhooksCommand(): Command {
  const cmd = new Command('webhooks').description('the webhooks registered at X (app bearer token: X_BEARER_TOKEN)');

  jsonAction(cmd.command('list').description('list the webhooks at X (and mirror them in the database)'), async (ctx) => {
    const m = await ctx.management();
    const list = await m.listWebhooks();
    ctx.print(list, () => table(list as unknown as Array<Record<string, unknown>>, ['id', 'url', 'valid', 'created_at'], 'no webhooks at X'));
  });

  jsonAction(
    cmd
      .command('create')
      .argument('<url>', 'the public https URL of the receiver, e.g. https://your.host/webhook')
      .description('register a webhook: X runs a CRC against it first'),
    async (ctx, url: string) => {
      ctx.progress(`registering ${url}: X runs a CRC against it ...`);
      const m = await ctx.management();
      const w = await m.createWebhook(url);
      ctx.print(w, () => `created webhook ${w.id} (${w.url}), valid: ${w.valid}\nset X_WEBHOOK_ID=${w.id}`);
    },
  );

  jsonAction(
    cmd
      .command('validate')
      .argument('[id]', 'webhook id (default X_WEBHOOK_ID, or the only webhook)')
      .description('make X run a CRC now (PUT /2/webhooks/:id); re-enables an invalid webhook when it passes'),
    async (ctx, id: string | undefined) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(id);
      ctx.progress(`asking X to run a CRC against webhook ${webhookId} ...`);
      const r = await m.validateWebhook(webhookId);
      const said = r.problems.length ? `: X said: ${r.problems.join('; ')}` : '';
      ctx.print({ id: webhookId, ...r }, () =>
        r.valid && !r.problems.length
          ? `webhook ${webhookId}: CRC passed, valid`
          : r.valid
            ? `webhook ${webhookId}: still valid, but the CRC did not pass${said}`
            : `webhook ${webhookId}: invalid, the CRC failed${said}; it receives nothing until it passes (check it with \`xaa crc <url>\` and \`xaa doctor\`)`,
      );
      return r.valid && !r.problems.length ? 0 : 1;
    },
  );

  jsonAction(
    cmd.command('delete').argument('[id]', 'webhook id (default X_WEBHOOK_ID, or the only webhook)').description('delete a webhook at X'),
    async (ctx, id: string | undefined) => {
      const m = await ctx.management();
      const webhookId = await ctx.webhookId(id);
      await m.deleteWebhook(webhookId);
      ctx.print({ id: webhookId, deleted: true }, () => `deleted webhook ${webhookId}`);
    },
  );
  return cmd;
}
