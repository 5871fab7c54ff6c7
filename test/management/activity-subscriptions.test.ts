import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XAA_EVENT_TYPES } from '../../src/events/xaa-catalog.generated.js';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { closeEventTypes, MissingCredentialError, parseEventType, XApiError, XClient, type XCredentials } from '../../src/management/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';

const APP = { consumerKey: 'ck-act', consumerSecret: 'cs-act-0123456789abcdef', bearerToken: 'bearer-act' };
const ALICE = { id: '1001', oauth2Token: 'alice-oauth2', accessToken: '1001-alice', accessTokenSecret: 'alice-secret' };
/** Bob granted the app tweet.read and like.read only. */
const BOB = { id: '1002', oauth2Token: 'bob-oauth2', scopes: ['tweet.read', 'like.read'] };

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (x: unknown) => x as Error,
  );
  if (e.message === 'expected the call to fail') throw e;
  return e;
}

describe('XAA activity subscriptions as X documents them, against the stand-in', () => {
  let receiver: http.Server;
  let receiverUrl: string;
  let standin: XStandIn;
  let webhookId: string;
  const client = (credentials: XCredentials = { bearerToken: APP.bearerToken }) => new XClient({ baseUrl: standin.url, credentials, retries: 0 });
  const posts = () => standin.requests.filter((r) => r.route === 'POST /2/activity/subscriptions');

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const token = new URL(req.url!, 'http://x').searchParams.get('crc_token');
      if (req.method === 'GET') return void res.writeHead(200).end(JSON.stringify({ response_token: crcResponseToken(APP.consumerSecret, token ?? '') }));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
  });
  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
  });
  beforeEach(async () => {
    standin = new XStandIn({ ...APP, users: [ALICE, BOB], allowLoopbackHttp: true });
    await standin.start();
    webhookId = (await client().createWebhook(receiverUrl)).id;
  });
  afterEach(async () => {
    await standin.stop();
  });

  it('an unknown event type fails before any call to X, naming the close documented ones', async () => {
    expect(() => parseEventType('like.created')).toThrow(/"like.created" is not an event type X documents .*did you mean "like.create"/);
    expect(closeEventTypes('follow')).toEqual(expect.arrayContaining(['follow.follow', 'follow.unfollow']));
    expect(closeEventTypes('profile.update.biography')[0]).toBe('profile.update.bio');
    const e = await failure(client().createActivitySubscription({ event_type: 'post.mentions.create', filter: { user_id: ALICE.id }, webhook_id: webhookId }));
    expect(e.message).toMatch(/did you mean "post.mention.create"/);
    expect(posts()).toEqual([]);
    for (const t of XAA_EVENT_TYPES) expect(parseEventType(t)).toBe(t);
  });

  it('filters as each type takes them: user_id, keyword for news.new, direction for like.create only', async () => {
    const bad = async (input: Parameters<XClient['createActivitySubscription']>[0], message: RegExp) => expect((await failure(client({ bearerToken: APP.bearerToken, oauth2UserToken: ALICE.oauth2Token }).createActivitySubscription(input))).message).toMatch(message);
    await bad({ event_type: 'post.create', filter: {} }, /post.create needs a user_id filter/);
    await bad({ event_type: 'news.new', filter: { user_id: ALICE.id } }, /news.new takes no user_id filter .*needs a keyword filter/);
    await bad({ event_type: 'mute.mute', filter: { user_id: ALICE.id, direction: 'inbound' } }, /mute.mute takes no direction filter \(X: not supported for mute.\* and block.\* events\)/);
    await bad({ event_type: 'like.create', filter: { user_id: ALICE.id, direction: 'sideways' } }, /direction must be inbound or outbound/);
    await bad({ event_type: 'post.create', filter: { user_id: ALICE.id, lang: 'en' } }, /X knows no filter lang/);
    await bad({ event_type: 'post.create', filter: { user_id: ALICE.id }, tag: 'x'.repeat(201) }, /tag must be 1 to 200 characters/);
    expect(posts()).toEqual([]);

    const news = await client().createActivitySubscription({ event_type: 'news.new', filter: { keyword: 'solar' }, tag: 'energy', webhook_id: webhookId });
    expect(news).toMatchObject({ event_type: 'news.new', filter: { keyword: 'solar' }, tag: 'energy', webhook_id: webhookId });
    const likes = await client({ bearerToken: APP.bearerToken, oauth2UserTokens: { [ALICE.id]: ALICE.oauth2Token } }).createActivitySubscription({
      event_type: 'like.create',
      filter: { user_id: ALICE.id, direction: 'outbound' },
      webhook_id: webhookId,
    });
    expect(likes.filter).toEqual({ user_id: ALICE.id, direction: 'outbound' });
    // Without webhook_id: the persistent stream only.
    const stream = await client().createActivitySubscription({ event_type: 'post.create', filter: { user_id: ALICE.id } });
    expect(stream.webhook_id).toBeUndefined();
  });

  it('public types with the app bearer token; private ones with the filtered user\'s OAuth 2.0 token and scope', async () => {
    const pub = await client().createActivitySubscription({ event_type: 'profile.update.bio', filter: { user_id: ALICE.id }, webhook_id: webhookId });
    expect(pub.event_type).toBe('profile.update.bio');
    expect(posts().at(-1)).toMatchObject({ status: 200, auth: 'bearer' });

    // No user token configured: named before any call.
    const missing = await failure(client().createActivitySubscription({ event_type: 'like.create', filter: { user_id: ALICE.id }, webhook_id: webhookId }));
    expect(missing).toBeInstanceOf(MissingCredentialError);
    expect(missing.message).toMatch(/the OAuth 2.0 user token of user 1001 \(like.create is a private event: .*scope like.read\): set X_OAUTH2_USER_TOKEN_1001 \(or X_OAUTH2_USER_TOKEN\)/);
    expect(posts()).toHaveLength(1);

    // X's own answer when a bearer token or another user's token is used for a private type.
    const raw = (token: string, body: unknown) =>
      fetch(`${standin.url}/2/activity/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const asApp = await raw(APP.bearerToken, { event_type: 'dm.received', filter: { user_id: ALICE.id }, webhook_id: webhookId });
    expect(asApp.status).toBe(403);
    expect(JSON.stringify(await asApp.json())).toMatch(/dm.received is a private event: subscribe with the OAuth 2.0 user token/);
    const someoneElse = await failure(client({ oauth2UserToken: BOB.oauth2Token }).createActivitySubscription({ event_type: 'dm.received', filter: { user_id: ALICE.id }, webhook_id: webhookId }));
    expect((someoneElse as XApiError).status).toBe(403);
    expect(someoneElse.message).toMatch(/filter.user_id must be the authenticated user \(1002\)/);
    // Bob's token lacks block.read.
    const scope = await failure(client({ oauth2UserTokens: { [BOB.id]: BOB.oauth2Token } }).createActivitySubscription({ event_type: 'block.block', filter: { user_id: BOB.id }, webhook_id: webhookId }));
    expect(scope.message).toMatch(/block.block needs the block.read scope/);

    const dm = await client({ oauth2UserTokens: { [ALICE.id]: ALICE.oauth2Token } }).createActivitySubscription({ event_type: 'dm.received', filter: { user_id: ALICE.id }, webhook_id: webhookId });
    expect(dm).toMatchObject({ event_type: 'dm.received', filter: { user_id: ALICE.id } });
    expect(posts().at(-1)).toMatchObject({ status: 200, auth: 'oauth2-user' });
    // The deprecated alias is answered with its canonical name.
    const join = await client({ oauth2UserTokens: { [ALICE.id]: ALICE.oauth2Token } }).createActivitySubscription({ event_type: 'chat.conversation_join', filter: { user_id: ALICE.id }, webhook_id: webhookId });
    expect(join.event_type).toBe('chat.conversation.join');
  });

  it('update changes tag and webhook only; delete many by ids reports what X did not delete', async () => {
    const c = client({ bearerToken: APP.bearerToken, oauth2UserToken: ALICE.oauth2Token });
    const ids: string[] = [];
    for (const t of ['post.create', 'post.delete', 'follow.follow'] as const) ids.push((await c.createActivitySubscription({ event_type: t, filter: { user_id: ALICE.id }, webhook_id: webhookId })).id);
    expect(await c.updateActivitySubscription(ids[0]!, { tag: 'renamed' })).toMatchObject({ id: ids[0], tag: 'renamed', event_type: 'post.create' });
    const refused = await fetch(`${standin.url}/2/activity/subscriptions/${ids[0]}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${APP.bearerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { user_id: BOB.id } }),
    });
    expect(refused.status).toBe(400);

    const result = await c.deleteActivitySubscriptions([ids[0]!, ids[1]!, '999']);
    expect(result).toEqual({ deleted: [ids[0], ids[1]], failed: [{ id: '999', reason: 'SubscriptionNotFound', message: 'No activity subscription 999' }], remaining: 1 });
    expect(standin.requests.filter((r) => r.route === 'DELETE /2/activity/subscriptions')).toHaveLength(1);
    expect((await c.listActivitySubscriptions()).map((s) => s.id)).toEqual([ids[2]]);
  });

  it('lists every page', async () => {
    const c = client({ bearerToken: APP.bearerToken });
    for (const t of ['post.create', 'post.delete', 'profile.update.bio'] as const) await c.createActivitySubscription({ event_type: t, filter: { user_id: ALICE.id }, webhook_id: webhookId });
    const page = await fetch(`${standin.url}/2/activity/subscriptions?max_results=2`, { headers: { authorization: `Bearer ${APP.bearerToken}` } });
    const first = (await page.json()) as { data: unknown[]; meta: { next_token?: string } };
    expect(first.data).toHaveLength(2);
    expect(first.meta.next_token).toMatch(/^.{16,}$/);
    expect(await c.listActivitySubscriptions()).toHaveLength(3);
  });

  // X's docs show three shapes of a created subscription: the spec's data.subscription (what the
  // stand-in answers), and in the quickstart data itself and data as a one-element array, which
  // used to read as an empty id (printed as created, never mirrored).
  it('reads a created subscription from each shape of answer X documents, and fails on one without an id', async () => {
    const sub = { subscription_id: '1976325569252868096', event_type: 'news.new', filter: { keyword: 'solar' }, created_at: '2025-10-09T16:35:08.000Z', updated_at: '2025-10-09T16:35:08.000Z' };
    const create = () => client().createActivitySubscription({ event_type: 'news.new', filter: { keyword: 'solar' }, webhook_id: webhookId });
    for (const body of [{ data: [sub], meta: { total_subscriptions: 1 } }, { data: sub }, { data: { subscription: sub } }]) {
      standin.failNext('POST /2/activity/subscriptions', { status: 200, body });
      expect(await create()).toMatchObject({ id: sub.subscription_id, event_type: 'news.new', filter: { keyword: 'solar' } });
    }
    standin.failNext('POST /2/activity/subscriptions', { status: 200, body: { data: [] } });
    expect((await failure(create())).message).toMatch(/answered without a subscription_id/);
  });
});
