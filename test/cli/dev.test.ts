// `xaa dev` end to end: a real child process (from source), real loopback HTTP, a fresh SQLite
// file it migrates itself, a handler file it reloads, and the X stand-in (its own with --emulate,
// the test's with --url).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { XClient } from '../../src/management/index.js';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { listSubscriptionRecords, listWebhookRecords, openDatabase } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { postSigned, TEST_SECRET } from '../support/app.js';
import { freePort, lines, spawnXaa, until, type Spawned } from '../support/process.js';
import { standinEnv } from '../support/standin.js';
import { runXaa } from './xaa-run.js';

const USER_ID = '2244994945';

/** A handler plugin that appends "<version> <type> <event id>" to its `out` option's file and logs. */
function handlerSource(version: string): string {
  return `import fs from 'node:fs';
export default {
  name: 'echo',
  options: (raw) => raw,
  setup(hooks, options) {
    hooks.onAny((event, ctx) => {
      fs.appendFileSync(options.out, '${version} ' + event.type + ' ' + event.id + '\\n');
      ctx.log.info({ type: event.type }, '${version} handled');
    });
  },
};
`;
}

/** Activity times of this run: older ones would be stale (past the dedupe window) and never dispatched. */
const T0 = Date.now();

function followBody(seq: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      for_user_id: USER_ID,
      follow_events: [{ type: 'follow', created_timestamp: String(T0 + seq), source: { id_str: String(5000 + seq) }, target: { id_str: USER_ID } }],
    }),
  );
}

const waitForOutput = (dev: Spawned, pattern: RegExp, timeoutMs = 30_000) =>
  until(() => pattern.test(dev.output()), timeoutMs).catch(() => {
    throw new Error(`xaa dev never printed ${pattern}; its output:\n${dev.output()}`);
  });

