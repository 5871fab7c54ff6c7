import { Command, InvalidArgumentError, Option } from 'commander';
import { parseWhen, toXDate } from '../management/index.js';
import { findReplayJob, listReplayJobs, type ReplayJobRecord } from '../store/index.js';
import { jsonAction, table, type CliContext } from './context.js';

/** Said on stderr whenever the AAA replay is used. */
export const AAA_REPLAY_DEPRECATED =
  'note: the AAA replay (POST /2/account_activity/replay/webhooks/:id/subscriptions/all) is deprecated by X since 2026-03-25 and no longer in its API spec; ' +
  'it works while X still answers it. Use --api xaa (POST /2/webhooks/replay: the last 24 hours, --from and --to both inclusive).';

const COLUMNS = ['id', 'kind', 'xJobId', 'webhookId', 'fromDate', 'toDate', 'status', 'requestedAt', 'completedAt', 'detail'];

/**
 * --wait ran out before X reported the job settled: say so on stderr (stdout keeps the job, for
 * --json), with what to check and what to run next.
 */
function reportTimeout(ctx: CliContext, job: ReplayJobRecord, timeout: string): void {
  ctx.progress(
    `xaa: timed out after ${timeout} waiting for replay job ${job.id}${job.xJobId ? ` (X job ${job.xJobId})` : ''}: its status is still "${job.status}". ` +
      "X reports the end with a replay_job_status delivery, which only a running receiver that X reaches can store: check it with `xaa doctor`, " +
      `then follow the job with \`xaa replay status ${job.id} --wait\`.`,
  );
}

/** Waits until X's replay_job_status delivery (stored by the receiver) settles the job, or the time is up (status still "requested"). */
async function waitFor(ctx: CliContext, job: ReplayJobRecord, timeoutMs: number): Promise<ReplayJobRecord> {
  const db = (await ctx.db(true))!;
  const m = await ctx.management(true);
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    await m.reconcileReplays();
    const now = (await findReplayJob(db.prisma, job.id))!;
    if (now.status !== 'requested') return now;
    if (Date.now() > deadline) return now;
    if (Date.now() - last > 5_000) {
      ctx.progress(`replay ${job.xJobId ?? job.id}: waiting for X's replay_job_status delivery ...`);
      last = Date.now();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;

function parseDuration(s: string): number {
  const m = DURATION.exec(s.trim());
  if (!m) throw new Error(`"${s}" is not a duration such as 90s or 5m`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

/** --timeout's argument parser: refused by commander, naming the option, before anything is opened. */
function durationArgument(value: string): string {
  if (!DURATION.test(value.trim())) throw new InvalidArgumentError('expected a duration such as 90s or 5m.');
  return value.trim();
}

export function replayCommand(): Command {
  const cmd = new Command('replay').description('replay past deliveries to the webhook, tracked in the database until X reports completion');

  jsonAction(
    cmd
      .command('run')
      .requiredOption('--from <when>', 'start: yyyymmddhhmm (UTC), ISO date-time, or an age such as 2h')
      .option('--to <when>', 'end: as --from (default now)', 'now')
      .addOption(
        new Option('--api <api>', 'xaa: POST /2/webhooks/replay (last 24 h, --from and --to both inclusive); aaa: the AAA replay (deprecated by X, gone from its API spec)').choices(['xaa', 'aaa']).default('xaa'),
      )
      .option('--webhook <id>', 'webhook id (default X_WEBHOOK_ID, or the only webhook)')
      .option('--wait', 'wait until X reports the job complete (the receiver must be running)')
      .option('--timeout <duration>', 'how long --wait waits', durationArgument, '5m')
      .description('request a replay job at X'),
    async (ctx, o: { from: string; to: string; api: 'aaa' | 'xaa'; webhook?: string; wait?: boolean; timeout: string }) => {
      const from = parseWhen(o.from);
      const to = parseWhen(o.to);
      // POST /2/webhooks/replay takes both minutes inclusive (one minute: --from = --to); the AAA replay's --to is exclusive.
      if (o.api === 'aaa' ? from >= to : from > to) {
        throw new Error(`--from (${from.toISOString()}) must be ${o.api === 'aaa' ? 'before' : 'at or before'} --to (${to.toISOString()})`);
      }
      const timeoutMs = parseDuration(o.timeout);
      if (o.api === 'aaa') ctx.progress(AAA_REPLAY_DEPRECATED);
      const m = await ctx.management(true);
      const webhookId = await ctx.webhookId(o.webhook);
      ctx.progress(`requesting ${o.api.toUpperCase()} replay of webhook ${webhookId} from ${toXDate(from)} to ${toXDate(to)} (UTC) ...`);
      let job = (await m.replay(o.api, webhookId, from, to)) as ReplayJobRecord;
      if (o.wait) job = await waitFor(ctx, job, timeoutMs);
      ctx.print(job, () => table([job as unknown as Record<string, unknown>], COLUMNS));
      if (o.wait && job.status === 'requested') reportTimeout(ctx, job, o.timeout);
      return o.wait && job.status !== 'complete' ? 1 : 0;
    },
  );

  jsonAction(cmd.command('list').description('replay jobs in the database (settled from X\'s replay_job_status deliveries)'), async (ctx) => {
    const db = (await ctx.db(true))!;
    await (await ctx.management(true)).reconcileReplays();
    const jobs = await listReplayJobs(db.prisma);
    ctx.print(jobs, () => table(jobs as unknown as Array<Record<string, unknown>>, COLUMNS, 'no replay jobs'));
  });

  jsonAction(
    cmd
      .command('status')
      .argument('<job>', 'our job id or X\'s job id')
      .option('--wait', 'wait until X reports the job complete')
      .option('--timeout <duration>', 'how long --wait waits', durationArgument, '5m')
      .description('one replay job'),
    async (ctx, id: string, o: { wait?: boolean; timeout: string }) => {
      const db = (await ctx.db(true))!;
      await (await ctx.management(true)).reconcileReplays();
      const timeoutMs = parseDuration(o.timeout);
      let job = await findReplayJob(db.prisma, id);
      if (!job) throw new Error(`no replay job ${id} in the database`);
      if (o.wait) job = await waitFor(ctx, job, timeoutMs);
      ctx.print(job, () => table([job as unknown as Record<string, unknown>], COLUMNS));
      if (o.wait && job.status === 'requested') reportTimeout(ctx, job, o.timeout);
      return o.wait && job.status !== 'complete' ? 1 : 0;
    },
  );
  return cmd;
}
