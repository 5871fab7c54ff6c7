import type { Request, Response } from 'express';
import type { ConsoleDeps } from '../context.js';
import { sessionOf } from '../context.js';
import { html, raw, type Html } from '../html.js';
import { page } from '../layout.js';
import type { HistoryPoint } from '../metrics-history.js';

const W = 600;
const H = 160;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

function format(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

/**
 * A line chart as inline SVG (server-side: no script needed). The x axis is the last hour
 * ending now; gaps (no value) break the line. Presentation attributes only: no style attribute,
 * which the CSP would refuse.
 */
export function lineChart(title: string, unit: string, points: HistoryPoint[], value: (p: HistoryPoint) => number | null, now: number, windowMs: number): Html {
  const values = points.map(value).filter((v): v is number => v !== null);
  const max = Math.max(...values, 0) || 1;
  const x = (at: number) => PAD.left + ((at - (now - windowMs)) / windowMs) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const segments: string[] = [];
  let current: string[] = [];
  for (const p of points) {
    const v = value(p);
    if (v === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
      continue;
    }
    current.push(`${x(p.at).toFixed(1)},${y(v).toFixed(1)}`);
  }
  if (current.length) segments.push(current.join(' '));
  const last = values.length ? values[values.length - 1]! : null;
  const summary = values.length
    ? `${title}: latest ${format(last!)} ${unit}, highest ${format(Math.max(...values))} ${unit} over the last ${windowMs >= 3_600_000 ? 'hour' : `${Math.round(windowMs / 60_000)} minutes`}.`
    : `${title}: no data yet.`;
  // Every number below is computed here: raw() carries no received text.
  const grid = [0, 0.5, 1]
    .map((f) => {
      const gy = y(max * f).toFixed(1);
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${gy}" y2="${gy}" stroke="#c8c8c8" stroke-width="1"/><text x="${PAD.left - 4}" y="${gy}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#4d4d4d">${format(max * f)}</text>`;
    })
    .join('');
  const lines = segments
    .map((s) => (s.includes(' ') ? `<polyline points="${s}" fill="none" stroke="#0b57d0" stroke-width="2"/>` : `<circle cx="${s.split(',')[0]}" cy="${s.split(',')[1]}" r="2.5" fill="#0b57d0"/>`))
    .join('');
  const axis = `<text x="${PAD.left}" y="${H - 6}" font-size="11" fill="#4d4d4d">−${Math.round(windowMs / 60_000)} min</text><text x="${W - PAD.right}" y="${H - 6}" font-size="11" text-anchor="end" fill="#4d4d4d">now</text>`;
  return html`<figure class="chart card"><h2>${title}</h2>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}" xmlns="http://www.w3.org/2000/svg">${raw(grid + lines + axis)}</svg>
<figcaption>${summary} (${unit})</figcaption></figure>`;
}

export function chartsPage(deps: ConsoleDeps) {
  return (_req: Request, res: Response) => {
    const points = deps.history.points();
    const now = Date.now();
    // The last hour; while the process is younger than that, the time since the first reading
    // (at least five minutes), so that a fresh start does not draw in the last pixels.
    const hour = Math.min(3_600_000, Math.max(300_000, points.length ? now - points[0]!.at + deps.history.intervalMs : 0));
    const body = html`<p class="muted">From the counters <code>/metrics</code> exposes (this process), read every ${deps.history.intervalMs / 1000} s; kept in memory for an hour (a restart starts afresh).${
      points.length < 2 ? html` Collecting: the first points appear after ${(2 * deps.history.intervalMs) / 1000} s.` : ''
    }</p>
<div class="cards charts">
${lineChart('Deliveries per second', 'deliveries/s', points, (p) => p.deliveriesPerSecond, now, hour)}
${lineChart('Events per second', 'events/s', points, (p) => p.eventsPerSecond, now, hour)}
${lineChart('Dispatch lag', 'seconds', points, (p) => p.dispatchLagSeconds, now, hour)}
${lineChart('Handler failures per second', 'failures/s', points, (p) => p.handlerFailuresPerSecond, now, hour)}
</div>`;
    res.type('html').send(String(page({ title: 'Charts', current: '/console/charts', csrf: sessionOf(res).csrf, body })));
  };
}
