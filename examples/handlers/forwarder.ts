// Forwards each event to another URL as JSON, signed with its own HMAC so the receiver there can
// verify it: header x-xaa-signature: sha256=<hex HMAC-SHA256(FORWARD_SECRET, body)>.
// Inactive unless FORWARD_URL is set. A non-2xx answer throws, so the dispatcher retries.
import { createHmac } from 'node:crypto';
import { definePlugin } from '../../src/plugins/index.js';

export const name = 'forwarder';

export default definePlugin((hooks) => {
  const url = process.env.FORWARD_URL;
  const secret = process.env.FORWARD_SECRET ?? '';
  if (!url) return;
  hooks.onAny(async (event, ctx) => {
    const body = JSON.stringify(event);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-xaa-event-id': event.id,
        'x-xaa-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]),
    });
    if (!res.ok) throw new Error(`forward to ${new URL(url).host} answered ${res.status}`);
  });
});
