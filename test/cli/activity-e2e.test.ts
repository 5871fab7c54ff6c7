import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XAA_EVENT_TYPES } from '../../src/events/xaa-catalog.generated.js';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { listSubscriptionRecords, type Database } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { closeAndDrop, openMigratedDatabase, type TestDatabase } from '../support/databases.js';
import { standinEnv } from '../support/standin.js';
import { runXaa } from './xaa-run.js';

const APP = { consumerKey: 'act-consumer-key', consumerSecret: 'act-consumer-secret-0123456789', bearerToken: 'act-app-bearer-token' };
const ALICE = { id: '1001', oauth2Token: 'alice-oauth2-user-token' };

describe('xaa activity through the CLI, against the X stand-in', { timeout: 180_000 }, () => {
  let standin: XStandIn;
  let endpoint: http.Server;
  let testDb: TestDatabase;
  let db: Database;
  let webhookId: string;
  const env = (over: Record<string, string | undefined> = {}) => ({ ...standinEnv(standin.url, APP), DATABASE_URL: testDb.url, X_API_RETRIES: '0', ...over });
  const posts = () => standin.requests.filter((r) => r.route === 'POST /2/activity/subscriptions');

  beforeAll(async () => {
    endpoint = http.createServer((req, res) => {
      const token = new URL(req.url!, 'http://x').searchParams.get('crc_token') ?? '';
      if (req.method === 'GET') return void res.writeHead(200).end(JSON.stringify({ response_token: crcResponseToken(APP.consumerSecret, token) }));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    standin = new XStandIn({ ...APP, users: [ALICE], allowLoopbackHttp: true });
    await standin.start();
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/webhook`;
    webhookId = (await standin.createWebhook(url)).id;
    ({ testDb, db } = await openMigratedDatabase('sqlite'));
  });

  afterAll(async () => {
    await standin?.stop();
    await new Promise((r) => endpoint.close(r));
    await closeAndDrop(db, testDb);
  });

  it('refuses an undocumented event type, naming the close matches, without calling X', async () => {
    const r = await runXaa(['activity', 'create', '--event-type', 'like.created', '--user-id', ALICE.id], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"like.created" is not an event type X documents for activity subscriptions: did you mean "like.create"/);
    expect(posts()).toEqual([]);
  });

  it('subscribes a private type with the user\'s OAuth 2.0 token, and says which variable is missing without one', async () => {
    const missing = await runXaa(['activity', 'create', '--event-type', 'like.create', '--user-id', ALICE.id, '--direction', 'inbound'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/private event.*scope like.read.*set X_OAUTH2_USER_TOKEN_1001 \(or X_OAUTH2_USER_TOKEN\)/);
    expect(posts()).toEqual([]);

    const r = await runXaa(['activity', 'create', '--event-type', 'like.create', '--user-id', ALICE.id, '--direction', 'inbound', '--tag', 'likes', '--json'], env({ [`X_OAUTH2_USER_TOKEN_${ALICE.id}`]: ALICE.oauth2Token }));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ event_type: 'like.create', filter: { user_id: ALICE.id, direction: 'inbound' }, tag: 'likes', webhook_id: webhookId });
    expect(posts()).toEqual([expect.objectContaining({ status: 200, auth: 'oauth2-user' })]);
    const records = await listSubscriptionRecords(db.prisma, { kind: 'xaa', status: 'active' });
    expect(records.map((s) => s.eventType)).toEqual(['like.create']);
  });

  it('news.new by keyword with the app bearer token; update refuses a filter change; delete many by ids', async () => {
    const news = await runXaa(['activity', 'create', '--event-type', 'news.new', '--keyword', 'solar', '--json'], env());
    expect(news.code, news.stderr).toBe(0);
    const newsId = (JSON.parse(news.stdout) as { id: string }).id;
    const bio = await runXaa(['activity', 'create', '--event-type', 'profile.update.bio', '--user-id', ALICE.id, '--json'], env());
    const bioId = (JSON.parse(bio.stdout) as { id: string }).id;

    const update = await runXaa(['activity', 'update', newsId, '--user-id', '5'], env());
    expect(update.code).toBe(1);
    expect(update.stderr).toMatch(/X cannot change a subscription's filter .*delete \d+ and create a new subscription/);

    const del = await runXaa(['activity', 'delete', newsId, bioId, '999', '--json'], env());
    expect(del.code).toBe(1);
    expect(JSON.parse(del.stdout)).toMatchObject({ deleted: [newsId, bioId], failed: [{ id: '999', reason: 'SubscriptionNotFound' }] });
    expect(standin.activitySubs.has(newsId) || standin.activitySubs.has(bioId)).toBe(false);
    const removed = await listSubscriptionRecords(db.prisma, { kind: 'xaa', status: 'removed' });
    expect(removed.map((s) => s.xId).sort()).toEqual([newsId, bioId].sort());
  });

  it('activity types lists the documented types; doctor says which credential each event family needs', async () => {
    const types = await runXaa(['activity', 'types', '--json'], env());
    expect((JSON.parse(types.stdout) as Array<{ event_type: string }>).map((t) => t.event_type)).toEqual([...XAA_EVENT_TYPES]);

    const doctor = await runXaa(['doctor', '--json'], env());
    const report = JSON.parse(doctor.stdout) as { activityCredentials: Array<{ family: string; needs: string; ok: boolean; missing: string[] }> };
    const byFamily = Object.fromEntries(report.activityCredentials.map((r) => [r.family, r]));
    expect(byFamily.like).toMatchObject({ ok: false, missing: ['X_OAUTH2_USER_TOKEN_<user id> or X_OAUTH2_USER_TOKEN'] });
    expect(byFamily.like!.needs).toMatch(/private, the user's OAuth 2.0 token \(scope like.read\)/);
    expect(byFamily.profile).toMatchObject({ ok: true, needs: 'all: public, the app bearer token' });
    expect(byFamily.post!.needs).toMatch(/post.create, post.delete: public.*post.mention.create.*private/);
    const withToken = await runXaa(['doctor'], env({ X_OAUTH2_USER_TOKEN: ALICE.oauth2Token }));
    expect(withToken.stdout).toMatch(/XAA activity subscriptions, the credential per event family/);
    expect(withToken.stdout).not.toMatch(/missing X_OAUTH2_USER_TOKEN/);
  });

  it('webhooks validate reports the CRC X ran', async () => {
    const r = await runXaa(['webhooks', 'validate', webhookId], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`webhook ${webhookId}: CRC passed, valid`);
  });
});
