/**
 * Errors of the X API client, worded for people: each names what failed, X's own explanation
 * (title, detail, type and the "Reason: details" messages), and what to do.
 */

/** One problem X reported, from `errors[]` or the top-level problem object. */
export interface XProblem {
  /** X's reason code, from a "Reason: details" message (CrcValidationFailed, ...). */
  reason?: string;
  message?: string;
  title?: string;
  detail?: string;
  type?: string;
}

export interface XErrorBody {
  title?: string;
  detail?: string;
  type?: string;
  problems: XProblem[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** X's "Reason: details" form, e.g. "CrcValidationFailed: Response token is invalid". */
const REASON = /^([A-Z][A-Za-z]+)\s*:\s*(.*)$/s;

function problemOf(item: Record<string, unknown>): XProblem {
  const p: XProblem = {};
  const message = str(item.message);
  if (message) {
    p.message = message;
    const m = REASON.exec(message);
    if (m) p.reason = m[1];
  }
  const title = str(item.title);
  const detail = str(item.detail);
  const type = str(item.type);
  if (title) p.title = title;
  if (detail) p.detail = detail;
  if (type) p.type = type;
  return p;
}

/** Reads X's error body in any of its shapes (v2 problem, errors[], v1.1 code/message); never throws. */
export function parseXErrorBody(text: string): XErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const snippet = text.trim().slice(0, 300);
    return snippet ? { problems: [{ message: snippet }] } : { problems: [] };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { problems: [] };
  const o = json as Record<string, unknown>;
  const body: XErrorBody = { problems: [] };
  const title = str(o.title);
  const detail = str(o.detail);
  const type = str(o.type);
  if (title) body.title = title;
  if (detail) body.detail = detail;
  if (type) body.type = type;
  if (Array.isArray(o.errors)) {
    for (const e of o.errors) if (e && typeof e === 'object') body.problems.push(problemOf(e as Record<string, unknown>));
  }
  return body;
}

/** "400 Invalid Request: One or more parameters ... — CrcValidationFailed: ... (type ...)" */
export function describeXErrorBody(status: number, body: XErrorBody): string {
  const parts: string[] = [];
  const head = [String(status), body.title].filter(Boolean).join(' ');
  parts.push(body.detail && body.detail !== body.title ? `${head}: ${body.detail}` : head);
  for (const p of body.problems) {
    const text = p.message ?? [p.title, p.detail].filter(Boolean).join(': ');
    if (text && !parts.some((x) => x.includes(text))) parts.push(text);
  }
  let out = parts.join(' — ');
  const type = body.type ?? body.problems.find((p) => p.type)?.type;
  if (type && type !== 'about:blank') out += ` (type ${type})`;
  return out;
}

/** X answered with an error status. */
export class XApiError extends Error {
  readonly status: number;
  readonly operation: string;
  readonly body: XErrorBody;
  /** True when the call may have been carried out at X all the same (a POST answered 5xx): see XUnreachableError. */
  readonly outcomeUnknown: boolean;
  constructor(operation: string, status: number, body: XErrorBody, hint?: string, outcomeUnknown = false) {
    super(`${operation} failed: ${describeXErrorBody(status, body)}${hint ? `. ${hint}` : ''}`);
    this.name = 'XApiError';
    this.status = status;
    this.operation = operation;
    this.body = body;
    this.outcomeUnknown = outcomeUnknown;
  }

  /** X's reason codes (CrcValidationFailed, DuplicateUrlFailed, ...). */
  get reasons(): string[] {
    return this.body.problems.map((p) => p.reason).filter((r): r is string => Boolean(r));
  }

  get title(): string | undefined {
    return this.body.title;
  }

  get detail(): string | undefined {
    return this.body.detail;
  }

  get type(): string | undefined {
    return this.body.type;
  }
}

/**
 * X refused to subscribe a user because the user is subscribed already: AAA's 409 Conflict with
 * a DuplicateSubscriptionFailed reason (v1.1: code 355, "Subscription already exists").
 */
export function isDuplicateSubscription(error: unknown): error is XApiError {
  if (!(error instanceof XApiError)) return false;
  if (error.reasons.some((r) => /^DuplicateSubscription/.test(r))) return true;
  const texts = [error.title, error.detail, ...error.body.problems.map((p) => p.message ?? p.detail)].filter(Boolean).join(' ');
  return error.status === 409 || /already (subscribed|exists)/i.test(texts);
}

/** X answered 429 and the window resets later than we are willing to wait. */
export class RateLimitedError extends XApiError {
  readonly resetAt: Date | null;
  constructor(operation: string, body: XErrorBody, resetAt: Date | null, now = Date.now()) {
    const when = resetAt
      ? `retry after ${resetAt.toISOString()} (in ${formatWait(resetAt.getTime() - now)})`
      : 'retry later (X gave no x-rate-limit-reset)';
    super(operation, 429, body, `Rate limited by X: ${when}`);
    this.name = 'RateLimitedError';
    this.resetAt = resetAt;
  }
}

/** X could not be reached, or did not answer in time, after every retry. */
export class XUnreachableError extends Error {
  readonly operation: string;
  /**
   * True when the call may have been carried out at X all the same (a POST whose answer was lost):
   * a handler that must not do it twice checks this before throwing, since a throw means "run me
   * again later".
   */
  readonly outcomeUnknown: boolean;
  constructor(operation: string, message: string, outcomeUnknown = false) {
    super(`${operation} failed: ${message}`);
    this.name = 'XUnreachableError';
    this.operation = operation;
    this.outcomeUnknown = outcomeUnknown;
  }
}

/** A credential the operation needs is not configured: names the variables to set. */
export class MissingCredentialError extends Error {
  readonly variables: string[];
  constructor(operation: string, variables: string[], alternatives?: string) {
    super(`${operation} needs ${alternatives ?? `${variables.join(', ')} to be set`}`);
    this.name = 'MissingCredentialError';
    this.variables = variables;
  }
}

export function formatWait(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.round(m / 60)} h`;
}
