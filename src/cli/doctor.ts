import { Command } from 'commander';
import { activityCredentialReport, credentialReport, credentialsFromConfig, XApiError, type XWebhook } from '../management/index.js';
import { backlogReport, countSubscriptionRecords, lastCrcCheck, listReplayJobs, listWebhookRecords, migrationState, type Database } from '../store/index.js';
import { jsonAction, table, type CliContext } from './context.js';
import { runCrc } from './crc.js';

export interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
}

async function database(ctx: CliContext, checks: Check[]): Promise<Database | undefined> {
  const where = ctx.config.database.provider === 'sqlite' ? ctx.config.database.file : 'PostgreSQL';
  try {
    const db = await ctx.db(false);
    if (!db) {
      checks.push({ check: 'database', status: 'fail', detail: `${where}: not usable (see the note above); run \`xaa db migrate\`` });
      return undefined;
    }
    await db.ping();
    const state = await migrationState(db);
    checks.push({ check: 'database', status: 'ok', detail: `${db.provider} ${where}: reachable, ${state.applied.length} migrations applied` });
    return db;
  } catch (error) {
    checks.push({ check: 'database', status: 'fail', detail: `${where}: ${(error as Error).message}` });
    return undefined;
  }
}

/** Why a webhook is invalid, found by running X's CRC against it ourselves. */
async function diagnose(ctx: CliContext, w: XWebhook, lastError: string | null): Promise<string> {
  const secret = ctx.config.consumerSecret;
  const parts = [`X marks webhook ${w.id} (${w.url}) invalid: it receives nothing until it passes a CRC`];
  if (lastError) parts.push(`X said: ${lastError}`);
  if (!secret) {
    parts.push('set X_CONSUMER_SECRET here to let doctor run the CRC itself');
    return parts.join('; ');
  }
  const r = await runCrc(w.url, secret);
  if (r.pass) parts.push(`the URL passes a CRC now (${r.latencyMs} ms): run \`xaa webhooks validate ${w.id}\``);
  else if (r.problem?.includes('different consumer secret')) {
    parts.push(
      "the receiver answers the CRC with a different consumer secret than X_CONSUMER_SECRET: set the receiver's X_CONSUMER_SECRET to the app's consumer secret (API secret), restart it, then run `xaa webhooks validate`",
    );
  } else parts.push(`a CRC from here fails: ${r.problem}`);
  return parts.join('; ');
}

/** "3 h", "2 d": how long ago a time was, roughly. */
function ago(date: Date, now = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - date.getTime()) / 60_000));
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} d`;
}

/** Backlog, events no handler took, dead letters: what is waiting in the local store. */
async function queueChecks(ctx: CliContext, db: Database, checks: Check[]): Promise<void> {
  const c = ctx.config;
  const b = await backlogReport(db.prisma);
  const HOUR = 3_600_000;
  const oldPending = b.pending.oldest !== null && Date.now() - b.pending.oldest.getTime() > HOUR;
  checks.push({
    check: 'backlog',
    status: oldPending ? 'warn' : 'ok',
    detail: b.pending.count
      ? `${b.pending.count} event(s) waiting for their handlers, the oldest received ${ago(b.pending.oldest!)} ago (xaa events list --state pending)` +
        (b.stale ? `; ${b.stale} stale event(s) kept, not dispatched (xaa events list --state stale)` : '')
      : `no event waiting for its handlers${b.stale ? `; ${b.stale} stale event(s) kept, not dispatched (xaa events list --state stale)` : ''}`,
  });
  if (b.unhandled.count === 0) {
    checks.push({ check: 'events without a handler', status: 'ok', detail: 'every pending event has been taken by a handler' });
  } else {
    const why = c.dispatch.handlers.length === 0
      ? 'HANDLERS is empty here: no plugin is configured to take them'
      : c.dispatch.inServer
        ? 'no loaded plugin has taken them yet (is a server or `xaa worker` with these HANDLERS running?)'
        : 'DISPATCH_IN_SERVER=false: only `xaa worker` processes dispatch; is one running?';
    const fate = c.retention.days > 0 && c.retention.unhandledDays > 0
      ? `they are pruned unhandled ${Math.max(c.retention.unhandledDays, c.retention.dedupeWindowDays)} days after arrival (RETENTION_UNHANDLED_DAYS)`
      : 'they are kept until a handler takes them (RETENTION_UNHANDLED_DAYS=0 or RETENTION_DAYS=0)';
    const old = b.unhandled.oldest !== null && Date.now() - b.unhandled.oldest.getTime() > 10 * 60_000;
    checks.push({
      check: 'events without a handler',
      status: old ? 'warn' : 'ok',
      detail: `${b.unhandled.count} pending event(s) no handler has taken, the oldest received ${ago(b.unhandled.oldest!)} ago: ${why}; ${fate}`,
    });
  }
  checks.push({
    check: 'dead letters',
    status: b.deadLetters.count ? 'warn' : 'ok',
    detail: b.deadLetters.count
      ? `${b.deadLetters.count} (event, handler) pair(s) failed every attempt, the latest ${ago(b.deadLetters.latest!)} ago: see \`xaa dead-letters list\`, then \`xaa dead-letters redrive\``
      : 'none',
  });
}

