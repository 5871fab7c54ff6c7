// The example plugins as an operator runs them: `xaa worker` with HANDLERS and their options in
// HANDLER_OPTIONS_<NAME>, against the X stand-in (ctx.x sends the DM over real HTTP) and a local
// endpoint that takes the forwarded events.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';
import { spawnXaa, until, type Spawned } from '../support/process.js';
import { STANDIN_APP as APP, STANDIN_USER as USER } from '../support/standin.js';

const FORWARD_SECRET = 'forward-hmac-secret-value';

function receivedDm(from: string) {
  return eventInput({
    type: 'dm.message',
    action: 'received',
    forUserId: USER.id,
    payload: JSON.stringify({
      type: 'message_create',
      id: '1985234567890123456',
      created_timestamp: '1793617800000',
      message_create: { sender_id: from, target: { recipient_id: USER.id }, message_data: { text: 'hello?' } },
    }),
  });
}

describe.each(providersUnderTest())('example plugins with options, in `xaa worker` (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  let standin: XStandIn;
  let endpoint: http.Server;
  let forwarded: Array<{ body: string; signature: string | undefined }>;
  let worker: Spawned | undefined;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    standin = new XStandIn({ ...APP, users: [USER] });
    await standin.start();
    forwarded = [];
    endpoint = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        forwarded.push({ body, signature: req.headers['x-xaa-signature'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
    worker = undefined;
    await new Promise((resolve) => endpoint.close(resolve));
    await standin.stop();
    await db.close();
    await testDb.drop();
  });

  function startWorker(env: Record<string, string>): Spawned {
    worker = spawnXaa(['worker'], {
      DATABASE_URL: testDb.url,
      HANDLERS: './examples/handlers/dm-auto-reply.ts,./examples/handlers/forwarder.ts',
      X_API_BASE_URL: standin.url,
      X_CONSUMER_KEY: APP.consumerKey,
      X_CONSUMER_SECRET: APP.consumerSecret,
      X_ACCESS_TOKEN: USER.accessToken,
      X_ACCESS_TOKEN_SECRET: USER.accessTokenSecret,
      DISPATCH_POLL_MS: '50',
      LOG_LEVEL: 'warn',
      ...env,
    });
    return worker;
  }

  it('answers a received DM through ctx.x and forwards every event, signed, with the configured options', async () => {
    const { port } = endpoint.address() as AddressInfo;
    await storeEvents(db, [receivedDm('783214'), eventInput()]);
    const w = startWorker({
      HANDLER_OPTIONS_DM_AUTO_REPLY: JSON.stringify({ text: 'Thanks, we will get back to you.' }),
      HANDLER_OPTIONS_FORWARDER: JSON.stringify({ url: `http://127.0.0.1:${port}/in`, secret: FORWARD_SECRET }),
    });
    await until(async () => (await db.prisma.handlerRun.count({ where: { state: 'done' } })) === 3, 60_000);

    expect(standin.sentMessages).toEqual([{ from: USER.id, to: '783214', text: 'Thanks, we will get back to you.', dmEventId: expect.any(String) }]);
    expect(forwarded).toHaveLength(2);
    for (const f of forwarded) {
      expect(f.signature).toBe(`sha256=${createHmac('sha256', FORWARD_SECRET).update(f.body).digest('hex')}`);
    }
    expect(forwarded.map((f) => (JSON.parse(f.body) as { type: string }).type).sort()).toEqual(['dm.message', 'follow']);
    const runs = await db.prisma.handlerRun.findMany({ select: { handler: true, state: true } });
    expect(runs.map((r) => r.handler).sort()).toEqual(['dm-auto-reply', 'forwarder', 'forwarder']);
    expect(w.output()).not.toContain(FORWARD_SECRET);
  });

  it('stops at startup, naming the variable, when the options are invalid', async () => {
    const w = startWorker({ HANDLER_OPTIONS_FORWARDER: JSON.stringify({ url: 'not a url', secret: FORWARD_SECRET }) });
    const { code } = await w.exited;
    expect(code).toBe(1);
    expect(w.output()).toMatch(/xaa: HANDLER_OPTIONS_FORWARDER is invalid: plugin "forwarder" rejects its options: url: /);
    expect(w.output()).not.toContain(FORWARD_SECRET);
    expect(w.output()).not.toContain('not a url');
  });

  it('the forwarder refuses to run without its secret (it would sign with an empty key)', async () => {
    for (const options of [{ url: 'https://example.test/in' }, { url: 'https://example.test/in', secret: '' }]) {
      const w = startWorker({ HANDLER_OPTIONS_FORWARDER: JSON.stringify(options) });
      const { code } = await w.exited;
      expect(code).toBe(1);
      expect(w.output()).toMatch(/xaa: HANDLER_OPTIONS_FORWARDER is invalid: plugin "forwarder" rejects its options: secret: /);
    }
  });
});
