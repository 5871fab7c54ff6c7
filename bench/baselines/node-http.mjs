// Baseline (b): verify-only on plain node:http, the ceiling of this machine for verify + parse.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const secret = process.env.X_CONSUMER_SECRET;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const token = new URL(req.url, 'http://x').searchParams.get('crc_token') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ response_token: `sha256=${createHmac('sha256', secret).update(token).digest('base64')}` }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('base64')}`);
    const given = Buffer.from(String(req.headers['x-twitter-webhooks-signature'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401).end();
      return;
    }
    JSON.parse(body.toString('utf8'));
    res.writeHead(200).end('OK');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
