import type { Request, Response } from 'express';
import { countWaitingDeadLetters, listDeadLetters, recordedHandlers, redriveDeadLetters } from '../../store/index.js';
import type { ConsoleDeps } from '../context.js';
import { field, problem, sessionOf } from '../context.js';
import { html, time } from '../html.js';
import { csrfField, page, table } from '../layout.js';

/** GET /console/dead-letters: those not yet redriven (or all), each with a redrive button, and redrive all. */
export function deadLettersPage(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const all = field(req.query, 'all') === '1';
    const handlers = await recordedHandlers(deps.db.prisma);
    const handler = handlers.includes(field(req.query, 'handler')) ? field(req.query, 'handler') : undefined;
    const letters = await listDeadLetters(deps.db.prisma, { handler, includeRedriven: all, limit: 200 });
    const csrf = sessionOf(res).csrf;
    const n = Number(field(req.query, 'n')) || 0;
    const notice = field(req.query, 'notice') === 'redriven' ? `Redriven: ${n} dead letter(s) sent back to their handler.` : null;
    // Counted, not taken from the list: the list stops at 200 and, with redriven ones shown, holds fewer waiting.
    const waiting = await countWaitingDeadLetters(deps.db.prisma, { handler });
    const body = html`<form class="filters" method="get" action="/console/dead-letters" aria-label="Filters">
<label for="d-handler">Handler<select id="d-handler" name="handler"><option value="">any</option>${handlers.map((h) => html`<option${h === handler ? html` selected` : ''}>${h}</option>`)}</select></label>
<label for="d-all">Shown<select id="d-all" name="all"><option value="">not yet redriven</option><option value="1"${all ? html` selected` : ''}>all, redriven included</option></select></label>
<button type="submit" class="secondary">Show</button>
</form>
${waiting
  ? html`<form method="post" action="/console/dead-letters/redrive" class="filters">${csrfField(csrf)}<input type="hidden" name="all" value="1">${handler ? html`<input type="hidden" name="handler" value="${handler}">` : ''}<button type="submit" class="danger">Redrive all${handler ? ` of ${handler}` : ''} (${waiting})</button></form>`
  : ''}
${table(
  'Dead letters, newest first',
  html`<th scope="col">Dead since</th><th scope="col">Event</th><th scope="col">Handler</th><th scope="col">Attempts</th><th scope="col">Error</th><th scope="col">Redrive</th>`,
  letters.map(
    (l) => html`<tr id="dead-${l.id}"><td>${time(l.deadAt)}</td><td><a href="/console/events/${l.eventId}">${l.type}</a></td><td>${l.handler}</td><td class="num">${l.attempts}</td><td>${l.error}</td><td>${
      l.redrivenAt
        ? html`redriven ${time(l.redrivenAt)}`
        : html`<form class="inline" method="post" action="/console/dead-letters/redrive">${csrfField(csrf)}<input type="hidden" name="id" value="${l.id}"><button type="submit" aria-label="Redrive ${l.type} to ${l.handler}">Redrive</button></form>`
    }</td></tr>`,
  ),
  all ? 'No dead letters.' : 'No dead letters waiting: every handler has taken its events, or they were redriven.',
  'dead-letters',
)}`;
    res.type('html').send(String(page({ title: 'Dead letters', current: '/console/dead-letters', csrf, notice, body })));
  };
}

/** POST /console/dead-letters/redrive: one (`id`) or all (`all=1`, of `handler` when given), as `xaa dead-letters redrive`. */
export function redrive(deps: ConsoleDeps) {
  return async (req: Request, res: Response) => {
    const form = req.body as Record<string, unknown>;
    const id = field(form, 'id');
    const everyOne = field(form, 'all') === '1';
    const handler = field(form, 'handler') || undefined;
    try {
      if (!id && !everyOne) throw new Error('name a dead letter, or redrive all');
      const r = await redriveDeadLetters(deps.db.prisma, { ...(id ? { ids: [id] } : {}), ...(handler ? { handler } : {}) }, new Date());
      if (r.missing.length) throw new Error(`dead letter ${r.missing.join(', ')} was not found or is already redriven`);
      if (r.busy.length && r.redriven.length === 0) throw new Error('a dispatcher is running these events right now; try again in a moment');
      res.redirect(303, `/console/dead-letters?notice=redriven&n=${r.redriven.length}`);
    } catch (error) {
      res.status(409).type('html').send(String(page({ title: 'Redrive failed', csrf: sessionOf(res).csrf, error: problem(error), body: html`<p><a href="/console/dead-letters">Back to the dead letters</a></p>` })));
    }
  };
}
