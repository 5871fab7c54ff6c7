import { linkFieldsQuery } from '../../management/filtered-stream.js';
import { filteredStreamBody, newActivity, snowflake, type Activity, type SampleRule } from '../samples.js';
import type { XStandIn } from './standin.js';
import type { DeliveryRecord, OutboxEntry, StreamRuleState } from './types.js';

/**
 * X's filtered-stream webhooks, as the stand-in runs them: the app's rules (StreamRuleState,
 * routes/filtered-stream.ts) decide which Posts match; each webhook linked to the stream gets one
 * delivery per matching Post, naming every rule it matched (X's filtered stream delivers a Post
 * once with all its matching rules), signed like every webhook POST (deliveries.ts), and kept
 * for the webhook replay (X's replay covers "all events delivered or attempted" to the webhook).
 *
 * Rule matching is a small subset of X's rule language, enough for tests and local development:
 * keywords (whole words, case-insensitive), "quoted phrases", #hashtags and @mentions as words,
 * `from:<user id or username>`, `-` to negate any of them, terms ANDed by spaces, and top-level
 * `OR` between groups. Anything else (parentheses, other operators) is read as a keyword.
 */

function terms(group: string): string[] {
  return [...group.matchAll(/-?"[^"]*"|\S+/g)].map((m) => m[0]);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function termMatches(term: string, post: { text: string; authorId: string; authorUsername: string }): boolean {
  const t = term.replace(/^"|"$/g, '');
  const from = /^from:(.+)$/i.exec(t);
  if (from) return from[1] === post.authorId || from[1]!.toLowerCase() === post.authorUsername.toLowerCase();
  if (t === '') return true;
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escape(t)}(?=$|[^\\p{L}\\p{N}_])`, 'iu').test(post.text);
}

/** Whether a rule's value matches a post (see the subset above). */
export function ruleMatches(value: string, post: { text: string; authorId: string; authorUsername: string }): boolean {
  return value.split(/\s+OR\s+/).some((group) => {
    const ts = terms(group);
    return ts.length > 0 && ts.every((term) => (term.startsWith('-') && term.length > 1 ? !termMatches(term.slice(1), post) : termMatches(term, post)));
  });
}

/** The app's rules a post matches, as matching_rules names them. */
export function matchingRules(rules: Iterable<StreamRuleState>, post: { text: string; authorId: string; authorUsername: string }): SampleRule[] {
  return [...rules].filter((r) => ruleMatches(r.value, post)).map((r) => (r.tag !== undefined ? { id: r.id, tag: r.tag } : { id: r.id }));
}

/**
 * Delivers a post with these matching rules to every webhook linked to the filtered stream
 * (kept for replays; only valid webhooks get it now, and none when `deliver` is false).
 */
export async function deliverMatch(x: XStandIn, activity: Activity, rules: readonly SampleRule[], deliver = true): Promise<DeliveryRecord[]> {
  const entries: OutboxEntry[] = [];
  for (const link of x.streamLinks.values()) {
    if (!x.webhooks.has(link.webhook_id)) continue;
    // The fields of the link decide the Post's fields and includes, as X's fields pages say.
    const body = filteredStreamBody(activity, rules, { link: linkFieldsQuery(link.fields) });
    entries.push({ webhookId: link.webhook_id, at: activity.at, format: 'filtered_stream', body, activity });
  }
  return x.queue(entries, deliver);
}

/**
 * A public post is made at X: matched against the app's rules and, when it matches any,
 * delivered once to each linked webhook with every rule it matched.
 */
export async function emitPost(
  x: XStandIn,
  o: { text: string; authorId?: string; at?: Date; id?: string; deliver?: boolean },
): Promise<{ activity: Activity; rules: SampleRule[]; deliveries: DeliveryRecord[] }> {
  const authorId = o.authorId ?? '1375036644';
  const authorUsername = x.users.find((u) => u.id === authorId)?.username ?? `user${authorId}`;
  const at = o.at ?? x.now();
  const rules = matchingRules(x.streamRules.values(), { text: o.text, authorId, authorUsername });
  const activity = newActivity('post.match', '', { otherUserId: authorId, text: o.text, at, id: o.id ?? snowflake(at.getTime()) });
  activity.rules = rules;
  if (rules.length === 0) return { activity, rules, deliveries: [] };
  return { activity, rules, deliveries: await deliverMatch(x, activity, rules, o.deliver ?? true) };
}
