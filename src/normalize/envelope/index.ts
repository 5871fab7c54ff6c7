import * as build from './activities.js';
import { looksLikeAaa, parseAaa } from './aaa.js';
import { isObject } from './fields.js';
import type { ParsedDelivery } from './types.js';
import { looksLikeXaa, parseXaa } from './xaa.js';

export type { ParsedDelivery } from './types.js';

/**
 * Splits a parsed JSON body into normalized events, whichever API sent it. A body that is
 * neither envelope becomes one `unknown` event holding the whole body: nothing is dropped.
 */
export function parseEnvelope(body: unknown): ParsedDelivery {
  if (isObject(body)) {
    if (looksLikeXaa(body)) return { format: 'xaa', events: parseXaa(body) };
    if (looksLikeAaa(body)) return { format: 'aaa', events: parseAaa(body) };
  }
  const common = { forUserId: null, format: 'aaa' as const, side: { source: 'body' } };
  return { format: 'unknown', events: [build.unknown(common, 'body', body)] };
}