export function doctorCommand(): Command {
  return jsonAction(
    new Command('doctor').description('check configuration, database, the webhook at X, the last CRC answered, subscriptions, the backlog, events without a handler, dead letters and credentials'),
    async (ctx) => {
      const checks: Check[] = [];
      const c = ctx.config;
      checks.push({
        check: 'configuration',
        status: c.consumerSecret ? 'ok' : 'fail',
        detail: c.consumerSecret
          ? `X_CONSUMER_SECRET set; X API at ${c.x.baseUrl}; webhook path ${c.webhookPath}`
          : "X_CONSUMER_SECRET is not set: the receiver cannot answer CRCs or verify deliveries (set it to the app's consumer secret)",
      });
      const db = await database(ctx, checks);
      const credentials = credentialReport(credentialsFromConfig(c.x, c.consumerSecret));
      const activityCredentials = activityCredentialReport(credentialsFromConfig(c.x, c.consumerSecret));
      const missingCreds = credentials.filter((r) => !r.ok);
      checks.push({
        check: 'credentials',
        status: missingCreds.length ? 'warn' : 'ok',
        detail: missingCreds.length
          ? `cannot: ${missingCreds.map((r) => `${r.operation} (set ${r.missing.join(', ').replace(/, X_OAUTH2_USER_TOKEN$/, ' or X_OAUTH2_USER_TOKEN')})`).join('; ')}`
          : 'every operation has its credential',
      });

      let webhooks: XWebhook[] = [];
      if (!c.x.bearerToken) {
        checks.push({ check: 'webhook at X', status: 'skip', detail: 'set X_BEARER_TOKEN to check the webhook at X' });
      } else {
        try {
          const m = await ctx.management();
          webhooks = await m.listWebhooks();
          const records = db ? await listWebhookRecords(db.prisma) : [];
          const ours = c.x.webhookId ? webhooks.filter((w) => w.id === c.x.webhookId) : webhooks;
          if (c.x.webhookId && ours.length === 0) {
            checks.push({ check: 'webhook at X', status: 'fail', detail: `X_WEBHOOK_ID=${c.x.webhookId} is not among the app's webhooks at X (${webhooks.map((w) => w.id).join(', ') || 'none'})` });
          } else if (ours.length === 0) {
            checks.push({ check: 'webhook at X', status: 'fail', detail: 'no webhook registered at X: run `xaa webhooks create https://your.host/webhook`' });
          }
          for (const w of ours) {
            if (w.valid) checks.push({ check: 'webhook at X', status: 'ok', detail: `${w.id} ${w.url}: valid` });
            else {
              const lastError = records.find((r) => r.id === w.id)?.lastError ?? null;
              checks.push({ check: 'webhook at X', status: 'fail', detail: await diagnose(ctx, w, lastError) });
            }
          }
        } catch (error) {
          checks.push({ check: 'webhook at X', status: 'fail', detail: (error as Error).message });
        }
      }

      if (db) {
        const ok = await lastCrcCheck(db.prisma, 'ok');
        const rejected = await lastCrcCheck(db.prisma, 'rejected');
        const age = ok ? Math.round((Date.now() - ok.answeredAt.getTime()) / 60_000) : null;
        checks.push({
          check: 'last CRC answered',
          status: ok ? (age! > 26 * 60 ? 'warn' : 'ok') : 'warn',
          detail: ok
            ? `${ok.answeredAt.toISOString()} (${age} min ago, ${ok.latencyMs.toFixed(1)} ms)${rejected ? `; last malformed token rejected ${rejected.answeredAt.toISOString()}` : ''}`
            : 'this receiver has not answered a CRC yet: X has not reached it (is the URL registered at X public and routed here?)',
        });
        const local = await countSubscriptionRecords(db.prisma);
        const open = (await listReplayJobs(db.prisma, { status: 'requested' })).length;
        let remote = '';
        if (c.x.bearerToken) {
          try {
            const n = await ctx.client().countSubscriptions();
            remote = `; at X: ${n.subscriptions_count_all ?? '?'} of ${n.provisioned_count ?? '?'} provisioned`;
          } catch (error) {
            remote = `; count at X failed: ${error instanceof XApiError ? error.message : (error as Error).message}`;
          }
        }
        checks.push({ check: 'subscriptions', status: 'ok', detail: `recorded: ${local.aaa} AAA, ${local.xaa} XAA${remote}` });
        if (open) checks.push({ check: 'replay jobs', status: 'warn', detail: `${open} replay job(s) not yet reported complete by X (xaa replay list)` });
        try {
          await queueChecks(ctx, db, checks);
        } catch (error) {
          checks.push({ check: 'backlog', status: 'fail', detail: `could not read the queue: ${(error as Error).message}` });
        }
      }

      const failed = checks.some((x) => x.status === 'fail');
      ctx.print({ ok: !failed, checks, credentials, activityCredentials, webhooks }, () =>
        [
          // Wrapped, never cut: a detail is the sentence that says what to do.
          table(checks as unknown as Array<Record<string, unknown>>, ['status', 'check', 'detail'], '(none)', { wrap: true }),
          '',
          'credentials per operation:',
          table(
            credentials.map((r) => ({ ...r, status: r.ok ? 'ok' : `missing ${r.missing.join(', ')}` })),
            ['operation', 'needs', 'status'],
            '(none)',
            { wrap: true },
          ),
          '',
          'XAA activity subscriptions, the credential per event family (`xaa activity types`: per type):',
          table(
            activityCredentials.map((r) => ({ ...r, status: r.ok ? 'ok' : `missing ${r.missing.join(', ')}` })),
            ['family', 'needs', 'status'],
            '(none)',
            { wrap: true },
          ),
        ].join('\n'),
      );
      return failed ? 1 : 0;
    },
  );
}
