import { aaaBody, newActivity, snowflake } from '../samples.js';
import { invalid } from './errors.js';
import type { XStandIn } from './standin.js';
import type { ReplayJobState, StandInWebhook } from './types.js';

/**
 * Replay jobs: `webhook` (POST /2/webhooks/replay, X's current API: everything the webhook got or
 * should have, from_date and to_date both inclusive, 24 hours back) and `aaa` (the deprecated
 * POST /2/account_activity/replay/...: AAA deliveries, from inclusive, to exclusive, 5 days back;
 * gone from X's spec, kept while clients still call it). One job per webhook at a time
 * (ReplayConflictError); X runs a CRC first, then redelivers.
 *
 * The end of a job: X documents one message for it, the AAA-form `replay_job_status` delivery
 * ({replay_job_status: {webhook_id, job_state: "Complete" | "Incomplete", job_state_description,
 * job_id}}, on the Account Activity quickstart). For POST /2/webhooks/replay X documents no
 * completion message at all; the stand-in sends the same documented replay_job_status, and never
 * a name of its own (such as an XAA-form "replay.status", which X does not document).
 */
export function startReplay(x: XStandIn, kind: 'aaa' | 'webhook', webhookId: string, fromRaw: unknown, toRaw: unknown): [number, unknown] {
  const w = x.webhook(webhookId);
  const from = parseXDate(fromRaw);
  const to = parseXDate(toRaw);
  if (!from || !to) throw invalid('QueryParamInvalid', 'from_date and to_date must be yyyymmddhhmm (UTC)');
  const now = x.now().getTime();
  const maxAge = kind === 'aaa' ? 5 * 86_400_000 : 86_400_000;
  // Both ends inclusive for the webhook replay: one minute (from = to) is a valid window.
  if (kind === 'aaa' ? from.getTime() >= to.getTime() : from.getTime() > to.getTime()) {
    throw invalid('QueryParamInvalid', kind === 'aaa' ? 'from_date must be before to_date' : 'from_date must not be after to_date');
  }
  if (now - from.getTime() > maxAge) throw invalid('QueryParamInvalid', `from_date must be within the last ${kind === 'aaa' ? '5 days' : '24 hours'}`);
  if (to.getTime() > now + 60_000) throw invalid('QueryParamInvalid', 'to_date must not be in the future');
  if (x.replayJobs.some((j) => j.webhookId === w.id && j.state === 'running')) {
    throw invalid('ReplayConflictError', `A replay job is already in progress for webhook ${w.id}`, 409);
  }
  const job: ReplayJobState = { jobId: snowflake(), webhookId: w.id, kind, from, to, state: 'running', delivered: 0, done: Promise.resolve() };
  x.replayJobs.push(job);
  job.done = runReplay(x, job, w);
  const createdAt = x.now().toISOString();
  // The AAA replay answers {replay_event: {job_id, created_at}} (X's AAA quickstart; it also
  // names a for_user_id, which an app-level job does not have); the webhook replay {data: {...}} (the spec).
  return [200, kind === 'aaa' ? { replay_event: { job_id: job.jobId, created_at: createdAt } } : { data: { job_id: job.jobId, created_at: createdAt } }];
}

async function runReplay(x: XStandIn, job: ReplayJobState, w: StandInWebhook): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  const crc = await x.recheck(w.id);
  let failed = !crc?.valid;
  if (!failed) {
    // AAA: from inclusive, to exclusive; the webhook replay: to inclusive (to the end of that minute).
    const end = job.kind === 'aaa' ? job.to.getTime() : job.to.getTime() + 60_000;
    const entries = x.outbox.filter(
      (e) => e.webhookId === w.id && (job.kind === 'webhook' || e.format === 'aaa') && e.at.getTime() >= job.from.getTime() && e.at.getTime() < end,
    );
    for (const e of entries) {
      const d = await x.deliverNow(w, e, true);
      if (d.status === 200) job.delivered++;
      else failed = true;
    }
  }
  job.state = failed ? 'Incomplete' : 'Complete';
  const status = newActivity('replay.status', '', { id: job.jobId, webhookId: w.id, jobState: job.state });
  if (w.valid) await x.deliverNow(w, { webhookId: w.id, at: x.now(), format: 'aaa', body: aaaBody(status), activity: status }, true);
}

export function parseXDate(v: unknown): Date | null {
  const m = typeof v === 'string' ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v) : null;
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
  return Number.isNaN(d.getTime()) ? null : d;
}
