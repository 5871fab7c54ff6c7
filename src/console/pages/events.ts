import type { Request, Response } from 'express';
import { EVENT_TYPES, type ParsedXEvent, type SideObjects } from '../../events/index.js';
import { withData } from '../../normalize/event-data/index.js';
import { EVENT_STATUSES, type EventDetail, type EventStatus, decodeBody, eventHandlers, getEvent, isEventStatus, listEvents, redispatchEvents } from '../../store/index.js';
import type { ConsoleDeps } from '../context.js';
import { field, problem, sessionOf } from '../context.js';
import { html, time, type Html } from '../html.js';
import { SESSION_COOKIE, readCookie } from '../auth.js';
import { badge, csrfField, page, table } from '../layout.js';
import type { TailFilter } from '../live-tail.js';
import { matches } from '../live-tail.js';

const FORMATS = ['aaa', 'xaa', 'unknown'] as const;
/** The raw body is shown up to this many bytes (a delivery can hold megabytes). */
const RAW_LIMIT = 256 * 1024;

function filterOf(req: Request): TailFilter {
  const f: TailFilter = {};
  const type = field(req.query, 'type');
  const user = field(req.query, 'user');
  const format = field(req.query, 'format');
  const state = field(req.query, 'state');
  if ((EVENT_TYPES as readonly string[]).includes(type)) f.type = type;
  if (/^\d{1,20}$/.test(user)) f.user = user;
  if ((FORMATS as readonly string[]).includes(format)) f.format = format;
  if (isEventStatus(state)) f.state = state;
  return f;
}

const query = (f: TailFilter) => new URLSearchParams(Object.entries(f).filter(([, v]) => v) as Array<[string, string]>).toString();

function select(name: string, label: string, options: readonly string[], chosen: string | undefined): Html {
  return html`<label for="f-${name}">${label}<select id="f-${name}" name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option${o === chosen ? html` selected` : ''}>${o}</option>`,
  )}</select></label>`;
}

/** GET /console/events: the filter form, the latest events and deliveries, and the live tail's stream address. */
export function tailPage(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const f = filterOf(req);
    const shown = await listEvents(deps.db.prisma, { type: f.type, forUserId: f.user, format: f.format, state: f.state as EventStatus | undefined, limit: 50 });
    const deliveries = await deps.db.prisma.delivery.findMany({
      where: f.format ? { format: f.format } : {},
      orderBy: { id: 'desc' },
      take: f.type || f.user || f.state ? 0 : 25,
      select: { id: true, format: true, status: true, eventCount: true, receivedAt: true },
    });
    const q = query(f);
    const body = html`<form class="filters" method="get" action="/console/events" aria-label="Filters">
