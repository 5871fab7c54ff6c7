import { createHash } from 'node:crypto';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function obj(value: unknown): Json {
  return isObject(value) ? value : {};
}

/** An id as a string: strings as they are, safe integers printed, anything else null. */
export function idString(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return null;
}

/** The id of a user object in either format (`id_str` first, then `id`, then `{data: {id}}`). */
export function userId(user: unknown): string | null {
  const u = obj(user);
  return idString(u.id_str) ?? idString(u.id) ?? (isObject(u.data) ? idString(u.data.id) : null);
}

/** Milliseconds since the epoch from X's many time formats: ms numbers or strings, ISO, v1.1 dates. */
export function timeMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d{10,16}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

export function dateOf(ms: number | null): Date | null {
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A UTF-16 surrogate without its pair: UTF-8 encoding turns every one into the same U+FFFD. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair (not encodable as UTF-8): text no store keeps as is. */
export const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`);

/** A short stable hash of parts, for activities X gives no id of their own. */
export function hashKey(...parts: Array<string | number | null | undefined>): string {
  const text = parts.map((p) => (p == null ? '' : String(p))).join('\u0000');
  // Escaped when it holds lone surrogates, so that different such texts keep different hashes
  // (any other text hashes exactly as before: stored keys stay valid).
  const hashed = LONE_SURROGATE.test(text) ? JSON.stringify(text) : text;
  return 'h' + createHash('sha256').update(hashed).digest('hex').slice(0, 40);
}

/** The dedupe key: the subscribed user and the activity. */
export function dedupeKey(forUserId: string | null, kind: string, activity: string): string {
  return `${forUserId ?? '-'}:${kind}:${activity}`;
}

export function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
