// How the client reads X's answers about filtered-stream links: GET /2/tweets/search/webhooks in
// the spec's shape ({data: [links]}) and the quickstart's ({data: {links: [...]}}), and a link's
// `fields` as X lists them (each parameter's list split at its commas).
import { describe, expect, it } from 'vitest';
import { linkFieldsQuery, linkFieldsText, linkQuery, parseStreamLinks } from '../../src/management/filtered-stream.js';

const LINK = {
  application_id: '29800001',
  business_user_id: '1800000000000000001',
  fields: ['user.fields=username', 'name', 'id', 'expansions=author_id'],
  instance_id: '1800000000000000002',
  webhook_id: '1800000000000000003',
};

describe('filtered-stream links as X answers them', () => {
  it('reads the spec\'s list and the quickstart\'s {links} alike', () => {
    const expected = [{ ...LINK }];
    expect(parseStreamLinks({ data: [LINK] })).toEqual(expected);
    expect(parseStreamLinks({ data: { links: [LINK] } })).toEqual(expected);
    expect(parseStreamLinks({})).toEqual([]);
    expect(parseStreamLinks({ data: { links: 'x' } })).toEqual([]);
  });

  it('reads a link\'s fields, split at their commas, back into its query', () => {
    expect(linkFieldsQuery(LINK.fields)).toEqual({ 'user.fields': 'username,name,id', expansions: 'author_id' });
    expect(linkFieldsText(LINK.fields)).toBe('user.fields=username,name,id expansions=author_id');
    // Unsplit items (one per parameter) read the same.
    expect(linkFieldsQuery(['expansions=author_id,referenced_tweets.id', 'tweet.fields=created_at'])).toEqual({ expansions: 'author_id,referenced_tweets.id', 'tweet.fields': 'created_at' });
    expect(linkFieldsQuery([])).toEqual({});
    // What the client asks for is what it reads back.
    const asked = linkQuery({ expansions: 'author_id', 'user.fields': 'username, name' });
    const listed = Object.entries(asked).flatMap(([k, v]) => {
      const [first, ...rest] = v.split(',');
      return [`${k}=${first}`, ...rest];
    });
    expect(linkFieldsQuery(listed)).toEqual(asked);
  });
});