${select('type', 'Type', EVENT_TYPES, f.type)}
<label for="f-user">User id<input id="f-user" name="user" inputmode="numeric" pattern="[0-9]{1,20}" value="${f.user ?? ''}"></label>
${select('format', 'Format', FORMATS, f.format)}
${select('state', 'State', EVENT_STATUSES, f.state)}
<button type="submit">Filter</button> <a href="/console/events">Clear</a>
</form>
<section data-tail-src="/console/events/stream${q ? `?${q}` : ''}" aria-labelledby="events-h">
<p id="live-status" class="live" role="status" aria-live="polite">Showing the latest events. With JavaScript on, new ones appear here as they arrive; without it, reload the page.</p>
<h2 id="events-h">Events</h2>
${table(
  'Events, newest first',
  html`<th scope="col">Received</th><th scope="col">Type</th><th scope="col">User</th><th scope="col" class="hide-narrow">Format</th><th scope="col">State</th><th scope="col" class="hide-narrow">Id</th>`,
  shown.map(
    (e) => html`<tr id="event-${e.id}"><td>${time(e.receivedAt)}</td><td><a href="/console/events/${e.id}">${e.type}${e.action ? ` (${e.action})` : ''}</a></td><td>${e.forUserId ?? ''}</td><td class="hide-narrow">${e.format}</td><td class="state-cell">${badge(e.status)}</td><td class="hide-narrow"><code>${e.id}</code></td></tr>`,
  ),
  'No events match.',
  'tail-events',
)}
<h2 id="deliveries-h">Deliveries</h2>
${f.type || f.user || f.state ? html`<p class="muted">Deliveries are not filtered by type, user or state: clear those filters to see them.</p>` : ''}
${table(
  'Deliveries, newest first',
  html`<th scope="col">Received</th><th scope="col">Format</th><th scope="col">Result</th><th scope="col">Events</th><th scope="col" class="hide-narrow">Id</th>`,
  deliveries.map(
    (d) => html`<tr id="delivery-${d.id}"><td>${time(d.receivedAt)}</td><td>${d.format}</td><td>${badge(d.status)}</td><td class="num">${d.eventCount}</td><td class="hide-narrow"><code>${d.id}</code></td></tr>`,
  ),
  'No deliveries yet.',
  'tail-deliveries',
)}
</section>`;
    res.type('html').send(String(page({ title: 'Live tail', current: '/console/events', csrf: sessionOf(res).csrf, body })));
  };
}

/**
 * GET /console/events/stream: server-sent events (`event` and `delivery`), with the page's filters.
 * The stream lasts only as long as the session that opened it: once that session is gone (logout,
 * expiry) the next item or keep-alive ends it, and the browser's reconnection meets the login's 401.
 */
export function tailStream(deps: ConsoleDeps) {
  return (req: Request, res: Response) => {
    const f = filterOf(req);
    const sessionId = readCookie(req.headers.cookie, SESSION_COOKIE);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    const live = () => {
      if (deps.sessions.get(sessionId)) return true;
      end();
      return false;
    };
    const unsubscribe = deps.tail.subscribe(f, (item) => {
      if (live() && matches(item, f)) res.write(`event: ${item.kind}\ndata: ${JSON.stringify(item.data)}\n\n`);
    });
    const heartbeat = setInterval(() => {
      if (live()) res.write(': keep-alive\n\n');
    }, 15_000);
    heartbeat.unref();
    req.on('close', end);
  };
}

/** The event as the dispatcher hands it to handlers (dispatch/lazy-event.ts), with its fields all read. */
function normalized(e: EventDetail): unknown {
  try {
    const event = withData({
      id: e.dedupeKey,
      type: e.type,
      action: e.action,
      forUserId: e.forUserId,
      format: e.format,
      occurredAt: e.occurredAt,
      payload: e.payload,
      side: (e.sideObjects as SideObjects | null) ?? { source: 'unknown' },
    } as ParsedXEvent);
    const { payload, side, data, ...head } = event;
    return { ...head, data, payload, side };
  } catch (error) {
    return { error: `could not normalize: ${problem(error)}`, payload: e.payload };
  }
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** GET /console/events/:id: the normalized event, its raw delivery, each handler's attempts, redispatch. */
export function eventPage(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const e = await getEvent(deps.db.prisma, id);
    if (!e) {
      res.status(404).type('html').send(String(page({ title: 'No such event', csrf: sessionOf(res).csrf, body: html`<p>No event has the id or dedupe key <code>${id}</code>.</p><p><a href="/console/events">Back to the live tail</a></p>` })));
      return;
    }
    const delivery = await deps.db.prisma.delivery.findUnique({ where: { id: e.deliveryId } });
    const rawBody = delivery ? decodeBody(delivery.body, delivery.bodyEncoding) : null;
    const csrf = sessionOf(res).csrf;
    const notice = field(req.query, 'notice');
    const body = html`<dl class="facts">