describe('xaa dev --emulate: the whole local loop in one process', () => {
  let dir: string;
  let handlerFile: string;
  let runs: string;
  let port: number;
  let xPort: number;
  let dev: Spawned;
  let webhookId: string;
  const webhookUrl = () => `http://127.0.0.1:${port}/webhook`;
  const standinUrl = () => `http://127.0.0.1:${xPort}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-dev-'));
    fs.mkdirSync(path.join(dir, 'handlers'));
    handlerFile = path.join(dir, 'handlers', 'echo.mjs');
    fs.writeFileSync(handlerFile, handlerSource('v1'));
    runs = path.join(dir, 'runs.log');
    port = await freePort();
    xPort = await freePort();
    dev = spawnXaa(['dev', '--emulate', '--emulate-port', String(xPort)], {
      // A database file that does not exist yet: dev migrates it.
      DATABASE_URL: `file:${path.join(dir, 'data', 'dev.db')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      HANDLERS: handlerFile,
      HANDLER_OPTIONS_ECHO: JSON.stringify({ out: runs }),
      // Set, so that the test can sign deliveries too (`xaa trigger`); the X credentials are made up.
      X_CONSUMER_SECRET: TEST_SECRET,
      DISPATCH_POLL_MS: '50',
    });
    await waitForOutput(dev, /^ready: /m);
  });

  afterAll(async () => {
    if (dev && dev.child.exitCode === null && dev.child.signalCode === null) {
      dev.child.kill('SIGKILL');
      await dev.exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the stand-in, migrates, serves, registers a valid webhook and subscribes the user', async () => {
    const out = dev.output();
    expect(out).toMatch(new RegExp(`^X stand-in on ${standinUrl()} \\(user ${USER_ID}; `, 'm'));
    expect(out).toMatch(/^receiver on .*\(database sqlite .*dev\.db, migrated\); handlers: echo$/m);
    const m = /^webhook (\d+) registered for (\S+): CRC passed, valid$/m.exec(out);
    expect(m, out).not.toBeNull();
    webhookId = m![1]!;
    expect(m![2]).toBe(webhookUrl());
    expect(out).toMatch(new RegExp(`^user ${USER_ID} subscribed to webhook ${webhookId}$`, 'm'));

    // What the stand-in (X) holds, through its own state page.
    const state = (await (await fetch(`${standinUrl()}/_standin/state`)).json()) as {
      data: { webhooks: Array<{ id: string; url: string; valid: boolean }>; subscriptions: Record<string, string[]> };
    };
    expect(state.data.webhooks).toEqual([expect.objectContaining({ id: webhookId, url: webhookUrl(), valid: true })]);
    expect(state.data.subscriptions[webhookId]).toEqual([USER_ID]);
  });

  it('handles an activity X delivers, one line for the delivery and one for the handler run, and pretty-prints the handler log', async () => {
    const res = await fetch(`${standinUrl()}/_standin/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'follow' }) });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { deliveries: Array<{ status: number }> } };
    expect(data.deliveries.map((d) => d.status)).toEqual([200]);
    await until(() => lines(runs).some((l) => l.startsWith('v1 follow ')));
    await waitForOutput(dev, new RegExp(`^handler +echo  follow  aaa  user ${USER_ID}  ok  [\\d.]+ ms$`, 'm'));
    expect(dev.output()).toMatch(new RegExp(`^delivery  follow  aaa  user ${USER_ID}  new  200  [\\d.]+ ms$`, 'm'));
    // The handler's ctx.log.info, on one line with the plugin's name, not a JSON document.
    await waitForOutput(dev, /^\[[\d:.]+\] INFO: echo: v1 handled \{"type":"follow"\}$/m);
    // The dispatch thread's own info lines are the receiver's: limited to warnings, as on the main thread.
    expect(dev.output()).not.toMatch(/handler plugins loaded/);
  });

  it('handles an event posted by `xaa trigger`, and says when a delivery is a duplicate', async () => {
    const triggered = await runXaa(['trigger', 'post.create', '--url', webhookUrl()], { X_CONSUMER_SECRET: TEST_SECRET });
    expect(triggered.code, triggered.stderr).toBe(0);
    await until(() => lines(runs).some((l) => l.startsWith('v1 post.create ')));
    await waitForOutput(dev, /^handler +echo  post\.create  aaa  user \d+  ok  /m);

    const body = followBody(1);
    expect((await postSigned(webhookUrl(), body)).status).toBe(200);
    expect((await postSigned(webhookUrl(), body)).status).toBe(200);
    await waitForOutput(dev, new RegExp(`^delivery  follow  aaa  user ${USER_ID}  duplicate  200  `, 'm'));
    // The same event ran its handler once.
    await until(() => lines(runs).filter((l) => l.startsWith('v1 follow ')).length === 2);
    const follows = lines(runs).filter((l) => l.startsWith('v1 follow '));
    expect(new Set(follows).size).toBe(follows.length);

    // A delivery that fails verification is shown too (and stores nothing).
    const forged = followBody(2);
    const res = await postSigned(webhookUrl(), forged, 'another-secret-0123456789');
    expect(res.status).toBe(401);
    const unsigned = await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: forged });
    expect(unsigned.status).toBe(401);
    await waitForOutput(dev, /^delivery  -  -  no user  rejected  401  0 ms: The x-twitter-webhooks-signature header is missing\.$/m);
    await waitForOutput(dev, new RegExp(`^delivery  follow  aaa  user ${USER_ID}  rejected  401  [\\d.]+ ms: The signature does not match the body\\.$`, 'm'));
  });

  it('reloads the handler when its file changes: the next delivery runs the new code', async () => {
    fs.writeFileSync(handlerFile, handlerSource('v2'));
    await waitForOutput(dev, /^reloaded  .*echo\.mjs changed: handlers echo$/m);
    await fetch(`${standinUrl()}/_standin/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'like' }) });
    await until(() => lines(runs).some((l) => l.startsWith('v2 like ')));
    expect(lines(runs).filter((l) => l.includes(' like '))).toEqual([expect.stringMatching(/^v2 like /)]);
    await waitForOutput(dev, /INFO: echo: v2 handled \{"type":"like"\}$/m);
    // The new thread's own info lines are left out too.
    expect(dev.output()).not.toMatch(/handler plugins loaded/);
  });

  it('keeps serving while a broken handler file cannot load, and runs the waiting events once it is fixed', async () => {
    fs.writeFileSync(handlerFile, 'export default {');
    await waitForOutput(dev, /^reload failed  HANDLERS: cannot load /m);
    const res = await fetch(`${standinUrl()}/_standin/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'block' }) });
    const { data } = (await res.json()) as { data: { deliveries: Array<{ status: number }> } };
    expect(data.deliveries.map((d) => d.status)).toEqual([200]);
    fs.writeFileSync(handlerFile, handlerSource('v3'));
    await until(() => lines(runs).some((l) => l.startsWith('v3 block ')));
  });

  it('on SIGINT unsubscribes the user and deletes the webhook it registered, then exits 0', async () => {
    dev.child.kill('SIGINT');
    const exit = await dev.exited;
    const out = dev.output();
    expect(exit.code, out).toBe(0);
    expect(out).toMatch(new RegExp(`^user ${USER_ID} unsubscribed from webhook ${webhookId}$`, 'm'));
    expect(out).toMatch(new RegExp(`^webhook ${webhookId} deleted$`, 'm'));
    expect(out).toMatch(/^stopped$/m);
    // The mirror is written after X accepted each call: the webhook is gone, the subscription removed.
    const db = await openDatabase(loadConfig({ DATABASE_URL: `file:${path.join(dir, 'data', 'dev.db')}` }).database);
    try {
      expect(await listWebhookRecords(db.prisma)).toEqual([]);
      const subs = await listSubscriptionRecords(db.prisma, { webhookId });
      expect(subs.map((s) => ({ userId: s.userId, status: s.status }))).toEqual([{ userId: USER_ID, status: 'removed' }]);
    } finally {
      await db.close();
    }
  });
});

describe('xaa dev --url: behind a tunnel, removing only what it registered', () => {
  const APP = { consumerKey: 'dev-consumer-key', consumerSecret: TEST_SECRET, bearerToken: 'dev-app-bearer-token' };
  const USER = { id: USER_ID, accessToken: `${USER_ID}-devAccessToken`, accessTokenSecret: 'dev-access-token-secret', oauth2Token: 'dev-oauth2-user-token' };
  let standin: XStandIn;
  let client: XClient;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true, maxWebhooks: 2 });
    await standin.start();
    client = new XClient({ baseUrl: standin.url, credentials: { bearerToken: APP.bearerToken }, retries: 0 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-dev-url-'));
    port = await freePort();
  });

  afterAll(async () => {
    await standin?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reuses the webhook X has for the URL (and keeps it), subscribes the user, prints JSON lines, and on SIGINT unsubscribes only', async () => {
    // The webhook exists before xaa dev: registered while something else answered X's CRC on the port.
    const crcOnly = http.createServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('crc_token') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_token: crcResponseToken(TEST_SECRET, token) }));
    });
    await new Promise<void>((resolve) => crcOnly.listen(port, '127.0.0.1', resolve));
    const before = await client.createWebhook(`http://127.0.0.1:${port}/webhook`);
    await new Promise<void>((resolve) => crcOnly.close(() => resolve()));

    const runs = path.join(dir, 'runs.log');
    fs.writeFileSync(path.join(dir, 'echo.mjs'), handlerSource('v1'));
    const dev = spawnXaa(['dev', '--url', `http://127.0.0.1:${port}`, '--json'], {
      DATABASE_URL: `file:${path.join(dir, 'dev.db')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      HANDLERS: path.join(dir, 'echo.mjs'),
      HANDLER_OPTIONS_ECHO: JSON.stringify({ out: runs }),
      ...standinEnv(standin.url, APP, USER),
      X_API_RETRIES: '0',
      DISPATCH_POLL_MS: '50',
    });
    try {
      await waitForOutput(dev, /^\{"kind":"ready"/m);
      // The JSON lines of `xaa dev --json` (records: {"kind"...}) and of pino (logs: {"level"...}).
      const jsonLines = (start: string) =>
        dev
          .output()
          .split('\n')
          .filter((l) => l.startsWith(start))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const records = () => jsonLines('{"kind"');
      expect(records().find((r) => r.kind === 'webhook')).toEqual({ kind: 'webhook', id: before.id, url: before.url, created: false, valid: true });
      expect(records().find((r) => r.kind === 'subscription')).toEqual({ kind: 'subscription', webhookId: before.id, user: USER.id, created: true });
      expect((await client.listSubscriptions(before.id)).userIds).toEqual([USER.id]);

      await standin.emit('follow', USER.id);
      await until(() => records().some((r) => r.kind === 'handler'));
      expect(records().find((r) => r.kind === 'delivery')).toMatchObject({ status: 200, outcome: 'new', types: ['follow'], format: 'aaa', users: [USER.id], events: 1, duplicates: 0 });
      expect(records().find((r) => r.kind === 'handler')).toMatchObject({ plugin: 'echo', type: 'follow', format: 'aaa', user: USER.id, attempt: 1, outcome: 'ok' });
      // The handler's ctx.log as a pino JSON line; the dispatch thread's own info lines are not printed.
      const logs = () => jsonLines('{"level"');
      await until(() => logs().some((r) => r.msg === 'v1 handled'));
      expect(logs().find((r) => r.msg === 'v1 handled')).toMatchObject({ level: 30, plugin: 'echo', type: 'follow' });
      expect(dev.output()).not.toMatch(/handler plugins loaded/);

      dev.child.kill('SIGINT');
      const exit = await dev.exited;
      expect(exit.code, dev.output()).toBe(0);
      expect(records().filter((r) => ['unsubscribed', 'deleted', 'kept'].includes(String(r.kind)))).toEqual([
        { kind: 'unsubscribed', webhookId: before.id, user: USER.id },
        { kind: 'kept', what: `webhook ${before.id} (it was registered for this URL before)` },
      ]);
      // At X: the subscription xaa dev made is gone, the webhook that was there before is not.
      expect((await client.listSubscriptions(before.id)).userIds).toEqual([]);
      expect((await client.listWebhooks()).map((w) => w.id)).toEqual([before.id]);
    } finally {
      if (dev.child.exitCode === null && dev.child.signalCode === null) dev.child.kill('SIGKILL');
      await dev.exited;
    }
  });

  it('a start that fails part way removes what it had registered and exits 1 with the reason', async () => {
    // X refuses the subscription: the webhook xaa dev created is deleted again.
    standin.failNext('POST /2/account_activity/webhooks/:id/subscriptions/all', { status: 403, body: { title: 'Forbidden', detail: 'not allowed', type: 'about:blank' } });
    const port2 = await freePort();
    const r = await runXaa(['dev', '--url', `http://127.0.0.1:${port2}`], {
      DATABASE_URL: `file:${path.join(dir, 'failing.db')}`,
      PORT: String(port2),
      HOST: '127.0.0.1',
      ...standinEnv(standin.url, APP, USER),
      X_API_RETRIES: '0',
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^webhook \\d+ registered for http://127\\.0\\.0\\.1:${port2}/webhook: CRC passed, valid$`, 'm'));
    expect(r.stderr).toMatch(/^xaa: .*403/m);
    expect((await client.listWebhooks()).map((w) => w.url)).not.toContain(`http://127.0.0.1:${port2}/webhook`);
    expect(standin.requests.filter((q) => q.route === 'DELETE /2/webhooks/:id').map((q) => q.status)).toEqual([200]);
  });

  it('refuses to start without --emulate or --url, saying which to give', async () => {
    const r = await runXaa(['dev'], { X_CONSUMER_SECRET: TEST_SECRET, DATABASE_URL: `file:${path.join(dir, 'none.db')}` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('xaa: xaa dev needs --emulate (a local X stand-in) or --url <public URL> (a tunnel that reaches this receiver)');
  });
});
