import type { HandledRun } from '../../dispatch/index.js';
import { prepareDelivery } from '../../normalize/prepare.js';
import type { AnsweredDelivery } from '../../receiver/ingest.js';

/** What `xaa dev` prints about one delivery (a line, or with --json an object). */
export interface DeliveryLine {
  kind: 'delivery';
  /** The HTTP status the receiver answered. */
  status: number;
  /** new, duplicate (every event known already), "N new, M duplicate", or why it was refused. */
  outcome: string;
  types: string[];
  format: string;
  users: string[];
  events: number;
  duplicates: number;
  ms: number;
  /** Why a delivery was refused (401, 400, 503). */
  message?: string;
}

/** What `xaa dev` prints about one run of a plugin's handlers on an event. */
export interface HandlerLine {
  kind: 'handler';
  plugin: string;
  type: string;
  format: string;
  user: string | null;
  event: string;
  attempt: number;
  outcome: 'ok' | 'failed' | 'dead-lettered';
  ms: number;
  error?: string;
  retryAt?: string;
}

const uniq = (values: Array<string | null | undefined>) => [...new Set(values.filter((v): v is string => Boolean(v)))];
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Describes an answered delivery: its events' types, format and users (the body is parsed again, here only). */
export function deliveryLine({ body, reply, ms }: AnsweredDelivery): DeliveryLine {
  const answer = reply.body as { status?: string; events?: number; duplicates?: number; message?: string };
  const prepared = body ? prepareDelivery({ receivedAt: new Date(), body, contentType: null, userAgent: null, remoteAddr: null }) : undefined;
  const events = answer.events ?? 0;
  const duplicates = answer.duplicates ?? 0;
  let outcome: string;
  if (reply.status === 200) {
    outcome = answer.status === 'duplicate' ? 'duplicate' : duplicates > 0 ? `${events} new, ${duplicates} duplicate` : 'new';
  } else {
    outcome = reply.status === 401 ? 'rejected' : reply.status === 400 ? 'unparseable' : reply.status === 503 ? 'unavailable' : 'refused';
  }
  return {
    kind: 'delivery',
    status: reply.status,
    outcome,
    types: uniq(prepared?.events.map((e) => e.type) ?? []),
    format: prepared && prepared.format !== 'unknown' ? prepared.format : '-',
    users: uniq(prepared?.events.map((e) => e.forUserId) ?? []),
    events,
    duplicates,
    ms: round(ms),
    ...(reply.status === 200 ? {} : { message: String(answer.message ?? '') }),
  };
}

export function handlerLine(run: HandledRun): HandlerLine {
  return {
    kind: 'handler',
    plugin: run.plugin,
    type: run.event.type,
    format: run.event.format,
    user: run.event.forUserId,
    event: run.event.id,
    attempt: run.attempt,
    outcome: run.ok ? 'ok' : run.retryAt ? 'failed' : 'dead-lettered',
    ms: round(run.seconds * 1000),
    ...(run.error ? { error: run.error } : {}),
    ...(run.retryAt ? { retryAt: run.retryAt.toISOString() } : {}),
  };
}

/** ANSI colors when printing to a terminal; plain text otherwise. */
export function palette(colorize: boolean) {
  const paint = (code: number) => (text: string) => (colorize ? `\u001b[${code}m${text}\u001b[39m` : text);
  return { green: paint(32), red: paint(31), yellow: paint(33), cyan: paint(36), dim: (t: string) => (colorize ? `\u001b[2m${t}\u001b[22m` : t) };
}

/** One line: `delivery  follow  aaa  user 2244994945  new  200  3 ms`. */
export function formatDelivery(d: DeliveryLine, colors = palette(false)): string {
  const what = [d.types.join(',') || '-', d.format, d.users.length ? `user ${d.users.join(',')}` : 'no user'];
  const outcome = d.status === 200 ? (d.outcome === 'duplicate' ? colors.yellow(d.outcome) : colors.green(d.outcome)) : colors.red(d.outcome);
  const tail = d.message ? `: ${d.message}` : '';
  return [colors.cyan('delivery'), ...what, outcome, String(d.status), `${d.ms} ms${tail}`].join('  ');
}

/** One line: `handler   crm  follow  aaa  user 2244994945  ok  12 ms`. */
export function formatHandler(h: HandlerLine, colors = palette(false)): string {
  const outcome = h.outcome === 'ok' ? colors.green('ok') : colors.red(h.outcome);
  const retry = h.retryAt ? `; retry at ${h.retryAt}` : '';
  const tail = h.outcome === 'ok' ? '' : ` (attempt ${h.attempt}): ${h.error ?? 'failed'}${retry}`;
  return [colors.cyan('handler '), h.plugin, h.type, h.format, h.user ? `user ${h.user}` : 'no user', outcome, `${h.ms} ms${tail}`].join('  ');
}