<dt>Id</dt><dd><code>${e.id}</code></dd>
<dt>Type</dt><dd>${e.type}${e.action ? ` (${e.action})` : ''}</dd>
<dt>State</dt><dd>${badge(e.status)}</dd>
<dt>User</dt><dd>${e.forUserId ?? '—'}</dd>
<dt>Format</dt><dd>${e.format}</dd>
<dt>Occurred</dt><dd>${time(e.occurredAt)}</dd>
<dt>Received</dt><dd>${time(e.receivedAt)}</dd>
<dt>Completed</dt><dd>${time(e.completedAt)}</dd>
<dt>Duplicates absorbed</dt><dd>${e.duplicateCount}</dd>
<dt>Dedupe key</dt><dd><code>${e.dedupeKey}</code></dd>
</dl>
<form class="filters" method="post" action="/console/events/${e.id}/redispatch">
${csrfField(csrf)}
<label for="r-handler">Handler<select id="r-handler" name="handler"><option value="">every handler</option>${e.runs.map((r) => html`<option>${r.handler}</option>`)}</select></label>
<button type="submit">Redispatch</button>
</form>
<h2>Handlers</h2>
${e.runs.length === 0 ? html`<p class="muted">No handler has taken this event (no plugin wants its type, or no dispatcher runs).</p>` : ''}
${e.runs.map(
  (r) => html`<section class="card" aria-label="Handler ${r.handler}"><h3>${r.handler} ${badge(r.state)}</h3>
<p>${r.attempts} attempt(s)${r.state === 'pending' ? html`, next at ${time(r.nextAttemptAt)}` : ''}${r.completedAt ? html`, completed ${time(r.completedAt)}` : ''}.</p>
${r.lastError ? html`<p class="error">Last error: ${r.lastError}</p>` : ''}
${table(
  `Attempts of ${r.handler}`,
  html`<th scope="col">#</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Outcome</th><th scope="col">Error</th><th scope="col" class="hide-narrow">Worker</th>`,
  r.history.map(
    (h) => html`<tr><td class="num">${h.attempt}</td><td>${time(h.startedAt)}</td><td>${time(h.finishedAt)}</td><td>${h.outcome ? badge(h.outcome) : ''}</td><td>${h.error ?? ''}</td><td class="hide-narrow">${h.worker}</td></tr>`,
  ),
  'No attempt recorded.',
)}</section>`,
)}
${e.deadLetters.length
  ? html`<h2>Dead letters</h2>${table(
      'Dead letters of this event',
      html`<th scope="col">Handler</th><th scope="col">Dead since</th><th scope="col">Attempts</th><th scope="col">Error</th><th scope="col">Redriven</th>`,
      e.deadLetters.map((d) => html`<tr><td>${d.handler}</td><td>${time(d.deadAt)}</td><td class="num">${d.attempts}</td><td>${d.error}</td><td>${time(d.redrivenAt)}</td></tr>`),
      '',
    )}`
  : ''}
<h2>Normalized event</h2>
<p class="muted">As handlers receive it: <code>data</code> holds the fields normalized the same for AAA and XAA; <code>payload</code> is the activity as X sent it; <code>side</code> the envelope's side objects.</p>
<pre id="normalized">${json(normalized(e))}</pre>
<h2>Raw delivery</h2>
${delivery && rawBody
  ? html`<p class="muted">Delivery <code>${delivery.id}</code>, ${rawBody.length} bytes, ${delivery.contentType ?? 'no content type'}, received ${time(delivery.receivedAt)}${rawBody.length > RAW_LIMIT ? `; the first ${RAW_LIMIT} bytes are shown` : ''}.</p>
<pre id="raw-delivery">${rawBody.subarray(0, RAW_LIMIT).toString('utf8')}</pre>`
  : html`<p class="muted">The delivery is no longer stored (retention).</p>`}`;
    res.type('html').send(String(page({ title: `Event ${e.type}`, current: '/console/events', csrf, notice: notice === 'requeued' ? 'Redispatched: the dispatcher runs the handlers again.' : null, body })));
  };
}

/** POST /console/events/:id/redispatch (store/queue/requeue.ts, as `xaa events redispatch`). */
export function redispatch(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const handler = field(req.body as Record<string, unknown>, 'handler') || undefined;
    try {
      // Only a handler the event has a run of (the form offers those): as `xaa events redispatch --handler`.
      const known = (await eventHandlers(deps.db.prisma, [id])).get(id);
      if (handler && known && !known.handlers.includes(handler)) throw new Error(`this event has no run of a handler "${handler}": its handlers are ${known.handlers.join(', ') || 'none'}`);
      const r = await redispatchEvents(deps.db.prisma, [id], new Date(), handler);
      if (r.missing.length) throw new Error(`no event ${id}`);
      if (r.busy.length) throw new Error('a dispatcher is running this event right now; try again in a moment');
      res.redirect(303, `/console/events/${encodeURIComponent(id)}?notice=requeued`);
    } catch (error) {
      res.status(409).type('html').send(String(page({ title: 'Redispatch failed', csrf: sessionOf(res).csrf, error: problem(error), body: html`<p><a href="/console/events/${encodeURIComponent(id)}">Back to the event</a></p>` })));
    }
  };
}
