import { Command, Option } from 'commander';
import { applyMigration, MIGRATE_TAG, planMigration, TIER_CAPS, type MigrationPlan, type Tier } from '../management/index.js';
import { listSubscriptionRecords, migrationActivity } from '../store/index.js';
import { jsonAction, table, type CliContext } from './context.js';
import { wholeNumber } from './whole-number.js';

interface CapOptions {
  tier?: Tier;
  maxSubscriptions?: string;
  webhook?: string;
}

function capOf(o: CapOptions): number | null {
  if (o.maxSubscriptions !== undefined) return Number(o.maxSubscriptions);
  return o.tier ? TIER_CAPS[o.tier] : null;
}

function capOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--tier <tier>', "your X API tier, for its activity subscription cap").choices(Object.keys(TIER_CAPS)))
    .option('--max-subscriptions <n>', "the app's activity subscription cap (overrides --tier)", wholeNumber(0))
    .option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)');
}

async function makePlan(ctx: CliContext, o: CapOptions): Promise<MigrationPlan> {
  const m = await ctx.management();
  const webhookId = await ctx.webhookId(o.webhook);
  const users = await m.listSubscriptions(webhookId);
  const existing = await m.listActivity();
  return planMigration({ webhookId, users, existing, credentials: ctx.client().credentials, cap: capOf(o) });
}

function capLine(p: MigrationPlan): string {
  if (p.cap === null) return `activity subscriptions at X: ${p.existingTotal} now, ${p.afterApply} after apply (cap not checked: pass --tier or --max-subscriptions)`;
  return `activity subscriptions at X: ${p.existingTotal} now, ${p.afterApply} after apply, cap ${p.cap}: ${p.withinCap ? 'within the cap' : `over the cap by ${p.afterApply - p.cap}`}`;
}

const PLAN_COLUMNS = ['userId', 'eventType', 'access', 'action', 'credential', 'subscriptionId'];

/**
 * `xaa migrate`: the move off AAA. plan (the default, a dry run): per AAA-subscribed user, the
 * XAA subscriptions that cover what AAA delivered; apply: creates them (idempotent); status:
 * per user, what arrived by each API since apply; finish <user>: removes the user's AAA
 * subscription, only once XAA deliveries arrived for that user.
 */
