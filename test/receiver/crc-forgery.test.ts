import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

// The CRC answer is HMAC(secret, token): the same as the signature of a body equal to the token.
// The CRC endpoint must not be usable to sign a delivery that the webhook then accepts.
describe('a CRC answer cannot be replayed as a delivery signature', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(['1234567890123456', '-987654321098765', '1E+1000000000000', 'AAAAAAAAAAAAAAAA'])('refuses %s with 401 and stores nothing', async (token) => {
    const crc = await request(app.handler).get(`/webhook?crc_token=${encodeURIComponent(token)}`);
    expect(crc.status).toBe(200);
    const signature = (crc.body as { response_token: string }).response_token;
    const before = await app.db.prisma.delivery.count();
    const res = await request(app.handler)
      .post('/webhook')
      .set('content-type', 'application/json')
      .set('x-twitter-webhooks-signature', signature)
      .send(token);
    expect(res.status).toBe(401);
    expect(await app.db.prisma.delivery.count()).toBe(before);
  });
});
