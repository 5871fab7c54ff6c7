import type { Request, Response } from 'express';
import { listReplayJobs } from '../../store/index.js';
import type { ConsoleDeps } from '../context.js';
import { field, FormError, problem, sessionOf } from '../context.js';
import { html, time } from '../html.js';
import { badge, csrfField, page, table } from '../layout.js';
import { webhooksView } from '../x-view.js';

const WHEN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** A datetime-local value (no zone), read as UTC; or an ISO time with its zone. Nothing else. */
function utc(value: string, what: string): Date {
  const m = WHEN.exec(value);
  const d = m ? new Date(m[4] ? value : `${value}Z`) : null;
  if (!value) throw new FormError(`${what} is missing (expected YYYY-MM-DDTHH:MM, UTC)`);
  if (!d || Number.isNaN(d.getTime())) throw new FormError(`${what} is not a time: expected YYYY-MM-DDTHH:MM (UTC), or an ISO 8601 time with its zone`);
  return d;
}

const local = (d: Date) => d.toISOString().slice(0, 16);

/** What the form showed: the defaults (the last hour), or what was submitted (shown again with its error). */
interface ReplayForm {
  kind: string;
  webhookId: string;
  from: string;
  to: string;
}

async function render(deps: ConsoleDeps, res: Response, o: { status?: number; error?: string; notice?: string | null; form?: ReplayForm } = {}) {
  const [jobs, webhooks] = await Promise.all([deps.management().reconcileReplays().then(() => listReplayJobs(deps.db.prisma)), webhooksView(deps)]);
  const csrf = sessionOf(res).csrf;
  const now = Date.now();
  const form: ReplayForm = o.form ?? { kind: 'xaa', webhookId: deps.config.x.webhookId ?? '', from: local(new Date(now - 3_600_000)), to: local(new Date(now - 60_000)) };
  const body = html`<p class="muted">Replays ask X to deliver again what it sent in a window (XAA: POST /2/webhooks/replay; AAA: the older replay endpoint); deliveries already stored are absorbed as duplicates. Each job is tracked until X reports its end.</p>
${webhooks.source === 'local' ? html`<p class="warning" role="status">Local view of the webhooks: ${webhooks.why}.</p>` : ''}
<form class="stack" method="post" action="/console/replays" aria-labelledby="replay-h"><h2 id="replay-h">Request a replay</h2>${csrfField(csrf)}
<label for="r-kind">API<select id="r-kind" name="kind"><option value="xaa">XAA (webhook replay)</option><option value="aaa"${form.kind === 'aaa' ? html` selected` : ''}>AAA (account activity replay)</option></select></label>
<label for="r-webhook">Webhook<select id="r-webhook" name="webhookId" required>${webhooks.value.map(
    (w) => html`<option value="${w.id}"${w.id === form.webhookId ? html` selected` : ''}>${w.id} (${w.url})</option>`,
  )}</select></label>
<label for="r-from">From (UTC)<input id="r-from" name="from" type="datetime-local" required value="${form.from}"></label>
<label for="r-to">To (UTC)<input id="r-to" name="to" type="datetime-local" required value="${form.to}"></label>
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
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form: ReplayForm = { kind: field(body, 'kind'), webhookId: field(body, 'webhookId'), from: field(body, 'from'), to: field(body, 'to') };
    try {
      if (form.kind !== 'aaa' && form.kind !== 'xaa') throw new FormError('choose the API: XAA or AAA');
      if (!/^\d{1,20}$/.test(form.webhookId)) throw new FormError('choose a webhook');
      const from = utc(form.from, 'From');
      const to = utc(form.to, 'To');
      if (from > to) throw new FormError('From must not be after To');
      await deps.management().replay(form.kind, form.webhookId, from, to);
      res.redirect(303, '/console/replays?notice=requested');
    } catch (error) {
      await render(deps, res, { status: error instanceof FormError ? 400 : 502, error: problem(error), form });
    }
  };
}
