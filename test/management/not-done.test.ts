// X answers some changes with a 200 whose body says whether it made them: `"deleted": false` (its
// spec makes `deleted` a required boolean of DeleteWebhook and DeleteActivitySubscription),
// `"subscribed": false` after a subscribe, `"subscribed": true` after an unsubscribe. Such an answer
// is an error (the CLI exits 1), and the local mirror keeps what it had.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { Management, XApiError, XClient } from '../../src/management/index.js';
import { listSubscriptionRecords, listWebhookRecords, type Database } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { closeAndDrop, openMigratedDatabase, type TestDatabase } from '../support/databases.js';

const APP = { consumerKey: 'ck-nd', consumerSecret: 'cs-nd-0123456789abcdef', bearerToken: 'bearer-nd' };
const USER = { id: '2001', accessToken: '2001-nd-token', accessTokenSecret: 'nd-token-secret', oauth2Token: 'nd-oauth2' };

describe('answers that say nothing was changed at X', () => {
  let receiver: http.Server;
  let standin: XStandIn;
  let testDb: TestDatabase;
  let db: Database;
  let management: Management;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const token = new URL(req.url!, 'http://x').searchParams.get('crc_token') ?? '';
      if (req.method === 'GET') return void res.writeHead(200).end(JSON.stringify({ response_token: crcResponseToken(APP.consumerSecret, token) }));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true });
    await standin.start();
    ({ testDb, db } = await openMigratedDatabase('sqlite'));
    const credentials = { bearerToken: APP.bearerToken, consumerKey: APP.consumerKey, consumerSecret: APP.consumerSecret, accessToken: USER.accessToken, accessTokenSecret: USER.accessTokenSecret };
    management = new Management(new XClient({ baseUrl: standin.url, credentials, retries: 0 }), db);
  });
  afterAll(async () => {
    await standin?.stop();
    await new Promise((r) => receiver?.close(r));
    await closeAndDrop(db, testDb);
  });

  const refused = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(XApiError);
    return (e as XApiError).message;
  };

  it('delete webhook, subscribe, unsubscribe and delete activity subscription fail on such an answer, the mirror unchanged', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
    const webhook = await management.createWebhook(url);

    standin.failNext('POST /2/account_activity/webhooks/:id/subscriptions/all', { status: 200, body: { data: { subscribed: false } } });
    expect(await refused(management.subscribe(webhook.id))).toMatch(/subscribe to webhook .* X answered "subscribed": false: nothing was changed at X/);
    expect(await listSubscriptionRecords(db.prisma)).toEqual([]);

    await management.subscribe(webhook.id);
    standin.failNext('DELETE /2/account_activity/webhooks/:id/subscriptions/:user_id/all', { status: 200, body: { data: { subscribed: true } } });
    expect(await refused(management.unsubscribe(webhook.id, USER.id))).toMatch(/"subscribed": true/);
    expect((await listSubscriptionRecords(db.prisma)).map((s) => [s.userId, s.status])).toEqual([[USER.id, 'active']]);

    const activity = await management.createActivity({ event_type: 'follow.follow', filter: { user_id: USER.id }, webhook_id: webhook.id });
    standin.failNext('DELETE /2/activity/subscriptions/:id', { status: 200, body: { data: { deleted: false } } });
    expect(await refused(management.deleteActivity(activity.id))).toMatch(/delete activity subscription .* "deleted": false/);
    expect((await listSubscriptionRecords(db.prisma)).find((s) => s.xId === activity.id)?.status).toBe('active');

    standin.failNext('DELETE /2/webhooks/:id', { status: 200, body: { data: { deleted: false } } });
    expect(await refused(management.deleteWebhook(webhook.id))).toMatch(/delete webhook .* "deleted": false/);
    expect((await listWebhookRecords(db.prisma)).map((w) => w.id)).toEqual([webhook.id]);

    // The real answers still go through.
    await management.deleteActivity(activity.id);
    await management.unsubscribe(webhook.id, USER.id);
    await management.deleteWebhook(webhook.id);
    expect(await listWebhookRecords(db.prisma)).toEqual([]);
  });
});
