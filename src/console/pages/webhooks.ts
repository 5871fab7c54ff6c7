import type { Request, Response } from 'express';
import type { ConsoleDeps } from '../context.js';
import { sessionOf } from '../context.js';
import { html, time } from '../html.js';
import { badge, page, table } from '../layout.js';
import { webhooksView } from '../x-view.js';

/** GET /console/webhooks: the webhooks at X with their validity, and the CRCs this receiver answered. */
export function webhooksPage(deps: ConsoleDeps) {
  return async (_req: Request, res: Response) => {
    const view = await webhooksView(deps);
    const checks = await deps.db.prisma.crcCheck.findMany({ orderBy: { answeredAt: 'desc' }, take: 20 });
    const configured = deps.config.x.webhookId;
    const path = deps.config.webhookPath;
    const body = html`${view.source === 'local'
      ? html`<p class="warning" role="status">Local view: ${view.why}. The list below is the receiver's last copy of X's (from the last time X was asked).</p>`
      : html`<p class="muted">As X lists them now.</p>`}
${table(
  'Webhooks',
  html`<th scope="col">Id</th><th scope="col">URL</th><th scope="col">Validity</th><th scope="col">Created</th><th scope="col" class="hide-narrow">Last synced</th><th scope="col">Notes</th>`,
  view.value.map((w) => {
    let urlPath = '';
    try {
      urlPath = new URL(w.url).pathname;
    } catch {
      urlPath = '';
    }
    return html`<tr><td><code>${w.id}</code></td><td>${w.url}</td><td>${badge(w.valid ? 'valid' : 'invalid')}</td><td>${time(w.createdAt)}</td><td class="hide-narrow">${time(w.syncedAt)}</td><td>${[
      w.id === configured ? html`X_WEBHOOK_ID. ` : '',
      urlPath && urlPath !== path ? html`Its path is not WEBHOOK_PATH (${path}). ` : '',
      w.lastError ? html`<span class="error-text">${w.lastError}</span>` : '',
    ]}</td></tr>`;
  }),
  view.source === 'x' ? 'X lists no webhook for this app: register one with `xaa webhooks create <url>`.' : 'No webhook known locally.',
  'webhooks',
)}
<h2>CRC challenges answered here</h2>
<p class="muted">The last ${checks.length} recorded (at most one a second per outcome); X sends one when a webhook is registered or validated, and about every 30 minutes.</p>
${table(
  'CRC checks, newest first',
  html`<th scope="col">Answered</th><th scope="col">Latency</th><th scope="col">Outcome</th>`,
  checks.map((c) => html`<tr><td>${time(c.answeredAt)}</td><td class="num">${c.latencyMs.toFixed(2)} ms</td><td>${badge(c.outcome)}</td></tr>`),
  'No CRC answered yet.',
  'crc-checks',
)}`;
    res.type('html').send(String(page({ title: 'Webhooks', current: '/console/webhooks', csrf: sessionOf(res).csrf, body })));
  };
}
