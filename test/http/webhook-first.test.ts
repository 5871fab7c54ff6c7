/**
 * The webhook is answered by the request listener before Express (createApp's `handler`): its
 * answers carry the security headers helmet would set, it is never rate limited nor logged per
 * request at info, and every other path still goes through Express.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBodyBudget } from '../../src/http/body-budget.js';
import { webhookRoute } from '../../src/http/webhook.js';
import { capturingLogger } from '../support/logs.js';
import { createMetrics } from '../../src/metrics/index.js';
import { sample, startTestApp, TEST_SECRET, xSignature, type TestApp } from '../support/app.js';
import { postDelivery } from '../receiver/helpers.js';

/** The security headers helmet sends (their values as helmet or stricter), restated here independently of src/. */
const SECURITY_HEADERS = {
  'content-security-policy': expect.stringMatching(/default-src '(none|self)'/),
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': expect.stringMatching(/^(DENY|SAMEORIGIN)$/),
};

describe('the webhook route, answered before Express', () => {
  let app: TestApp;
  beforeAll(async () => {
    // A limit of 1 a minute: anything Express serves is throttled after the first request.
    app = await startTestApp('sqlite', { RATE_LIMIT_PER_MINUTE: '1' });
  });
  afterAll(async () => app?.close());

  it('every webhook answer carries the security headers, no rate-limit headers, no x-powered-by', async () => {
    const body = sample('aaa-follow.json');
    const answers = [
      await postDelivery(app.handler, body),
      await postDelivery(app.handler, body, { signature: xSignature(body, 'another-secret-0123456789') }),
      await postDelivery(app.handler, body, { contentType: 'text/plain' }),
      await request(app.handler).get('/webhook?crc_token=abcdefghijklmnop'),
      await request(app.handler).get('/webhook'),
      await request(app.handler).put('/webhook'),
      // More than RATE_LIMIT_PER_MINUTE webhook requests, and none refused.
      await postDelivery(app.handler, body),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 415, 200, 400, 405, 200]);
    for (const res of answers) {
      expect(res.headers).toMatchObject(SECURITY_HEADERS);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers.ratelimit).toBeUndefined();
      expect(res.headers['ratelimit-policy']).toBeUndefined();
    }
    expect(answers[5]!.headers.allow).toBe('GET, POST');
  });

  it('deliveries write no request log line at info (pino-http does not run on the webhook)', async () => {
    app.logs.length = 0;
    const body = sample('aaa-follow.json');
    expect((await postDelivery(app.handler, body)).status).toBe(200);
    expect(app.logs.filter((l) => l.includes('"req"') || l.includes('request completed'))).toEqual([]);
  });

  it('every other path goes through Express: helmet, the rate limiter, the 404', async () => {
    const first = await request(app.handler).get('/nope');
    expect(first.status).toBe(404);
    expect(first.headers).toMatchObject(SECURITY_HEADERS);
    expect(first.headers['ratelimit-policy']).toBeDefined();
    expect((await request(app.handler).get('/healthz')).status).toBe(429);
    // The Express app alone does not serve the webhook: the listener does.
    expect((await request(app.app).get('/webhook?crc_token=abcdefghijklmnop')).status).toBe(429);
  });
});

describe('an unexpected error on the webhook route', () => {
  it('is a 500 with a JSON body and no details, logged at error', async () => {
    const logs: string[] = [];
    const logger = capturingLogger(logs, { level: 'info', secrets: [TEST_SECRET] });
    const webhook = webhookRoute({
      path: '/webhook',
      consumerSecret: TEST_SECRET,
      maxBodyBytes: 1024,
      bodyBudget: createBodyBudget({ totalBytes: 4096, perClientBytes: 2048 }),
      minUploadBytesPerSecond: 0,
      // An ingest that fails (a bug, not a store outage) on a signed delivery.
      ingest: Object.assign(
        async () => {
          throw new Error('boom at /work/src/somewhere.ts');
        },
        { refuseUnsigned: () => null },
      ),
      metrics: createMetrics(),
      logger,
    });
    const listener = (req: Parameters<typeof webhook>[0], res: Parameters<typeof webhook>[1]) => {
      if (!webhook(req, res)) res.writeHead(418).end();
    };
    const res = await postDelivery(listener, '{}');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'internal_error', message: 'Internal error.' });
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
    expect(res.text).not.toContain('boom');
    expect(logs.map((l) => JSON.parse(l) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 50, msg: 'request failed' }),
    ]);
    expect((await request(listener).get('/elsewhere')).status).toBe(418);
  });
});
