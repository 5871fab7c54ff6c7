import type { Request, Response } from 'express';
import { XAA_EVENT_TYPES } from '../../events/index.js';
import { credentialsFromConfig, userContextUserId } from '../../management/index.js';
import { listSubscriptionRecords, type SubscriptionRecord, type WebhookRecord } from '../../store/index.js';
import type { ConsoleDeps } from '../context.js';
import { field, FormError, problem, sessionOf } from '../context.js';
import { html, time, type Html } from '../html.js';
import { csrfField, page, table } from '../layout.js';
import { fromX, webhooksView } from '../x-view.js';

const NOTICES: Record<string, string> = {
  'aaa-added': 'Subscribed (AAA).',
  'aaa-removed': 'Unsubscribed (AAA).',
  'xaa-added': 'Activity subscription created (XAA).',
  'xaa-removed': 'Activity subscription deleted (XAA).',
};

function webhookSelect(id: string, webhooks: WebhookRecord[], chosen: string | undefined): Html {
  return html`<label for="${id}">Webhook<select id="${id}" name="webhookId" required>${webhooks.map(
    (w) => html`<option value="${w.id}"${w.id === chosen ? html` selected` : ''}>${w.id} (${w.url})</option>`,
  )}</select></label>`;
}

function filterText(s: SubscriptionRecord): string {
  if (!s.filter) return '';
  try {
    const f = JSON.parse(s.filter) as Record<string, unknown>;
    return Object.entries(f)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
  } catch {
    return s.filter;
  }
}

async function render(deps: ConsoleDeps, res: Response, o: { status?: number; error?: string; notice?: string | null } = {}) {
  const webhooks = await webhooksView(deps);
  const records = () => listSubscriptionRecords(deps.db.prisma, { status: 'active' });
  const view =
    webhooks.source === 'x'
      ? await fromX(
          deps,
          async () => {
            const m = deps.management();
            for (const w of webhooks.value) await m.listSubscriptions(w.id);
            await m.listActivity();
            return records();
          },
          records,
        )
      : { source: 'local' as const, why: webhooks.why, value: await records() };
  const csrf = sessionOf(res).csrf;
  const aaa = view.value.filter((s) => s.kind === 'aaa');
  const xaa = view.value.filter((s) => s.kind === 'xaa');
  const userContext = userContextUserId(credentialsFromConfig(deps.config.x, deps.config.consumerSecret));
  const chosen = deps.config.x.webhookId;
  const body = html`${view.source === 'local'
    ? html`<p class="warning" role="status">Local view: ${view.why}. Shown: the receiver's last copy of X's subscriptions.</p>`
    : html`<p class="muted">As X lists them now (the local copy is updated).</p>`}
<h2 id="aaa-h">Account Activity API (AAA): users per webhook</h2>
${table(
  'AAA subscriptions',
  html`<th scope="col">Webhook</th><th scope="col">User</th><th scope="col">Since</th><th scope="col">Remove</th>`,
  aaa.map(
    (s) => html`<tr><td><code>${s.webhookId}</code></td><td>${s.userId ?? ''}</td><td>${time(s.createdAt)}</td><td><form class="inline" method="post" action="/console/subscriptions/aaa/remove">${csrfField(csrf)}<input type="hidden" name="webhookId" value="${s.webhookId}"><input type="hidden" name="userId" value="${s.userId ?? ''}"><button type="submit" class="secondary" aria-label="Unsubscribe user ${s.userId ?? ''}">Unsubscribe</button></form></td></tr>`,
  ),
  'No user is subscribed (AAA).',
  'aaa-subscriptions',
)}
${webhooks.value.length
  ? html`<form class="filters" method="post" action="/console/subscriptions/aaa" aria-labelledby="aaa-add-h"><h3 id="aaa-add-h" class="sr-only">Subscribe a user (AAA)</h3>${csrfField(csrf)}
${webhookSelect('aaa-webhook', webhooks.value, chosen)}
<button type="submit">Subscribe ${userContext ? `user ${userContext}` : 'the user-context user'}</button>
<p class="muted">AAA subscribes the user whose tokens the receiver holds (X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET, or X_OAUTH2_USER_TOKEN).</p></form>`
  : ''}
<h2 id="xaa-h">X Activity API (XAA): subscriptions per user and event type</h2>
${table(
  'XAA subscriptions',
  html`<th scope="col">Event type</th><th scope="col">Filter</th><th scope="col">Webhook</th><th scope="col">Tag</th><th scope="col" class="hide-narrow">Id</th><th scope="col">Remove</th>`,
  xaa.map(
    (s) => html`<tr><td>${s.eventType ?? ''}</td><td>${filterText(s)}</td><td><code>${s.webhookId}</code></td><td>${s.tag ?? ''}</td><td class="hide-narrow"><code>${s.xId ?? ''}</code></td><td><form class="inline" method="post" action="/console/subscriptions/xaa/remove">${csrfField(csrf)}<input type="hidden" name="id" value="${s.xId ?? ''}"><button type="submit" class="secondary" aria-label="Delete the ${s.eventType ?? ''} subscription ${s.xId ?? ''}">Delete</button></form></td></tr>`,
  ),
  'No activity subscription (XAA).',
  'xaa-subscriptions',
)}
${webhooks.value.length
  ? html`<form class="filters" method="post" action="/console/subscriptions/xaa" aria-labelledby="xaa-add-h"><h3 id="xaa-add-h" class="sr-only">Create an activity subscription (XAA)</h3>${csrfField(csrf)}
<label for="xaa-type">Event type<select id="xaa-type" name="eventType" required>${XAA_EVENT_TYPES.map((t) => html`<option>${t}</option>`)}</select></label>
<label for="xaa-user">User id<input id="xaa-user" name="userId" inputmode="numeric" pattern="[0-9]{1,20}" required></label>
${webhookSelect('xaa-webhook', webhooks.value, chosen)}
<label for="xaa-tag">Tag (optional)<input id="xaa-tag" name="tag" maxlength="200"></label>
<button type="submit">Subscribe</button></form>`
  : html`<p class="muted">No webhook known: register one (<code>xaa webhooks create &lt;url&gt;</code>) to add subscriptions here.</p>`}`;
  res
    .status(o.status ?? 200)
    .type('html')
    .send(String(page({ title: 'Subscriptions', current: '/console/subscriptions', csrf, notice: o.notice, error: o.error, body })));
}

