import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { listSubscriptionRecords, listWebhookRecords, openDatabase, type Database } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { freePort, lines, pluginEnv, spawnServe, stopSpawned, type Served } from '../support/process.js';
import { STANDIN_APP as APP, STANDIN_USER as USER, standinEnv } from '../support/standin.js';
import { runXaa, waitUntil } from './xaa-run.js';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe.each(providersUnderTest())('xaa management end to end, through the CLI, the X stand-in and a running receiver (%s)', (provider) => {
  let standin: XStandIn;
  let testDb: TestDatabase;
  let db: Database;
  let port: number;
  let receiver: Served | undefined;
  let recorderDir: string;
  let webhookId: string;

  const webhookUrl = () => `http://127.0.0.1:${port}/webhook`;
  const env = (over: Record<string, string | undefined> = {}) => ({
    ...standinEnv(standin.url, APP, USER),
    DATABASE_URL: testDb.url,
    PORT: String(port),
    X_API_RETRIES: '1',
    ...over,
  });
  const recorded = (file: string) => lines(path.join(recorderDir, file));

  async function startReceiver(secret: string): Promise<void> {
    receiver = await spawnServe(
      testDb.url,
      { X_CONSUMER_SECRET: secret, ...pluginEnv('./test/fixtures/plugins/recorder.ts', recorderDir), DISPATCH_POLL_MS: '50', LOG_LEVEL: 'warn' },
      { port, ready: '/readyz' },
    );
  }

  async function stopReceiver(): Promise<void> {
    await stopSpawned(receiver);
    receiver = undefined;
  }

  beforeAll(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(loadConfig({ DATABASE_URL: testDb.url }).database);
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true });
    await standin.start();
    port = await freePort();
    recorderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-e2e-recorder-'));
    await startReceiver(APP.consumerSecret);
  });

  afterAll(async () => {
    await stopReceiver();
    await standin?.stop();
    await db?.close();
    await testDb?.drop();
    if (recorderDir) fs.rmSync(recorderDir, { recursive: true, force: true });
  });

  it('creates a webhook (the stand-in CRC reaches the receiver and passes) and mirrors it; --json matches the records', async () => {
    const created = await runXaa(['webhooks', 'create', webhookUrl(), '--json'], env());
    expect(created.stderr).not.toMatch(/error/i);
    expect(created.code).toBe(0);
    const w = JSON.parse(created.stdout) as { id: string; url: string; valid: boolean };
    expect(w).toMatchObject({ url: webhookUrl(), valid: true });
    webhookId = w.id;
    expect(standin.webhooks.get(webhookId)?.lastCrc).toMatchObject({ ok: true });

    const listed = await runXaa(['webhooks', 'list', '--json'], env());
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as Array<{ id: string; url: string; valid: boolean }>;
    const records = await listWebhookRecords(db.prisma);
    expect(list.map((x) => ({ id: x.id, url: x.url, valid: x.valid }))).toEqual(records.map((r) => ({ id: r.id, url: r.url, valid: r.valid })));
    expect(records).toHaveLength(1);

    const human = await runXaa(['webhooks', 'list'], env());
    expect(human.stdout).toMatch(/^ID\s+URL\s+VALID/m);
    expect(human.stdout).toContain(webhookId);
  });

  it('subscribes the user with OAuth 1.0a (verified by the stand-in) and records the subscription', async () => {
    const added = await runXaa(['subscriptions', 'add', '--json'], env());
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ webhookId, subscribed: true });
    expect(standin.requests.find((r) => r.route.startsWith('POST /2/account_activity'))).toMatchObject({ status: 200, auth: 'oauth1-user' });
    expect([...(standin.subscriptions.get(webhookId) ?? [])]).toEqual([USER.id]);

    const listed = await runXaa(['subscriptions', 'list', '--json'], env());
    expect(JSON.parse(listed.stdout)).toEqual({ webhookId, userIds: [USER.id] });
    const records = await listSubscriptionRecords(db.prisma, { kind: 'aaa', status: 'active' });
    expect(records.map((r) => ({ webhookId: r.webhookId, userId: r.userId }))).toEqual([{ webhookId, userId: USER.id }]);

    const checked = await runXaa(['subscriptions', 'check', '--json'], env());
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ subscribed: true });
    const count = await runXaa(['subscriptions', 'count', '--json'], env());
    expect(JSON.parse(count.stdout)).toMatchObject({ subscriptions_count_all: '1' });
  });

  it('subscriptions add is idempotent: X answers 409 DuplicateSubscriptionFailed, the command says so and succeeds', async () => {
    const again = await runXaa(['subscriptions', 'add', '--json'], env());
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ webhookId, subscribed: true, alreadySubscribed: true, userId: USER.id });
    const posts = standin.requests.filter((r) => r.route.startsWith('POST /2/account_activity'));
    expect(posts.map((r) => r.status)).toEqual([200, 409]);
    const human = await runXaa(['subscriptions', 'add'], env());
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe(`${USER.id} was already subscribed to webhook ${webhookId}: nothing to do`);
    expect([...(standin.subscriptions.get(webhookId) ?? [])]).toEqual([USER.id]);
    const records = await listSubscriptionRecords(db.prisma, { kind: 'aaa', status: 'active' });
    expect(records.map((r) => r.userId)).toEqual([USER.id]);
  });

  it('delivers signed events that the handlers run; a replay overlapping live deliveries runs no handler twice', async () => {
    const live = [
      await standin.emit('follow', USER.id, { at: minutesAgo(4) }),
      await standin.emit('post.create', USER.id, { at: minutesAgo(4) }),
      await standin.emit('dm.message', USER.id, { at: minutesAgo(3) }),
    ];
    for (const e of live) expect(e.deliveries.map((d) => d.status)).toEqual([200]);
    // A delivery X attempted and lost: only the replay brings it.
    const missed = await standin.emit('like', USER.id, { at: minutesAgo(2), deliver: false });
    await waitUntil('3 handler runs', () => recorded('finishes.log').length >= 3);

    const replay = await runXaa(['replay', 'run', '--api', 'aaa', '--from', '10m', '--to', 'now', '--wait', '--timeout', '30s', '--json'], env());
    expect(replay.stderr).not.toMatch(/failed/);
    expect(replay.stderr).toMatch(/note: the AAA replay .* is deprecated by X since 2026-03-25 and no longer in its API spec/);
    expect(replay.code).toBe(0);
    const job = JSON.parse(replay.stdout) as { status: string; kind: string; xJobId: string };
    expect(job).toMatchObject({ status: 'complete', kind: 'aaa' });
    expect(standin.replayJobs.find((j) => j.jobId === job.xJobId)).toMatchObject({ state: 'Complete', delivered: 4 });

    // 4 activities + the replay job status: each handled exactly once.
    await waitUntil('5 handler runs', () => recorded('finishes.log').length >= 5);
    await new Promise((r) => setTimeout(r, 500));
    const starts = recorded('starts.log');
    expect(starts).toHaveLength(5);
    expect(new Set(starts).size).toBe(5);
    expect(starts.some((s) => s.includes(missed.activity.id) || s.includes(BigInt(missed.activity.id).toString(16)))).toBe(true);

    const listed = await runXaa(['replay', 'list', '--json'], env());
    expect((JSON.parse(listed.stdout) as Array<{ xJobId: string; status: string }>)[0]).toMatchObject({ xJobId: job.xJobId, status: 'complete' });
  });

  it('lists and shows events, and redispatch runs a handler again', async () => {
    const listed = await runXaa(['events', 'list', '--type', 'follow', '--json'], env());
    expect(listed.code).toBe(0);
    const events = JSON.parse(listed.stdout) as Array<{ id: string; dedupeKey: string; state: string }>;
    expect(events).toHaveLength(1);
    expect(events[0]!.state).toBe('done');
    const shown = await runXaa(['events', 'show', events[0]!.id, '--json'], env());
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: events[0]!.id, type: 'follow', runs: [{ handler: 'recorder', state: 'done', attempts: 1 }] });

    const again = await runXaa(['events', 'redispatch', events[0]!.id, '--json'], env());
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ requeued: [events[0]!.id], busy: [], missing: [] });
    await waitUntil('the redispatched run', () => recorded('starts.log').filter((l) => l === events[0]!.dedupeKey).length === 2);
  });

  it('trigger signs a sample like X and the receiver accepts it; crc passes against the receiver', async () => {
    const trig = await runXaa(['trigger', 'mute', '--json'], env());
    expect(trig.code).toBe(0);
    expect(JSON.parse(trig.stdout)).toMatchObject({ status: 200, type: 'mute' });
    const crc = await runXaa(['crc', webhookUrl(), '--json'], env());
    expect(crc.code).toBe(0);
    expect(JSON.parse(crc.stdout)).toMatchObject({ pass: true, withinLimit: true, status: 200 });
    const bad = await runXaa(['crc', webhookUrl()], env({ X_CONSUMER_SECRET: 'another-secret-than-the-receiver' }));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL.*different consumer secret/);
  });

  it('a rate-limited call waits for the reset when it is near, and otherwise says when to retry', async () => {
    // The window must outlast the CLI's start-up on a loaded machine.
    standin.setRateLimit('GET /2/webhooks', { remaining: 0, resetInSeconds: 6 });
    const waited = await runXaa(['webhooks', 'list', '--json'], env({ X_API_RATE_LIMIT_MAX_WAIT_MS: '20000' }));
    expect(waited.code).toBe(0);
    expect(waited.stderr).toMatch(/rate limited until .*; waiting \d+ s/);
    expect(JSON.parse(waited.stdout)).toHaveLength(1);

    standin.setRateLimit('GET /2/webhooks', { remaining: 0, resetInSeconds: 900 });
    try {
      const refused = await runXaa(['webhooks', 'list'], env());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/429 Too Many Requests.*Rate limited by X: retry after \d{4}-\d\d-\d\dT.*\(in 1[56] min\)/);
    } finally {
      standin.setRateLimit('GET /2/webhooks', { limit: 500, remaining: 500, resetInSeconds: 900 });
    }
  });

  it('a missing credential fails with an error naming the variables to set', async () => {
    const user = await runXaa(['subscriptions', 'add'], env({ X_ACCESS_TOKEN: undefined, X_ACCESS_TOKEN_SECRET: undefined }));
    expect(user.code).toBe(1);
    expect(user.stderr).toMatch(/subscribe user .* needs a user context: set X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET \(OAuth 1.0a\) or X_OAUTH2_USER_TOKEN/);
    const app = await runXaa(['webhooks', 'list'], env({ X_BEARER_TOKEN: undefined }));
    expect(app.code).toBe(1);
    expect(app.stderr).toMatch(/set X_BEARER_TOKEN/);
    // OAuth 2.0 user token instead of OAuth 1.0a: accepted for user context.
    const oauth2 = await runXaa(['subscriptions', 'check', '--json'], env({ X_ACCESS_TOKEN: undefined, X_ACCESS_TOKEN_SECRET: undefined, X_OAUTH2_USER_TOKEN: USER.oauth2Token }));
    expect(oauth2.code).toBe(0);
    expect(JSON.parse(oauth2.stdout)).toMatchObject({ subscribed: true });
  });

  it('a receiver with the wrong consumer secret: validate marks the webhook invalid and doctor says why', async () => {
    const healthy = await runXaa(['doctor', '--json'], env());
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout) as { ok: boolean; checks: Array<{ check: string; status: string; detail: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.check === 'last CRC answered')?.status).toBe('ok');

    await stopReceiver();
    await startReceiver('a-wrong-consumer-secret-for-this-app');
    const validate = await runXaa(['webhooks', 'validate'], env());
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/invalid, the CRC failed: X said: CrcValidationFailed: .*response token does not match/);
    expect(standin.webhooks.get(webhookId)?.valid).toBe(false);
    expect((await listWebhookRecords(db.prisma))[0]).toMatchObject({ valid: false, lastError: expect.stringMatching(/CrcValidationFailed/) });

    const doctor = await runXaa(['doctor', '--json'], env());
    expect(doctor.code).toBe(1);
    const d = JSON.parse(doctor.stdout) as { ok: boolean; checks: Array<{ check: string; status: string; detail: string }> };
    expect(d.ok).toBe(false);
    const webhook = d.checks.find((c) => c.check === 'webhook at X')!;
    expect(webhook.status).toBe('fail');
    expect(webhook.detail).toMatch(/invalid/);
    expect(webhook.detail).toMatch(/CrcValidationFailed/);
    expect(webhook.detail).toMatch(/different consumer secret than X_CONSUMER_SECRET/);
    const human = await runXaa(['doctor'], env());
    expect(human.stdout).toMatch(/fail\s+webhook at X/);
    expect(human.stdout).toMatch(/credentials per operation/);

    // Deliveries stop while the webhook is invalid.
    const during = await standin.emit('follow', USER.id);
    expect(during.deliveries).toEqual([]);
  });

  it('replay run --wait that times out says so, with the job, its status and what to run next, and exits 1', async () => {
    // The webhook is still invalid (previous test): X's replay fails its CRC and no replay_job_status arrives.
    const r = await runXaa(['replay', 'run', '--from', '10m', '--wait', '--timeout', '2s', '--json'], env());
    expect(r.code).toBe(1);
    const job = JSON.parse(r.stdout) as { id: string; xJobId: string; status: string };
    expect(job.status).toBe('requested');
    const stderrLines = r.stderr.trim().split('\n');
    const timedOut = stderrLines[stderrLines.length - 1]!;
    expect(timedOut).toContain(`xaa: timed out after 2s waiting for replay job ${job.id} (X job ${job.xJobId}): its status is still "requested"`);
    expect(timedOut).toContain('`xaa doctor`');
    expect(timedOut).toContain(`\`xaa replay status ${job.id} --wait\``);

    const status = await runXaa(['replay', 'status', job.id, '--wait', '--timeout', '1s'], env());
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/requested/);
    expect(status.stderr).toContain(`timed out after 1s waiting for replay job ${job.id}`);
  });
});
