import type { Request, Response } from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Management } from '../management/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Database } from '../store/index.js';
import type { MetricsHistory } from './metrics-history.js';
import type { Session, SessionStore } from './session.js';
import type { LiveTail } from './live-tail.js';

/** What every console module gets. */
export interface ConsoleDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  sessions: SessionStore;
  tail: LiveTail;
  history: MetricsHistory;
  /** The X API client with the local mirror (the management service), as the CLI makes it. */
  management: () => Management;
}

/** The session of a request that passed requireSession. */
export function sessionOf(res: Response): Session {
  return res.locals.session as Session;
}

/** A single query or form value as a trimmed string ('' when absent or repeated). */
export function field(source: Request['query'] | Record<string, unknown> | undefined, name: string): string {
  const v = (source as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
}

/** A form value that may be given several times (checkboxes). */
export function fields(source: Record<string, unknown> | undefined, name: string): string[] {
  const v = source?.[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A mistake in a submitted form: answered 400 with its message, where X refusing or failing is 502. */
export class FormError extends Error {}

/** The message of an error, for an operator's page (never a stack). */
export function problem(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
