// Baseline (a): the receiver a user would write by hand. Express 5, express.raw(), HMAC verify,
// JSON.parse, sendStatus(200). Stores nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';

const secret = process.env.X_CONSUMER_SECRET;
const app = express();
app.get('/webhook', (req, res) => {
  const token = String(req.query.crc_token ?? '');
  res.json({ response_token: `sha256=${createHmac('sha256', secret).update(token).digest('base64')}` });
});
app.post('/webhook', express.raw({ type: 'application/json', limit: '5mb' }), (req, res) => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(req.body).digest('base64')}`);
  const given = Buffer.from(String(req.headers['x-twitter-webhooks-signature'] ?? ''));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return res.sendStatus(401);
  JSON.parse(req.body.toString('utf8'));
  res.sendStatus(200);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
