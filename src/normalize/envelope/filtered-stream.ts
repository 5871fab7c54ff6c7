import type { ParsedXEvent, SideObjects } from '../../events/index.js';
import * as build from './activities.js';
import { idString, isObject, type Json } from './fields.js';

/** What a filtered-stream delivery's events arrived under (`side.source`, the `unknown` action). */
export const FILTERED_STREAM_SOURCE = 'filtered_stream';

/**
 * A filtered-stream webhook delivery: one Post matching the app's rules, shaped as the v2
 * filtered stream sends it, `{"data": {post}, "includes": {...}, "matching_rules": [{id, tag}]}`
 * (X's filtered-stream webhooks quickstart; the spec's StreamPostsResponse). Its mark is the
 * top-level `matching_rules`, which neither AAA nor XAA envelopes have (XAA is checked first: a
 * body with `data.event_type` is XAA whatever else it holds).
 */
export function looksLikeFilteredStream(body: Json): boolean {
  return Object.hasOwn(body, 'matching_rules');
}

/** The rules of `matching_rules` that have an id (X's spec requires one; the tag is optional). */
export function readableRules(rules: unknown): Array<{ id: string; tag: string | null }> {
  if (!Array.isArray(rules)) return [];
  const out: Array<{ id: string; tag: string | null }> = [];
  for (const r of rules) {
    const id = isObject(r) ? idString(r.id) : null;
    if (id !== null) out.push({ id, tag: typeof r.tag === 'string' ? r.tag : null });
  }
  return out;
}

/**
 * One `post.match` event for the Post, with `matching_rules` and `includes` kept in the side
 * objects. A delivery that is not a Post with an id and at least one rule with an id is kept
 * whole as one `unknown` event whose action is `filtered_stream.malformed`: stored, listed,
 * handed to `onAny` handlers, never to `post.match` handlers.
 */
export function parseFilteredStream(body: Json): ParsedXEvent[] {
  const side: SideObjects = { source: FILTERED_STREAM_SOURCE };
  if (Array.isArray(body.matching_rules)) side.matchingRules = body.matching_rules;
  if (isObject(body.includes)) side.includes = body.includes;
  const c = { forUserId: null, format: 'filtered_stream' as const, side };
  const post = body.data;
  if (!isObject(post) || idString(post.id) === null || readableRules(body.matching_rules).length === 0) {
    return [build.unknown({ ...c, side: { source: FILTERED_STREAM_SOURCE } }, `${FILTERED_STREAM_SOURCE}.malformed`, body)];
  }
  return [build.postMatch(c, post)];
}
