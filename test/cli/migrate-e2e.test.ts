import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AAA_COVERAGE } from '../../src/management/index.js';
import type { Database } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { spawnServe, stopSpawned, until, type Served } from '../support/process.js';
import { standinEnv } from '../support/standin.js';
import { runXaa } from './xaa-run.js';

const APP = { consumerKey: 'mig-consumer-key', consumerSecret: 'mig-consumer-secret-0123456789', bearerToken: 'mig-app-bearer-token' };
const ALICE = { id: '2244994945', oauth2Token: 'alice-oauth2-user-token' };
const PLANNED = AAA_COVERAGE.flatMap((c) => c.xaa).length;

interface Status {
  userId: string;
  aaaSubscribed: boolean;
  xaaSubscriptions: number;
  aaaEvents: number;
  xaaEvents: number;
  duplicates: number;
  xaaDeliveries: number;
  next: string;
}

describe.each(providersUnderTest())('xaa migrate end to end: plan, apply, events by both APIs, AAA removed (%s)', { timeout: 180_000 }, (provider) => {
  let standin: XStandIn;
  let testDb: TestDatabase;
  let db: Database;
  let receiver: Served;
  let webhookId: string;
  const env = (over: Record<string, string | undefined> = {}) => ({ ...standinEnv(standin.url, APP), DATABASE_URL: testDb.url, X_API_RETRIES: '0', ...over });
  const withToken = { [`X_OAUTH2_USER_TOKEN_${ALICE.id}`]: ALICE.oauth2Token };
  const status = async (): Promise<Status> => {
    const r = await runXaa(['migrate', 'status', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Status[]).find((s) => s.userId === ALICE.id)!;
  };
  const stored = async () => db.prisma.delivery.count();

  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
    receiver = await spawnServe(testDb.url, { X_CONSUMER_SECRET: APP.consumerSecret, LOG_LEVEL: 'warn' }, { ready: '/readyz' });
    const port = receiver.port;
    standin = new XStandIn({ ...APP, users: [ALICE], allowLoopbackHttp: true, maxActivitySubscriptions: 50 });
    await standin.start();
    webhookId = (await standin.createWebhook(`http://127.0.0.1:${port}/webhook`)).id;
    standin.subscriptions.set(webhookId, new Set([ALICE.id])); // subscribed by AAA before the move
  });

  afterAll(async () => {
    await stopSpawned(receiver);
    await standin?.stop();
    await closeAndDrop(db, testDb);
  });

  it('plan is a dry run: what covers AAA per user, private types marked, checked against the cap', async () => {
    const r = await runXaa(['migrate', '--json', '--tier', 'basic'], env());
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { users: string[]; rows: Array<{ eventType: string; access: string; action: string }>; toCreate: number; cap: number; withinCap: boolean };
    expect(plan.users).toEqual([ALICE.id]);
    expect(plan.rows).toHaveLength(PLANNED);
    expect(plan.rows.find((x) => x.eventType === 'post.create')).toMatchObject({ access: 'public', action: 'create' });
    expect(plan.rows.find((x) => x.eventType === 'like.create')).toMatchObject({ access: 'private', action: 'needs-token' });
    expect(plan).toMatchObject({ cap: 50, withinCap: true });
    expect(standin.activitySubs.size).toBe(0);

    const over = await runXaa(['migrate', 'plan', '--max-subscriptions', '3'], env(withToken));
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(/0 now, 17 after apply, cap 3: over the cap by 14/);
    const human = await runXaa(['migrate', 'plan'], env());
    expect(human.stdout).toMatch(/need the user's OAuth 2.0 authorization: set X_OAUTH2_USER_TOKEN_<user id> for 2244994945/);
  });

  it('apply creates them (private ones with the user token), idempotently; finish refuses before XAA delivered', async () => {
    const r = await runXaa(['migrate', 'apply', '--tier', 'basic', '--json'], env(withToken));
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ outcome: string }>;
    expect(rows.filter((x) => x.outcome === 'created')).toHaveLength(PLANNED);
    expect([...standin.activitySubs.values()].every((s) => s.tag === 'xaa-migrate' && s.filter.user_id === ALICE.id && s.webhook_id === webhookId)).toBe(true);
    expect(standin.requests.filter((x) => x.route === 'POST /2/activity/subscriptions' && x.auth === 'oauth2-user').length).toBeGreaterThan(0);

    const again = await runXaa(['migrate', 'apply', '--tier', 'basic', '--json'], env(withToken));
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Array<{ outcome: string }>).every((x) => x.outcome === 'exists')).toBe(true);
    expect(standin.activitySubs.size).toBe(PLANNED);

    const early = await runXaa(['migrate', 'finish', ALICE.id], env());
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/no XAA delivery has arrived for user 2244994945 since apply/);
    expect(standin.subscriptions.get(webhookId)?.has(ALICE.id)).toBe(true);
    expect(await status()).toMatchObject({ aaaSubscribed: true, xaaSubscriptions: PLANNED, xaaDeliveries: 0, next: 'wait for XAA events' });
  });

  it('events arrive by both APIs; a replay of them is absorbed as duplicates; then finish removes AAA', async () => {
    const before = await stored();
    const sent = [await standin.emit('follow', ALICE.id), await standin.emit('post.create', ALICE.id)];
    const deliveries = sent.flatMap((s) => s.deliveries);
    expect(deliveries.map((d) => d.format).sort()).toEqual(['aaa', 'aaa', 'xaa', 'xaa']);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    await until(async () => (await stored()) === before + 4);
    const live = await status();
    expect(live.xaaDeliveries).toBe(2);
    // Each delivery is a new event or a duplicate absorbed (AAA and XAA of one activity: one event, when the receiver knows them as one).
    expect(live.aaaEvents + live.xaaEvents + live.duplicates).toBe(4);
    expect(live.aaaEvents).toBe(2);

    // X replays the last minutes: every activity again, by both APIs; none is a new event.
    const from = new Date(Date.now() - 5 * 60_000);
    await runXaa(['replay', 'run', '--from', from.toISOString(), '--json'], env());
    await standin.replayJobs.at(-1)!.done;
    await until(async () => (await stored()) >= before + 9); // 4 replayed + the replay_job_status
    const replayed = await status();
    expect(replayed.aaaEvents + replayed.xaaEvents).toBe(live.aaaEvents + live.xaaEvents);
    expect(replayed.duplicates).toBe(live.duplicates + 4);
    expect(replayed.xaaDeliveries).toBe(4);

    const finish = await runXaa(['migrate', 'finish', ALICE.id, '--json'], env());
    expect(finish.code, finish.stderr).toBe(0);
    expect(JSON.parse(finish.stdout)).toMatchObject({ userId: ALICE.id, aaaRemoved: true });
    expect(standin.subscriptions.get(webhookId)?.has(ALICE.id)).toBe(false);
    expect(await status()).toMatchObject({ aaaSubscribed: false, next: 'done' });
  });
});