export function migrateCommand(): Command {
  const cmd = new Command('migrate').description('move from AAA to XAA: plan (default, dry run), apply, status, finish <user>');

  jsonAction(capOptions(cmd.command('plan', { isDefault: true }).description('dry run: the XAA subscriptions each AAA-subscribed user needs')), async (ctx, o: CapOptions) => {
    const p = await makePlan(ctx, o);
    const needToken = p.rows.filter((r) => r.action === 'needs-token');
    ctx.print(p, () =>
      [
        table(p.rows as unknown as Array<Record<string, unknown>>, PLAN_COLUMNS, 'no AAA-subscribed users: nothing to migrate'),
        '',
        `${p.users.length} AAA user(s); ${p.toCreate} subscription(s) to create, ${p.rows.filter((r) => r.action === 'exists').length} already at X.`,
        capLine(p),
        ...(needToken.length
          ? [`${needToken.length} private subscription(s) need the user's OAuth 2.0 authorization: set X_OAUTH2_USER_TOKEN_<user id> for ${[...new Set(needToken.map((r) => r.userId))].join(', ')}`]
          : []),
        'Run `xaa migrate apply` to create them.',
      ].join('\n'),
    );
    return p.withinCap === false ? 1 : 0;
  });

  jsonAction(capOptions(cmd.command('apply').description('create the planned XAA subscriptions (idempotent), tagged xaa-migrate')), async (ctx, o: CapOptions) => {
    const p = await makePlan(ctx, o);
    if (p.withinCap === false) throw new Error(`${capLine(p)}: nothing created; remove subscriptions or raise the cap (--max-subscriptions)`);
    if (p.cap === null) ctx.progress(`note: ${capLine(p)}`);
    const m = await ctx.management();
    const rows = await applyMigration((input) => m.createActivity(input), p);
    const count = (k: string) => rows.filter((r) => r.outcome === k).length;
    ctx.print(rows, () =>
      [
        table(rows.filter((r) => r.outcome !== 'exists') as unknown as Array<Record<string, unknown>>, [...PLAN_COLUMNS.filter((c) => c !== 'action'), 'outcome', 'error'], 'nothing to create: every subscription exists'),
        '',
        `created ${count('created')}, already there ${count('exists')}, waiting for a user token ${count('needs-token')}, failed ${count('failed')}.`,
        'Follow it with `xaa migrate status`; remove a user\'s AAA subscription with `xaa migrate finish <user id>` once XAA events arrive.',
      ].join('\n'),
    );
    return count('failed') || count('needs-token') ? 1 : 0;
  });

  jsonAction(cmd.command('status').option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)').description('per user: what arrived by AAA and by XAA since apply'), async (ctx, o: { webhook?: string }) => {
    const rows = await statusRows(ctx, o.webhook);
    ctx.print(rows, () => table(rows as unknown as Array<Record<string, unknown>>, ['userId', 'aaaSubscribed', 'xaaSubscriptions', 'since', 'aaaEvents', 'xaaEvents', 'duplicates', 'xaaDeliveries', 'next'], 'no users to migrate'));
  });

  jsonAction(
    cmd
      .command('finish')
      .argument('<user-id>', 'the user whose AAA subscription to remove')
      .option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)')
      .description("remove a user's AAA subscription: only once XAA deliveries arrived for that user since apply"),
    async (ctx, userId: string, o: { webhook?: string }) => {
      const rows = await statusRows(ctx, o.webhook);
      const row = rows.find((r) => r.userId === userId);
      if (!row || !row.aaaSubscribed) throw new Error(`user ${userId} has no AAA subscription on this webhook: nothing to remove`);
      if (!row.since) throw new Error(`user ${userId} has no XAA subscriptions made by \`xaa migrate apply\`: run it first`);
      if (row.xaaDeliveries === 0) {
        throw new Error(`no XAA delivery has arrived for user ${userId} since apply (${row.since}): the AAA subscription stays until one does (see \`xaa migrate status\`)`);
      }
      const m = await ctx.management(true);
      await m.unsubscribe(row.webhookId, userId);
      ctx.print({ userId, webhookId: row.webhookId, aaaRemoved: true }, () => `removed the AAA subscription of ${userId} from webhook ${row.webhookId}: XAA delivers for this user (${row.xaaDeliveries} deliveries since ${row.since})`);
    },
  );
  return cmd;
}

async function statusRows(ctx: CliContext, webhook: string | undefined) {
  const db = (await ctx.db(true))!;
  const m = await ctx.management(true);
  const webhookId = await ctx.webhookId(webhook);
  const aaaUsers = new Set(await m.listSubscriptions(webhookId));
  await m.listActivity();
  const xaa = (await listSubscriptionRecords(db.prisma, { kind: 'xaa', status: 'active' })).filter((s) => s.tag === MIGRATE_TAG && s.userId && s.webhookId === webhookId);
  const since = new Map<string, Date>();
  for (const s of xaa) if (!since.has(s.userId!) || s.createdAt < since.get(s.userId!)!) since.set(s.userId!, s.createdAt);
  const activity = new Map((await migrationActivity(db.prisma, since)).map((a) => [a.userId, a]));
  const users = [...new Set([...aaaUsers, ...since.keys()])];
  return users.map((userId) => {
    const a = activity.get(userId);
    const aaaSubscribed = aaaUsers.has(userId);
    const xaaDeliveries = a?.xaaDeliveries ?? 0;
    return {
      userId,
      webhookId,
      aaaSubscribed,
      xaaSubscriptions: xaa.filter((s) => s.userId === userId).length,
      since: since.get(userId)?.toISOString() ?? null,
      aaaEvents: a?.aaaEvents ?? 0,
      xaaEvents: a?.xaaEvents ?? 0,
      duplicates: a?.duplicates ?? 0,
      xaaDeliveries,
      next: !since.has(userId) ? 'xaa migrate apply' : !aaaSubscribed ? 'done' : xaaDeliveries > 0 ? `xaa migrate finish ${userId}` : 'wait for XAA events',
    };
  });
}
