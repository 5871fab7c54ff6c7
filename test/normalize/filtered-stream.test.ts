// Filtered-stream webhook deliveries (a Post matching the app's rules, `{data, includes,
// matching_rules}`), from the project's own generated samples: told apart from AAA and XAA
// envelopes, normalized into one post.match event with the rules, keyed by the post id alone.
import { describe, expect, it } from 'vitest';
import type { AnyXEvent, XEvent } from '../../src/events/index.js';
import { parseEnvelope, parseEvents } from '../../src/normalize/envelope/index.js';
import { parseJsonLossless } from '../../src/normalize/json.js';
import { prepareDelivery } from '../../src/normalize/prepare.js';
import { filteredStreamBody, newActivity, sampleBody } from '../../src/testing/samples.js';

const AUTHOR = '1375036644';
const AT = new Date('2026-11-30T09:15:41.000Z');

function parse(body: string): AnyXEvent[] {
  return parseEvents(parseJsonLossless(body));
}

function match(rules = [{ id: '1166916266197536768', tag: 'coffee' }, { id: '1166916266197536769', tag: 'tea' }]) {
  return newActivity('post.match', '', { at: AT, otherUserId: AUTHOR, text: 'coffee and tea at the office', rules });
}

describe('filtered-stream deliveries', () => {
  it('become one post.match event with the post fields and both matching rules', () => {
    const a = match();
    const body = filteredStreamBody(a);
    expect(parseEnvelope(parseJsonLossless(body)).format).toBe('filtered_stream');
    const events = parse(body);
    expect(events).toHaveLength(1);
    const e = events[0] as XEvent<'post.match'>;
    expect(e).toMatchObject({ type: 'post.match', action: null, forUserId: null, format: 'filtered_stream', occurredAt: AT, id: `-:post.match:${a.id}` });
    expect(e.data).toEqual({
      postId: a.id,
      authorId: AUTHOR,
      authorUsername: `user${AUTHOR}`,
      text: 'coffee and tea at the office',
      createdAt: AT,
      conversationId: a.id,
      inReplyToPostId: null,
      inReplyToUserId: null,
      quotedPostId: null,
      repostedPostId: null,
      mentionedUserIds: [],
      role: null,
      rules: [
        { id: '1166916266197536768', tag: 'coffee' },
        { id: '1166916266197536769', tag: 'tea' },
      ],
    });
    // The raw post is the payload; X's matching_rules and includes stay beside it.
    expect(e.payload).toEqual(JSON.parse(body).data);
    expect(e.side).toMatchObject({ source: 'filtered_stream', matchingRules: JSON.parse(body).matching_rules, includes: JSON.parse(body).includes });
  });

  it('the same post delivered again, or naming other rules, has the same dedupe key', () => {
    const a = match();
    const first = parse(filteredStreamBody(a))[0]!;
    expect(parse(filteredStreamBody(a))[0]!.id).toBe(first.id);
    const other = parse(filteredStreamBody(a, [{ id: '42', tag: 'other' }]))[0]!;
    expect(other.id).toBe(first.id);
    expect((other as XEvent<'post.match'>).data.rules).toEqual([{ id: '42', tag: 'other' }]);
    // A different post (an edit is a new post id) is a different event.
    expect(parse(filteredStreamBody(match()))[0]!.id).not.toBe(first.id);
  });

  it('a rule without a tag has tag null; entries without an id are left out of rules (kept in side)', () => {
    const a = match();
    const body = JSON.stringify({ ...JSON.parse(filteredStreamBody(a)), matching_rules: [{ id: '7' }, { tag: 'no id' }, 'junk', { id: 8, tag: 'numeric' }] });
    const e = parse(body)[0] as XEvent<'post.match'>;
    expect(e.type).toBe('post.match');
    expect(e.data.rules).toEqual([{ id: '7', tag: null }, { id: '8', tag: 'numeric' }]);
    expect(e.side.matchingRules).toHaveLength(4);
  });

  it('is not taken for an AAA or XAA envelope, nor they for it', () => {
    const post = newActivity('post.create', '2244994945', { at: AT, otherUserId: AUTHOR });
    expect(parseEnvelope(parseJsonLossless(sampleBody(post, 'aaa'))).format).toBe('aaa');
    expect(parseEnvelope(parseJsonLossless(sampleBody(post, 'xaa'))).format).toBe('xaa');
    // An XAA envelope stays XAA even with a matching_rules key beside it.
    const xaa = { ...JSON.parse(sampleBody(post, 'xaa')), matching_rules: [{ id: '1' }] };
    expect(parseEnvelope(xaa).format).toBe('xaa');
  });

  it.each([
    ['no post', { matching_rules: [{ id: '1', tag: 't' }] }],
    ['a post without an id', { data: { text: 'hello' }, matching_rules: [{ id: '1', tag: 't' }] }],
    ['a list of posts', { data: [{ id: '1', text: 'a' }], matching_rules: [{ id: '1', tag: 't' }] }],
    ['no readable rule', { data: { id: '1985234567890123456', text: 'hello' }, matching_rules: [{ tag: 't' }] }],
    ['rules that are not a list', { data: { id: '1985234567890123456', text: 'hello' }, matching_rules: { id: '1' } }],
  ])('keeps a malformed delivery (%s) whole as unknown filtered_stream.malformed, stored and accepted', (_name, content) => {
    const body = JSON.stringify(content);
    const events = parse(body);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'unknown', action: 'filtered_stream.malformed', format: 'filtered_stream', forUserId: null, data: null });
    expect(events[0]!.payload).toEqual(content);
    const prepared = prepareDelivery({ body: Buffer.from(body), receivedAt: new Date(), contentType: 'application/json', userAgent: null, remoteAddr: null });
    expect(prepared).toMatchObject({ format: 'filtered_stream', status: 'accepted' });
    expect(prepared.events.map((e) => [e.type, e.action])).toEqual([['unknown', 'filtered_stream.malformed']]);
  });
});
