// The normalized fields are derived whenever the dispatcher builds an event: from any payload and
// side objects a store may hold (X's, a hostile sender's, an older version's), they never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type ParsedXEvent } from '../../src/events/index.js';
import { eventData } from '../../src/normalize/event-data/index.js';

const KEYS = ['id', 'id_str', 'user', 'source', 'target', 'data', 'entities', 'mentions', 'user_mentions', 'referenced_tweets', 'referenced_posts', 'includes', 'users', 'filter', 'direction', 'message_create', 'sender_id', 'text', 'created_at', 'timestamp_ms', 'broadcast_id', 'author', 'cluster_posts_results', 'matchingRules', 'matching_rules', '__proto__', 'constructor'];

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), tie('obj'), fc.array(tie('any'), { maxLength: 3 })),
  obj: fc.dictionary(fc.constantFrom(...KEYS), tie('any'), { maxKeys: 5 }),
})).any;

describe('eventData', () => {
  it('never throws, whatever the payload and side objects, for every type and format', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_TYPES), fc.constantFrom('aaa', 'xaa', 'filtered_stream'), value, value, fc.option(fc.string(), { nil: null }), (type, format, payload, side, forUserId) => {
        const event = { id: 'k', type, action: null, forUserId, format, occurredAt: null, payload, side } as unknown as ParsedXEvent;
        const data = eventData(event);
        expect(type === 'unknown' ? data === null : typeof data === 'object' && data !== null).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
