// The stand-in's filtered-stream rule subset (keywords, "phrases", from:, negation, OR) and its
// X-shaped answers to the link and rule endpoints, through the X client over loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XApiError, XClient } from '../../src/management/index.js';
import { ruleMatches } from '../../src/testing/x-standin/filtered-stream.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';

const post = (text: string, authorId = '1375036644', authorUsername = 'xdevelopers') => ({ text, authorId, authorUsername });

describe('the stand-in\'s filtered-stream rules', () => {
  it.each([
    ['coffee', 'Coffee time!', true],
    ['coffee', 'coffeehouse', false],
    ['coffee tea', 'tea and coffee', true],
    ['coffee tea', 'coffee only', false],
    ['"good morning"', 'a Good Morning to all', true],
    ['"good morning"', 'morning, good people', false],
    ['coffee -decaf', 'decaf coffee', false],
    ['coffee -decaf', 'strong coffee', true],
    ['from:1375036644', 'anything', true],
    ['from:XDevelopers', 'anything', true],
    ['from:2244994945', 'anything', false],
    ['tea OR juice', 'orange juice', true],
    ['tea OR juice', 'water', false],
    ['#launch', 'the #launch is today', true],
  ])('%s on "%s": %s', (rule, text, expected) => {
    expect(ruleMatches(rule, post(text))).toBe(expected);
  });
});

describe('the stand-in\'s link and rule endpoints, through the X client', () => {
  const standin = new XStandIn({ consumerKey: 'k', consumerSecret: 'standin-fs-secret', bearerToken: 'standin-fs-bearer', allowLoopbackHttp: true });
  let client: XClient;
  beforeAll(async () => {
    await standin.start();
    client = new XClient({ baseUrl: standin.url, credentials: { bearerToken: 'standin-fs-bearer' }, retries: 0 });
  });
  afterAll(() => standin.stop());

  it('refuses an unknown webhook and an unknown query parameter as X does; without the bearer token the client refuses before calling', async () => {
    const unknown = await client.linkStream('123').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(XApiError);
    expect((unknown as XApiError).status).toBe(400);
    expect((unknown as XApiError).reasons).toContain('WebhookIdInvalid');
    await expect(client.linkStream('12a')).rejects.toThrow(/not a webhook id: "12a"/);
    await expect(client.linkStream('123', { 'tweet.fields': ' , ' })).rejects.toThrow(/tweet.fields is empty/);
    const asUser = new XClient({ baseUrl: standin.url, credentials: { oauth2UserToken: 'nobody' }, retries: 0 });
    await expect(asUser.listStreamLinks()).rejects.toThrow(/X_BEARER_TOKEN/);
  });

  it('adds, lists (by ids too) and deletes rules, with X\'s summary; a dry run adds nothing', async () => {
    const dry = await client.addStreamRules([{ value: 'solar', tag: 'energy' }], { dryRun: true });
    expect(dry.summary).toMatchObject({ created: 0, valid: 1 });
    expect(await client.listStreamRules()).toEqual([]);
    const added = await client.addStreamRules([{ value: 'solar', tag: 'energy' }, { value: 'wind' }]);
    expect(added.summary).toMatchObject({ created: 2, not_created: 0 });
    const [solar, wind] = added.rules;
    expect(wind).toEqual({ id: expect.stringMatching(/^\d+$/), value: 'wind' });
    expect(await client.listStreamRules([solar!.id])).toEqual([solar]);
    await expect(client.addStreamRules([{ value: ' ' }])).rejects.toThrow(/a rule needs a value/);
    const removed = await client.deleteStreamRules([solar!.id, wind!.id, '99']);
    expect(removed.summary).toMatchObject({ deleted: 2, not_deleted: 1 });
    expect(removed.problems).toEqual([expect.stringMatching(/RuleNotFound/)]);
  });
});
