import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crcResponseToken } from '../../src/receiver/crc.js';
import {
  MissingCredentialError,
  oauth1Header,
  RateLimitedError,
  XApiError,
  XClient,
  XUnreachableError,
  type WaitNotice,
  type XClientOptions,
} from '../../src/management/index.js';
import { hmacSha1Signature, parseOAuthHeader, signatureBaseString, verifyOAuth1 } from '../../src/testing/oauth1-verify.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';

/** The XApiError a call fails with (the test fails if it succeeds or fails otherwise). */
async function fails(p: Promise<unknown>): Promise<XApiError> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (x: unknown) => x,
  );
  if (!(e instanceof XApiError)) throw e;
  return e;
}

const APP = { consumerKey: 'ck-unit', consumerSecret: 'cs-unit-0123456789abcdef', bearerToken: 'bearer-unit' };
const USER = { id: '42', accessToken: '42-unit-token', accessTokenSecret: 'unit-token-secret', oauth2Token: 'unit-oauth2' };

describe('OAuth 1.0a: the client signer and the stand-in verifier agree with X documented example', () => {
  it("reproduces X's 'Creating a signature' example with the stand-in's own implementation", () => {
    // developer.x.com: Authentication > OAuth 1.0a > Creating a signature.
    const url = new URL('https://api.twitter.com/1.1/statuses/update.json?include_entities=true');
    const params: Array<[string, string]> = [
      ['include_entities', 'true'],
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
      ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
      ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1318622958'],
      ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
      ['oauth_version', '1.0'],
    ];
    const base = signatureBaseString('POST', url, params);
    expect(base).toBe(
      'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
    );
    expect(hmacSha1Signature(base, 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE')).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('the client header (oauth-1.0a package) verifies, query parameters included; tampering fails', () => {
    const creds = { consumerKey: APP.consumerKey, consumerSecret: APP.consumerSecret, accessToken: USER.accessToken, accessTokenSecret: USER.accessTokenSecret };
    const href = 'http://127.0.0.1:9999/2/account_activity/replay/webhooks/1/subscriptions/all?from_date=202601010000&to_date=202601010100';
    const header = oauth1Header(creds, 'POST', href);
    const secrets = { consumerSecret: (k: string) => (k === APP.consumerKey ? APP.consumerSecret : undefined), tokenSecret: (t: string) => (t === USER.accessToken ? USER.accessTokenSecret : undefined) };
    expect(verifyOAuth1('POST', new URL(href), header, secrets)).toMatchObject({ ok: true, token: USER.accessToken });
    expect(verifyOAuth1('POST', new URL(href), header, secrets)).toMatchObject({ ok: false, problem: 'oauth_nonce was used already' });
    const fresh = oauth1Header(creds, 'POST', href);
    expect(verifyOAuth1('POST', new URL(href.replace('0100', '0200')), fresh, secrets)).toMatchObject({ ok: false, problem: 'signature does not match' });
    expect(verifyOAuth1('GET', new URL(href), fresh, secrets)).toMatchObject({ ok: false, problem: 'signature does not match' });
    expect(parseOAuthHeader(fresh)?.get('oauth_signature_method')).toBe('HMAC-SHA1');
  });
});

describe('the X client against the X stand-in', () => {
  let standin: XStandIn;
  let receiver: http.Server;
  let receiverUrl: string;
  let crcSecret = APP.consumerSecret;
  const waits: WaitNotice[] = [];

  const client = (over: Partial<XClientOptions> = {}) =>
    new XClient({
      baseUrl: standin.url,
      credentials: { bearerToken: APP.bearerToken, consumerKey: APP.consumerKey, consumerSecret: APP.consumerSecret, accessToken: USER.accessToken, accessTokenSecret: USER.accessTokenSecret },
      retries: 2,
      backoffMs: 10,
      timeoutMs: 2_000,
      onWait: (w) => waits.push(w),
      ...over,
    });

  beforeAll(async () => {
    // A minimal webhook endpoint: answers CRCs with crcSecret, accepts deliveries.
    receiver = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_token: crcResponseToken(crcSecret, u.searchParams.get('crc_token') ?? '') }));
      } else {
        req.resume();
        req.on('end', () => res.writeHead(200).end('{}'));
      }
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
  });

  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
  });

  afterEach(async () => {
    await standin?.stop();
    waits.length = 0;
    crcSecret = APP.consumerSecret;
  });

  async function start(over: Partial<ConstructorParameters<typeof XStandIn>[0]> = {}) {
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true, ...over });
    await standin.start();
  }

  it('strict mode rejects http, ports, private hosts and long URLs as X does; test mode allows loopback http', async () => {
    await start({ allowLoopbackHttp: false });
    const c = client();
    const reason = async (url: string) => {
      const e = await c.createWebhook(url).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(XApiError);
      return (e as XApiError).reasons[0] + ' ' + (e as XApiError).message;
    };
    expect(await reason('http://example.com/webhook')).toMatch(/^UrlValidationFailed .*must use https/);
    expect(await reason('https://example.com:8443/webhook')).toMatch(/^UrlValidationFailed .*must not contain a port/);
    expect(await reason(receiverUrl)).toMatch(/^UrlValidationFailed/);
    expect(await reason('https://127.0.0.1/webhook')).toMatch(/publicly reachable/);
    expect(await reason(`https://example.com/${'a'.repeat(200)}`)).toMatch(/at most 200 characters/);
    expect(standin.webhooks.size).toBe(0);
    await standin.stop();

    await start();
    const w = await client().createWebhook(receiverUrl);
    expect(w).toMatchObject({ url: receiverUrl, valid: true });
    const dup = await fails(client().createWebhook(receiverUrl));
    expect(dup.reasons).toEqual(['DuplicateUrlFailed']);
    const limit = await fails(client().createWebhook(receiverUrl.replace('/webhook', '/other')));
    expect(limit.reasons).toEqual(['WebhookLimitExceeded']);
  });

  it('a failing CRC refuses the webhook; validate marks an existing one invalid and re-enables it', async () => {
    await start();
    crcSecret = 'not-the-app-secret';
    const refused = await fails(client().createWebhook(receiverUrl));
    expect(refused.reasons).toEqual(['CrcValidationFailed']);
    expect(refused.message).toMatch(/400 Invalid Request: One or more parameters to your request was invalid\. — CrcValidationFailed: .*response token does not match/);
    crcSecret = APP.consumerSecret;
    const w = await client().createWebhook(receiverUrl);
    crcSecret = 'rotated-wrongly';
    // X's spec: 200 {data: {valid}}, the reason in errors; a wrong token invalidates at once.
    const failed = await client().validateWebhook(w.id);
    expect(failed).toMatchObject({ valid: false, triggered: false });
    expect(failed.problems.join(' ')).toMatch(/CrcValidationFailed: .*response token does not match/);
    expect((await client().listWebhooks())[0]).toMatchObject({ id: w.id, valid: false });
    crcSecret = APP.consumerSecret;
    expect(await client().validateWebhook(w.id)).toEqual({ valid: true, triggered: true, problems: [] });
  });

  it('each endpoint demands its credential: bearer for webhooks, user context for subscribing', async () => {
    await start();
    const w = await client().createWebhook(receiverUrl);
    // Bearer on a user-context endpoint: X's 403 Unsupported Authentication, readable.
    const appOnly = client({ credentials: { bearerToken: APP.bearerToken } });
    const missing = await appOnly.subscribeUser(w.id).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(MissingCredentialError);
    expect((missing as Error).message).toMatch(/set X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET \(OAuth 1.0a\) or X_OAUTH2_USER_TOKEN/);
    const forged = client({ credentials: { ...client().credentials, accessTokenSecret: 'wrong' } });
    const e = await fails(forged.subscribeUser(w.id));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/401 Unauthorized — Could not authenticate you: signature does not match.*check X_CONSUMER_KEY/);
    expect(await client().subscribeUser(w.id)).toEqual({ subscribed: true, userId: USER.id });
    const dup = await fails(client().subscribeUser(w.id));
    expect(dup.reasons).toEqual(['DuplicateSubscriptionFailed']);
    const oauth2 = client({ credentials: { oauth2UserToken: USER.oauth2Token } });
    expect(await oauth2.checkSubscription(w.id)).toEqual({ subscribed: true });
    expect(await client().listSubscriptions(w.id)).toMatchObject({ userIds: [USER.id] });
    expect(await client().countSubscriptions()).toMatchObject({ subscriptions_count_all: '1', provisioned_count: '3' });
    await client().unsubscribeUser(w.id, USER.id);
    const gone = await fails(client().unsubscribeUser(w.id, USER.id));
    expect(gone.reasons).toEqual(['SubscriptionNotFound']);
  });

  it('retries 5xx with backoff, gives up readably, and times out a stalled call', async () => {
    await start();
    standin.failNext('GET /2/webhooks', { status: 503, times: 2 });
    expect(await client().listWebhooks()).toEqual([]);
    expect(waits.map((w) => [w.reason, w.cause])).toEqual([
      ['retry', 'HTTP 503'],
      ['retry', 'HTTP 503'],
    ]);
    standin.failNext('GET /2/webhooks', { status: 500, times: 5 });
    await expect(client().listWebhooks()).rejects.toThrow(/500 Service Unavailable.*Gave up after 3 attempts/);
    standin.failNext('GET /2/webhooks', { status: 200, times: 5, delayMs: 1_000 });
    const slow = await client({ timeoutMs: 150, retries: 1 }).listWebhooks().catch((x: unknown) => x);
    expect(slow).toBeInstanceOf(XUnreachableError);
    expect((slow as Error).message).toMatch(/no answer within 150 ms \(2 attempts/);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await new XClient({ baseUrl: `http://127.0.0.1:${closedPort}`, credentials: { bearerToken: 'x' }, retries: 1, backoffMs: 1 }).listWebhooks().catch((x: unknown) => x);
    expect((down as Error).message).toMatch(/network error ECONNREFUSED/);
  });

  // A POST that timed out or got a 5xx may have been carried out at X: sending it again can make a
  // second DM, replay job or subscription, or fail on X's duplicate answer. Only a POST that cannot
  // have left (the connection refused) goes again; GET, PUT and DELETE retry as before (above).
  it('does not send a POST again after a timeout or a 5xx, only when it never left', async () => {
    await start();
    const dm = 'POST /2/dm_conversations/with/:participant_id/messages';
    // The answer comes well after the client's timeout (the stand-in shares this event loop).
    standin.failNext(dm, { late: true, delayMs: 3_000 });
    const late = await client({ timeoutMs: 1_000 }).sendDirectMessage(USER.id, '783214', 'hello once').catch((x: unknown) => x);
    expect(late).toBeInstanceOf(XUnreachableError);
    expect((late as Error).message).toMatch(/no answer within 1000 ms; X may have carried it out .*not sent again/);
    expect((late as XUnreachableError).outcomeUnknown).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(standin.sentMessages.map((m) => m.text)).toEqual(['hello once']);

    standin.failNext(dm, { status: 503 });
    const down = await fails(client().sendDirectMessage(USER.id, '783214', 'hello again'));
    expect(down.status).toBe(503);
    expect(down.message).toMatch(/not sent again/);
    expect(down.outcomeUnknown).toBe(true);
    expect(waits).toEqual([]);
    expect(standin.requests.filter((r) => r.route === dm).map((r) => r.status)).toEqual([201, 503]);

    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await client({ baseUrl: `http://127.0.0.1:${closedPort}`, retries: 1, backoffMs: 1 })
      .sendDirectMessage(USER.id, '783214', 'never left')
      .catch((x: unknown) => x);
    expect((refused as Error).message).toMatch(/network error ECONNREFUSED \(2 attempts/);
  });

  it('a token that is not a valid header value fails with a clear error that does not contain it', async () => {
    await start();
    const token = 'AAAA-first-half\nsecond-half-of-the-token';
    const e = await new XClient({ baseUrl: standin.url, credentials: { bearerToken: token }, retries: 2, backoffMs: 1 }).listWebhooks().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XUnreachableError);
    expect((e as Error).message).toMatch(/not a valid HTTP header value/);
    expect((e as Error).message).not.toContain('first-half');
    expect((e as Error).message).not.toContain('second-half');
  });

  it('honours x-rate-limit-reset: waits within the bound, else fails with the time to retry', async () => {
    await start();
    standin.setRateLimit('GET /2/webhooks', { remaining: 0, resetInSeconds: 1 });
    expect(await client({ rateLimitMaxWaitMs: 5_000 }).listWebhooks()).toEqual([]);
    expect(waits[0]).toMatchObject({ reason: 'rate-limit' });
    standin.setRateLimit('GET /2/webhooks', { remaining: 0, resetInSeconds: 600 });
    const e = await client({ rateLimitMaxWaitMs: 5_000 }).listWebhooks().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).resetAt!.getTime()).toBeGreaterThan(Date.now() + 590_000);
    expect((e as Error).message).toMatch(/429 Too Many Requests.*retry after .*\(in 1[01] min\)/);
  });

  it('XAA: activity subscriptions CRUD, deliveries of both formats, the webhook replay and its status delivery', async () => {
    await start();
    const w = await client().createWebhook(receiverUrl);
    const s = await client().createActivitySubscription({ event_type: 'follow.follow', filter: { user_id: USER.id }, tag: 'dev', webhook_id: w.id });
    expect(s).toMatchObject({ event_type: 'follow.follow', filter: { user_id: USER.id }, tag: 'dev', webhook_id: w.id });
    expect(await client().listActivitySubscriptions()).toHaveLength(1);
    expect(await client().updateActivitySubscription(s.id, { tag: 'prod' })).toMatchObject({ id: s.id, tag: 'prod' });
    const emitted = await standin.emit('follow', USER.id, { at: new Date(Date.now() - 120_000) });
    expect(emitted.deliveries.map((d) => [d.format, d.status])).toEqual([['xaa', 200]]);
    const job = await client().replayWebhook(w.id, new Date(Date.now() - 600_000), new Date());
    expect(job.jobId).toMatch(/^\d+$/);
    await standin.replayJobs[0]!.done;
    expect(standin.replayJobs[0]).toMatchObject({ state: 'Complete', delivered: 1 });
    const last = standin.deliveries.at(-1)!;
    expect(last).toMatchObject({ activityType: 'replay.status', replay: true, status: 200 });
    const conflict = await fails(client().replayAaa(w.id, new Date(Date.now() - 3 * 86_400_000 - 86_400_000 * 3), new Date()));
    expect(conflict.reasons).toEqual(['QueryParamInvalid']);
    expect(await client().deleteActivitySubscription(s.id)).toEqual({ deleted: true });
    expect(await client().deleteWebhook(w.id)).toEqual({ deleted: true });
  });

  it('sendDirectMessage posts as the user of the user context (ctx.x for handlers)', async () => {
    await start();
    expect(await client().sendDirectMessage(USER.id, '777', 'hello')).toMatchObject({ dm_event_id: expect.stringMatching(/^\d+$/) });
    expect(standin.sentMessages).toEqual([expect.objectContaining({ from: USER.id, to: '777', text: 'hello' })]);
    await expect(client().sendDirectMessage('999', '777', 'x')).rejects.toThrow(/belongs to user 42, not 999/);
  });

  // OAuth 1.0a with a variable missing: user calls go with X_OAUTH2_USER_TOKEN (here user 43's),
  // and X_ACCESS_TOKEN, which names user 42, is not who they acted as.
  it('with OAuth 1.0a half set, the user is not read from the X_ACCESS_TOKEN that was not sent', async () => {
    const other = { id: '43', accessToken: '43-other-token', accessTokenSecret: 'other-token-secret', oauth2Token: 'other-oauth2' };
    await start({ users: [USER, other] });
    const w = await client().createWebhook(receiverUrl);
    const { accessTokenSecret: _unset, ...half } = client().credentials;
    const mixed = client({ credentials: { ...half, oauth2UserToken: other.oauth2Token } });
    // X subscribed the token's user (43): the answer does not claim 42.
    expect(await mixed.subscribeUser(w.id)).toEqual({ subscribed: true, userId: null });
    expect(await client().listSubscriptions(w.id)).toMatchObject({ userIds: [other.id] });
    // The guard names OAuth 1.0a's user only when OAuth 1.0a is what sends.
    await expect(client().sendDirectMessage('43', '777', 'x')).rejects.toThrow(/belongs to user 42, not 43/);
    expect(standin.sentMessages).toEqual([]);
  });

  // With a token of its own for the sender, a DM goes out as that user, not as the configured user
  // context's account (user 42's OAuth 1.0a or X_OAUTH2_USER_TOKEN): it used to go out as 42.
  it("sendDirectMessage sends as the sender's own X_OAUTH2_USER_TOKEN_<id> when there is one", async () => {
    const other = { id: '43', accessToken: '43-other-token', accessTokenSecret: 'other-token-secret', oauth2Token: 'other-oauth2' };
    await start({ users: [USER, other] });
    const asOther = { oauth2UserTokens: { [other.id]: other.oauth2Token } };
    await client({ credentials: { ...client().credentials, ...asOther } }).sendDirectMessage(other.id, '777', 'from 43, OAuth 1.0a of 42 configured');
    await client({ credentials: { oauth2UserToken: USER.oauth2Token, ...asOther } }).sendDirectMessage(other.id, '777', 'from 43, OAuth 2.0 of 42 configured');
    expect(standin.sentMessages.map((m) => [m.from, m.text])).toEqual([
      ['43', 'from 43, OAuth 1.0a of 42 configured'],
      ['43', 'from 43, OAuth 2.0 of 42 configured'],
    ]);
  });
});
