import type { Request, Response } from 'express';
import { listReplayJobs } from '../../store/index.js';
import type { ConsoleDeps } from '../context.js';
import { field, problem, sessionOf } from '../context.js';
import { html, time } from '../html.js';
import { badge, csrfField, page, table } from '../layout.js';
import { webhooksView } from '../x-view.js';

/** A datetime-local value (no zone), read as UTC; or an ISO time. */
function utc(value: string, what: string): Date {
  const v = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value}Z` : value;
  const d = new Date(v);
  if (!value || Number.isNaN(d.getTime())) throw new Error(`${what} is missing or not a time (expected YYYY-MM-DDTHH:MM, UTC)`);
  return d;
}

const local = (d: Date) => d.toISOString().slice(0, 16);

async function render(deps: ConsoleDeps, res: Response, o: { status?: number; error?: string; notice?: string | null } = {}) {
  const [jobs, webhooks] = await Promise.all([deps.management().reconcileReplays().then(() => listReplayJobs(deps.db.prisma)), webhooksView(deps)]);
  const csrf = sessionOf(res).csrf;
  const now = Date.now();
  const body = html`<p class="muted">Replays ask X to deliver again what it sent in a window (XAA: POST /2/webhooks/replay; AAA: the older replay endpoint); deliveries already stored are absorbed as duplicates. Each job is tracked until X reports its end.</p>
${webhooks.source === 'local' ? html`<p class="warning" role="status">Local view of the webhooks: ${webhooks.why}.</p>` : ''}
<form class="stack" method="post" action="/console/replays" aria-labelledby="replay-h"><h2 id="replay-h">Request a replay</h2>${csrfField(csrf)}
<label for="r-kind">API<select id="r-kind" name="kind"><option value="xaa">XAA (webhook replay)</option><option value="aaa">AAA (account activity replay)</option></select></label>
<label for="r-webhook">Webhook<select id="r-webhook" name="webhookId" required>${webhooks.value.map(
    (w) => html`<option value="${w.id}"${w.id === deps.config.x.webhookId ? html` selected` : ''}>${w.id} (${w.url})</option>`,
  )}</select></label>
<label for="r-from">From (UTC)<input id="r-from" name="from" type="datetime-local" required value="${local(new Date(now - 3_600_000))}"></label>
<label for="r-to">To (UTC)<input id="r-to" name="to" type="datetime-local" required value="${local(new Date(now - 60_000))}"></label>
<button type="submit">Request replay</button>
</form>
<h2>Replay jobs</h2>
${table(
  'Replay jobs, newest first',
  html`<th scope="col">Requested</th><th scope="col">API</th><th scope="col">Webhook</th><th scope="col">Window</th><th scope="col">Status</th><th scope="col">Completed</th><th scope="col" class="hide-narrow">X job</th>`,
  jobs.map(
    (j) => html`<tr><td>${time(j.requestedAt)}</td><td>${j.kind}</td><td><code>${j.webhookId}</code></td><td>${time(j.fromDate)} to ${time(j.toDate)}</td><td>${badge(j.status)}${j.detail ? html` <span class="muted">${j.detail}</span>` : ''}</td><td>${time(j.completedAt)}</td><td class="hide-narrow"><code>${j.xJobId ?? ''}</code></td></tr>`,
  ),
  'No replay requested yet.',
  'replay-jobs',
)}`;
  res
    .status(o.status ?? 200)
    .type('html')
    .send(String(page({ title: 'Replays', current: '/console/replays', csrf, notice: o.notice, error: o.error, body })));
}

export function replaysPage(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => render(deps, res, { notice: field(req.query, 'notice') === 'requested' ? 'Replay requested: X delivers the window again.' : null });
}

/** POST /console/replays: kind, webhookId, from, to (as `xaa replay run`). */
export function requestReplay(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    try {
      const kind = field(form, 'kind') === 'aaa' ? 'aaa' : 'xaa';
      const webhookId = field(form, 'webhookId');
      if (!/^\d{1,20}$/.test(webhookId)) throw new Error('choose a webhook');
      const from = utc(field(form, 'from'), 'From');
      const to = utc(field(form, 'to'), 'To');
      if (from > to) throw new Error('From must not be after To');
      await deps.management().replay(kind, webhookId, from, to);
      res.redirect(303, '/console/replays?notice=requested');
    } catch (error) {
      await render(deps, res, { status: 502, error: problem(error) });
    }
  };
}
