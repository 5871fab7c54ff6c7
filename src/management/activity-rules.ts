import { XAA_EVENT_CATALOG, XAA_EVENT_TYPES, type XaaEventType, type XaaEventTypeFacts } from '../events/xaa-catalog.generated.js';

/**
 * What X documents for creating an XAA activity subscription, per event type (from the catalog
 * generated from X's spec and XAA page): which names exist, which filters each takes, and which
 * credential subscribes to it. Used by the CLI and the management client before calling X, and
 * by the X stand-in to answer as X does.
 */

export function isXaaEventType(s: string): s is XaaEventType {
  return (XAA_EVENT_TYPES as readonly string[]).includes(s);
}

export function eventTypeFacts(t: XaaEventType): XaaEventTypeFacts {
  return XAA_EVENT_CATALOG[t];
}

/** The name X answers with (a deprecated alias becomes its canonical name). */
export function canonicalEventType(t: XaaEventType): XaaEventType {
  return XAA_EVENT_CATALOG[t].aliasOf ?? t;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The documented names closest to `input`: by edit distance (at most a third of the longer name,
 * at least 3 edits), then names sharing its first segment, best first, at most `max`.
 */
export function closeEventTypes(input: string, max = 3): XaaEventType[] {
  const s = input.trim().toLowerCase();
  const scored = XAA_EVENT_TYPES.map((t) => ({ t, d: editDistance(s, t) }))
    .filter(({ t, d }) => d <= Math.max(3, Math.floor(Math.max(s.length, t.length) / 3)) || (s.length > 1 && t.startsWith(`${s.split('.')[0]}.`)))
    .sort((a, b) => a.d - b.d || a.t.localeCompare(b.t));
  return scored.slice(0, max).map(({ t }) => t);
}

/** A bad subscription request, worded for people; nothing was sent to X. */
export class ActivitySubscriptionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActivitySubscriptionInputError';
  }
}

/** The documented event type `input` names, or an error naming the close matches. */
export function parseEventType(input: string): XaaEventType {
  const s = input.trim();
  if (isXaaEventType(s)) return s;
  const close = closeEventTypes(s);
  throw new ActivitySubscriptionInputError(
    `"${input}" is not an event type X documents for activity subscriptions` +
      (close.length ? `: did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : '') +
      ' (`xaa activity types` lists all of them)',
  );
}

export interface ActivityFilterInput {
  user_id?: string | undefined;
  keyword?: string | undefined;
  direction?: string | undefined;
}

export type ActivityFilter = { user_id?: string; keyword?: string; direction?: 'inbound' | 'outbound' };

/**
 * Checks a filter against what X documents for the event type: the filters its row lists
 * (user_id for user events, keyword for news.new), direction only where it applies (like.create;
 * never mute.* or block.*), user ids numeric. Returns the filter to send.
 */
export function checkFilter(t: XaaEventType, input: ActivityFilterInput): ActivityFilter {
  const facts = XAA_EVENT_CATALOG[t];
  const problems: string[] = [];
  const filter: ActivityFilter = {};
  const takes = (name: string) => facts.filters.includes(name);
  const listed = facts.filters.join(', ');
  if (input.user_id !== undefined) {
    if (!takes('user_id')) problems.push(`${t} takes no user_id filter (its filters: ${listed})`);
    else if (!/^\d{1,19}$/.test(input.user_id)) problems.push(`user_id "${input.user_id}" is not a numeric X user id`);
    else filter.user_id = input.user_id;
  } else if (takes('user_id')) problems.push(`${t} needs a user_id filter (the user whose activity to receive)`);
  if (input.keyword !== undefined) {
    if (!takes('keyword')) problems.push(`${t} takes no keyword filter (its filters: ${listed})`);
    else if (!input.keyword.trim()) problems.push('keyword must not be empty');
    else filter.keyword = input.keyword;
  } else if (takes('keyword')) problems.push(`${t} needs a keyword filter`);
  if (input.direction !== undefined) {
    if (input.direction !== 'inbound' && input.direction !== 'outbound') problems.push(`direction must be inbound or outbound, not "${input.direction}"`);
    else if (!facts.direction) problems.push(`${t} takes no direction filter${facts.actorOnly ? ' (X: not supported for mute.* and block.* events)' : ` (X documents direction for ${directional().join(', ')})`}`);
    else filter.direction = input.direction;
  }
  if (problems.length) throw new ActivitySubscriptionInputError(`invalid subscription to ${t}: ${problems.join('; ')}`);
  return filter;
}

function directional(): XaaEventType[] {
  return XAA_EVENT_TYPES.filter((t) => XAA_EVENT_CATALOG[t].direction);
}

/** X's tag: 1 to 200 characters. */
export function checkTag(tag: string): string {
  if (tag.length < 1 || tag.length > 200) throw new ActivitySubscriptionInputError(`tag must be 1 to 200 characters (it has ${tag.length})`);
  return tag;
}

/**
 * The credential a subscription to this type is made with:
 * - `user`: a private event: the OAuth 2.0 user token of the user in filter.user_id, who
 *   authorized the app (with `oauth2Scope`);
 * - `app`: a public event, or one X's page does not classify (`unstated`): the app bearer token,
 *   or that user's OAuth 2.0 token when one is configured for that user.
 */
export function subscriptionCredential(t: XaaEventType): { kind: 'app' | 'user'; access: XaaEventTypeFacts['access']; scope: string } {
  const f = XAA_EVENT_CATALOG[t];
  return { kind: f.access === 'private' ? 'user' : 'app', access: f.access, scope: f.docScope ?? f.oauth2Scope };
}

export interface EventFamilyAccess {
  family: string;
  /** Canonical names only (aliases left out). */
  eventTypes: XaaEventType[];
  public: XaaEventType[];
  private: Array<{ type: XaaEventType; scope: string }>;
  unstated: XaaEventType[];
}

/** Per family (post, like, follow, ...): which of its types are public, private (with the scope) or not classified by X. */
export function eventFamilies(): EventFamilyAccess[] {
  const out = new Map<string, EventFamilyAccess>();
  for (const t of XAA_EVENT_TYPES) {
    const f = XAA_EVENT_CATALOG[t];
    if (f.aliasOf) continue;
    const fam = out.get(f.family) ?? { family: f.family, eventTypes: [], public: [], private: [], unstated: [] };
    fam.eventTypes.push(t);
    if (f.access === 'public') fam.public.push(t);
    else if (f.access === 'private') fam.private.push({ type: t, scope: f.docScope ?? f.oauth2Scope });
    else fam.unstated.push(t);
    out.set(f.family, fam);
  }
  return [...out.values()];
}