export function subscriptionsPage(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => render(deps, res, { notice: NOTICES[field(req.query, 'notice')] ?? null });
}

/** A management change: done, then back to the page (303), or the page again with the form's mistake (400) or X's message (502). */
function change(deps: ConsoleDeps, act: (form: Record<string, unknown>) => Promise<string>) {
  return async (req: Request, res: Response) => {
    try {
      const notice = await act((req.body ?? {}) as Record<string, unknown>);
      res.redirect(303, `/console/subscriptions?notice=${notice}`);
    } catch (error) {
      await render(deps, res, { status: error instanceof FormError ? 400 : 502, error: problem(error) });
    }
  };
}

const need = (form: Record<string, unknown>, name: string, pattern: RegExp, what: string) => {
  const v = field(form, name);
  if (!pattern.test(v)) throw new FormError(`${what} is missing or malformed`);
  return v;
};
const DIGITS = /^\d{1,20}$/;

export const addAaa = (deps: ConsoleDeps) =>
  change(deps, async (form) => {
    await deps.management().subscribe(need(form, 'webhookId', DIGITS, 'the webhook id'));
    return 'aaa-added';
  });

export const removeAaa = (deps: ConsoleDeps) =>
  change(deps, async (form) => {
    await deps.management().unsubscribe(need(form, 'webhookId', DIGITS, 'the webhook id'), need(form, 'userId', DIGITS, 'the user id'));
    return 'aaa-removed';
  });

export const addXaa = (deps: ConsoleDeps) =>
  change(deps, async (form) => {
    const tag = field(form, 'tag');
    await deps.management().createActivity({
      event_type: need(form, 'eventType', /^[a-z_.]{1,80}$/, 'the event type'),
      filter: { user_id: need(form, 'userId', DIGITS, 'the user id') },
      webhook_id: need(form, 'webhookId', DIGITS, 'the webhook id'),
      ...(tag ? { tag } : {}),
    });
    return 'xaa-added';
  });

export const removeXaa = (deps: ConsoleDeps) =>
  change(deps, async (form) => {
    await deps.management().deleteActivity(need(form, 'id', /^[\w-]{1,40}$/, 'the subscription id'));
    return 'xaa-removed';
  });
