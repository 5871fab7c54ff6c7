/**
 * The same hostile HTTP against a spawned `xaa serve` (the real server factory and configuration):
 * HTTP_REQUEST_TIMEOUT_MS cuts stalled bodies off, RATE_LIMIT_PER_MINUTE throttles floods on the
 * non-webhook routes while deliveries keep being accepted, and nothing it prints carries the
 * secret or a stack trace.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase } from '../../src/store/index.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { spawnServe, stopSpawned, type Served } from '../support/process.js';
import { expectCleanResponse, post, request, TEST_SECRET, xSignature } from './support.js';


describe('xaa serve under hostile clients', () => {
  let db: TestDatabase;
  let run: Served;
  let port: number;

  beforeAll(async () => {
    db = await migratedDatabase('sqlite');
    run = await spawnServe(db.url, { NODE_ENV: 'production', HTTP_REQUEST_TIMEOUT_MS: '1000', RATE_LIMIT_PER_MINUTE: '50' });
    port = run.port;
  });

  afterAll(async () => {
    await stopSpawned(run);
    await db?.drop();
  });

  async function deliveries(): Promise<number> {
    const store = await openDatabase(loadConfig({ DATABASE_URL: db.url }).database);
    try {
      return await store.prisma.delivery.count();
    } finally {
      await store.close();
    }
  }

  it('a stalled body is cut off with 408 after HTTP_REQUEST_TIMEOUT_MS, and nothing is stored', async () => {
    const before = await deliveries();
    const body = Buffer.from('{"for_user_id":"1","tweet_create_events":[{"id_str":"424242"}]}');
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
      socket.write(
        `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `X-Twitter-Webhooks-Signature: ${xSignature(body, TEST_SECRET)}\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.subarray(0, 20).toString(),
      );
      setTimeout(() => socket.destroy(), 10_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await deliveries()).toBe(before);
  });

  it('a flood on /nope and /healthz is throttled (429) while signed deliveries keep getting 200', async () => {
    const flood = await Promise.all(
      Array.from({ length: 300 }, (_, i) => request(port, { path: i % 2 ? '/nope' : '/healthz' })),
    );
    const limited = flood.filter((r) => r.status === 429).length;
    // 50 per minute: the readiness polls of this file count towards the same window, and a slow
    // start could let a new window begin mid-flood; either way most of the 300 are refused.
    expect(limited).toBeGreaterThanOrEqual(200);
    for (const r of flood) expectCleanResponse(r, TEST_SECRET);
    for (let i = 0; i < 20; i++) {
      const body = Buffer.from(JSON.stringify({ for_user_id: '1', tweet_create_events: [{ id_str: `77${i}` }] }));
      const res = await post(port, body, { signature: xSignature(body, TEST_SECRET) });
      expect(res.status).toBe(200);
    }
    expect((await request(port, { path: `/webhook?crc_token=${'B'.repeat(24)}` })).status).toBe(200);
  });

  it('prints neither the secret nor a stack trace', () => {
    const output = run.output();
    expect(output).not.toContain(TEST_SECRET);
    expect(output).not.toContain('    at ');
    expect(output).toContain('rate limit reached');
    expect(output).not.toContain('ERR_ERL_');
  });
});
