import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { XClient } from '../../src/management/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';

const APP = { consumerKey: 'ck-rules', consumerSecret: 'cs-rules-0123456789abcdef', bearerToken: 'bearer-rules' };
const USER = { id: '42', oauth2Token: 'rules-oauth2' };
const HOUR = 3_600_000;

/**
 * A webhook endpoint whose CRC answer the test sets: the right token, a wrong one, a status
 * (4xx/5xx: transient at X; 3xx: invalid at once), or a stall (deliveries).
 */
type Mode = 'ok' | 'wrong-token' | 500 | 404 | 302;

describe('the X stand-in keeps a webhook valid or invalid as X documents it', () => {
  let endpoint: http.Server;
  let endpointUrl: string;
  let mode: Mode = 'ok';
  let stallDeliveries = false;
  let standin: XStandIn;
  let now: Date;

  beforeAll(async () => {
    endpoint = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (req.method === 'GET') {
        if (typeof mode === 'number') return void res.writeHead(mode, mode === 302 ? { location: 'https://example.com/' } : {}).end();
        const token = mode === 'ok' ? crcResponseToken(APP.consumerSecret, u.searchParams.get('crc_token') ?? '') : 'sha256=d3Jvbmc=';
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_token: token }));
      }
      req.resume();
      if (stallDeliveries) return; // never answers: X gives up after its limit
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/webhook`;
  });

  afterAll(async () => {
    endpoint.closeAllConnections();
    await new Promise((r) => endpoint.close(r));
  });

  afterEach(async () => {
    mode = 'ok';
    stallDeliveries = false;
    await standin?.stop();
  });

  async function start(over: Partial<ConstructorParameters<typeof XStandIn>[0]> = {}) {
    now = new Date('2026-11-30T12:00:00Z');
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true, clock: () => now, ...over });
    await standin.start();
    return new XClient({ baseUrl: standin.url, credentials: { bearerToken: APP.bearerToken }, retries: 0 });
  }
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));

  it('checks every 30 minutes once 24 hours passed without a passing CRC; transient failures invalidate only after 28 hours', async () => {
    const client = await start();
    const w = await client.createWebhook(endpointUrl);
    const crcs = () => standin.webhooks.get(w.id)!.lastCrc!.at;
    expect(standin.webhooks.get(w.id)).toMatchObject({ valid: true, lastValidatedAt: now.toISOString() });

    advance(23 * HOUR + 59 * 60_000);
    expect(await standin.runDueCrcs()).toEqual([]);

    mode = 500;
    advance(60_000); // 24 h since the last pass
    expect((await standin.runDueCrcs()).map((x) => x.id)).toEqual([w.id]);
    expect(standin.webhooks.get(w.id)).toMatchObject({ valid: true, lastCrc: { ok: false, outcome: 'transient', reason: 'HTTP 500' } });
    const first = crcs();

    advance(29 * 60_000);
    expect(await standin.runDueCrcs()).toEqual([]);
    advance(60_000);
    expect(await standin.runDueCrcs()).toHaveLength(1);
    expect(crcs()).not.toBe(first);

    mode = 404; // 4xx: transient as well
    advance(3 * HOUR + 29 * 60_000); // 27 h 59 min after the last pass (and 30 min after the last check)
    expect(await standin.runDueCrcs()).toHaveLength(1);
    expect(standin.webhooks.get(w.id)!.valid).toBe(true);
    advance(30 * 60_000); // beyond 28 hours
    expect(await standin.runDueCrcs()).toHaveLength(1);
    expect(standin.webhooks.get(w.id)).toMatchObject({ valid: false, invalidReason: expect.stringMatching(/more than 28 hours .*HTTP 404/) });
    expect((await client.listWebhooks())[0]).toMatchObject({ valid: false });

    // Invalid: nothing is delivered, no periodic check brings it back; PUT does once it passes.
    advance(HOUR);
    expect(await standin.runDueCrcs()).toEqual([]);
    mode = 'ok';
    expect(await client.validateWebhook(w.id)).toEqual({ valid: true, triggered: true, problems: [] });
    expect(standin.webhooks.get(w.id)).toMatchObject({ valid: true, lastValidatedAt: now.toISOString() });
  });

  it('a wrong response token or a redirect invalidates at once; PUT answers {data: {valid}} with the reason in errors', async () => {
    const client = await start();
    const w = await client.createWebhook(endpointUrl);
    advance(24 * HOUR);
    mode = 'wrong-token';
    await standin.runDueCrcs();
    expect(standin.webhooks.get(w.id)).toMatchObject({ valid: false, invalidReason: 'response token does not match' });

    mode = 302;
    const res = await fetch(`${standin.url}/2/webhooks/${w.id}`, { method: 'PUT', headers: { authorization: `Bearer ${APP.bearerToken}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { valid: boolean }; errors: Array<{ detail: string }> };
    expect(body.data).toEqual({ valid: false });
    expect(body.errors[0]!.detail).toMatch(/^CrcValidationFailed: .*redirect 302/);

    // A transient failure on PUT leaves an invalid webhook invalid, and a valid one valid (within 28 h).
    mode = 500;
    expect(await client.validateWebhook(w.id)).toMatchObject({ valid: false, problems: [expect.stringMatching(/HTTP 500/)] });
    mode = 'ok';
    expect(await client.validateWebhook(w.id)).toMatchObject({ valid: true });
    mode = 500;
    const transient = await client.validateWebhook(w.id);
    expect(transient).toMatchObject({ valid: true, triggered: true, problems: [expect.stringMatching(/HTTP 500/)] });
  });

  it('a CRC that does not answer within the limit is a transient failure; so is a delivery', async () => {
    const client = await start({ crcTimeoutMs: 300, deliveryTimeoutMs: 300 });
    const w = await client.createWebhook(endpointUrl);
    await client.createActivitySubscription({ event_type: 'follow.follow', filter: { user_id: USER.id }, webhook_id: w.id });
    stallDeliveries = true;
    const emitted = await standin.emit('follow', USER.id);
    expect(emitted.deliveries).toEqual([expect.objectContaining({ status: null, error: 'no answer within 300 ms' })]);
    expect(standin.webhooks.get(w.id)!.valid).toBe(true);
  });

  it('replays with both dates inclusive and reports the end only with the replay_job_status X documents', async () => {
    const client = await start({ clock: () => new Date() });
    const w = await client.createWebhook(endpointUrl);
    await client.createActivitySubscription({ event_type: 'follow.follow', filter: { user_id: USER.id }, webhook_id: w.id });
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
    await standin.emit('follow', USER.id, { at: new Date(minute.getTime() + 59_000), deliver: false });
    const job = await client.replayWebhook(w.id, minute, minute); // one minute: from = to, both inclusive
    expect(job.jobId).toMatch(/^\d+$/);
    await standin.replayJobs[0]!.done;
    expect(standin.replayJobs[0]).toMatchObject({ state: 'Complete', delivered: 1 });
    const status = standin.deliveries.filter((d) => d.activityType === 'replay.status');
    expect(status).toEqual([expect.objectContaining({ format: 'aaa', replay: true, status: 200 })]);
    expect(standin.outbox.some((e) => e.format === 'xaa' && e.body.includes('"replay.status"'))).toBe(false);
    const again = await client.replayWebhook(w.id, minute, minute);
    await standin.replayJobs[1]!.done;
    expect(again.jobId).not.toBe(job.jobId);
  });
});
