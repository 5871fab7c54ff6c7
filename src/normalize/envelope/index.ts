import type { AnyXEvent } from '../../events/index.js';
import { withData } from '../event-data/index.js';
import * as build from './activities.js';
import { looksLikeAaa, parseAaa } from './aaa.js';
import { isObject } from './fields.js';
import { looksLikeFilteredStream, parseFilteredStream } from './filtered-stream.js';
import type { ParsedDelivery } from './types.js';
import { looksLikeXaa, parseXaa } from './xaa.js';

export type { ParsedDelivery } from './types.js';
export { XAA_TO_CANONICAL, xaaMapping } from './xaa-map.js';
export { FILTERED_STREAM_SOURCE } from './filtered-stream.js';

/**
 * Splits a parsed JSON body into normalized events, whichever API sent it (AAA, XAA, or a
 * filtered-stream webhook delivery). A body that is none of them becomes one `unknown` event
 * holding the whole body: nothing is dropped.
 */
export function parseEnvelope(body: unknown): ParsedDelivery {
  if (isObject(body)) {
    if (looksLikeXaa(body)) return { format: 'xaa', events: parseXaa(body) };
    if (looksLikeFilteredStream(body)) return { format: 'filtered_stream', events: parseFilteredStream(body) };
    if (looksLikeAaa(body)) return { format: 'aaa', events: parseAaa(body) };
  }
  const common = { forUserId: null, format: 'aaa' as const, side: { source: 'body' } };
  return { format: 'unknown', events: [build.unknown(common, 'body', body)] };
}

/** The events of a parsed JSON body with their normalized fields (`data`), as handlers get them. */
export function parseEvents(body: unknown): AnyXEvent[] {
  return parseEnvelope(body).events.map(withData);
}
