// Forwards each event to another URL as JSON, signed with its own HMAC so the receiver there can
// verify it: header x-xaa-signature: sha256=<hex HMAC-SHA256(secret, body)>. A non-2xx answer
// throws, so the dispatcher retries.
// Options (HANDLER_OPTIONS_FORWARDER, JSON): {"url": "https://...", "secret": "...", "timeoutMs": 10000};
// inactive while the variable is unset.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/index.js';

export default definePlugin({
  name: 'forwarder',
  options: z
    .object({
      url: z.url({ protocol: /^https?$/ }),
      // Required: without it the receiver there could not tell our requests from anyone's.
      secret: z.string().min(16, 'a secret of at least 16 characters is required to sign what is forwarded'),
      timeoutMs: z.number().int().positive().default(10_000),
    })
    .optional(),
  setup(hooks, options) {
    if (!options) return;
    const { url, secret, timeoutMs } = options;
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
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      });
      if (!res.ok) throw new Error(`forward to ${new URL(url).host} answered ${res.status}`);
    });
  },
});
