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
    await expect(client.linkStream('123', { since_id: '1' } as never)).rejects.toThrow(/a stream link takes expansions, .*not since_id/);
    // The stand-in itself refuses a parameter the filtered stream does not take, and links nothing.
    standin.webhooks.set('1800000000000000098', { id: '1800000000000000098', url: 'http://127.0.0.1:9/w', valid: false, created_at: new Date().toISOString() });
    try {
      const res = await fetch(`${standin.url}/2/tweets/search/webhooks/1800000000000000098?since_id=1`, { method: 'POST', headers: { authorization: 'Bearer standin-fs-bearer' } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('since_id');
      expect(standin.streamLinks.size).toBe(0);
    } finally {
      standin.webhooks.delete('1800000000000000098');
    }
    const asUser = new XClient({ baseUrl: standin.url, credentials: { oauth2UserToken: 'nobody' }, retries: 0 });
    await expect(asUser.listStreamLinks()).rejects.toThrow(/X_BEARER_TOKEN/);
  });

  it('lists a link\'s fields as X does (split at commas); a delivery has the default Post fields and those the link asks for, the author only with expansions=author_id', async () => {
    // Not valid: nothing is sent, the bodies it would get stay in the outbox.
    const webhook = { id: '1800000000000000099', url: 'http://127.0.0.1:9/webhook', valid: false, created_at: new Date().toISOString() };
    standin.webhooks.set(webhook.id, webhook);
    const rule = await client.addStreamRules([{ value: 'panels' }]);
    try {
      expect(await client.linkStream(webhook.id, { expansions: 'referenced_tweets.id,author_id', 'user.fields': 'username,name' })).toEqual({ provisioned: true, problems: [] });
      const [link] = await client.listStreamLinks();
      expect(link!.fields).toEqual(['expansions=referenced_tweets.id', 'author_id', 'user.fields=username', 'name']);
      const bodies: Array<Record<string, unknown>> = [];
      for (const fields of [{}, { expansions: 'referenced_tweets.id', 'tweet.fields': 'created_at,lang' }, { expansions: 'author_id,referenced_tweets.id', 'user.fields': 'created_at' }]) {
        await client.linkStream(webhook.id, fields);
        const before = standin.outbox.length;
        await standin.emitPost({ text: 'solar panels', deliver: false });
        expect(standin.outbox.length).toBe(before + 1);
        bodies.push(JSON.parse(standin.outbox.at(-1)!.body) as Record<string, unknown>);
      }
      expect(bodies.map((b) => Object.keys(b.data as object).sort())).toEqual([
        ['edit_history_tweet_ids', 'id', 'text'],
        ['created_at', 'edit_history_tweet_ids', 'id', 'lang', 'text'],
        ['author_id', 'edit_history_tweet_ids', 'id', 'text'],
      ]);
      expect(bodies.map((b) => 'includes' in b)).toEqual([false, false, true]);
      expect(bodies[2]!.includes).toEqual({ users: [{ id: '1375036644', name: expect.any(String), username: expect.any(String), created_at: expect.any(String) }] });
      expect(bodies.map((b) => b.matching_rules)).toEqual(Array(3).fill([{ id: rule.rules[0]!.id }]));
    } finally {
      await client.deleteStreamRules(rule.rules.map((r) => r.id));
      standin.webhooks.delete(webhook.id);
      standin.streamLinks.delete(webhook.id);
    }
  });

  it('lists more rules than one page holds (1,000) by following next_token', async () => {
    for (let i = 0; i < 1001; i++) standin.streamRules.set(String(9000 + i), { id: String(9000 + i), value: `word${i}` });
    const pages = () => standin.requests.filter((r) => r.route === 'GET /2/tweets/search/stream/rules').length;
    try {
      const before = pages();
      const rules = await client.listStreamRules();
      expect(rules).toHaveLength(1001);
      expect(new Set(rules.map((r) => r.id)).size).toBe(1001);
      expect(rules.at(-1)).toEqual({ id: '10000', value: 'word1000' });
      expect(pages() - before).toBe(2);
    } finally {
      standin.streamRules.clear();
    }
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
