import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/console/html.js';
import { startTestReceiver, type TestReceiver } from '../../src/testing/index.js';
import { consoleCookie } from '../support/console.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';
/** With markup characters: the page shows it HTML-escaped, which must be caught too. */
const HANDLER_SECRET = 'leaky-handler-secret-<&>"-0123456789';

describe('operator console: secrets quoted by errors are not shown', () => {
  let receiver: TestReceiver;
  let base: string;

  beforeAll(async () => {
    receiver = await startTestReceiver({
      handlers: './test/fixtures/plugins/leaky.ts',
      options: { leaky: { apiToken: HANDLER_SECRET } },
      env: { ADMIN_TOKEN, DISPATCH_RETRY_SCHEDULE: '50ms', DISPATCH_POLL_MS: '50', LOG_LEVEL: 'silent' },
    });
    base = new URL(receiver.url).origin;
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('replaces a handler option secret in a stored handler error by [redacted] on the dead letters and event pages', async () => {
    await receiver.deliver('like');
    // Dead after its retry (waitForHandlers also settles on 'failing', a retry still to come).
    await expect.poll(async () => (await receiver.events())[0]?.status, { timeout: 15_000 }).toBe('dead');
    const [handled] = await receiver.events();
    // The store holds the error as the handler threw it: the console is what must not show it.
    expect(handled!.runs[0]!.lastError).toContain(HANDLER_SECRET);

    const cookie = await consoleCookie(base, ADMIN_TOKEN);
    const letters = await (await fetch(`${base}/console/dead-letters`, { headers: { cookie } })).text();
    const eventId = /href="\/console\/events\/([^"]+)"/.exec(letters)![1]!;
    const event = await (await fetch(`${base}/console/events/${eventId}`, { headers: { cookie } })).text();
    for (const [name, text] of [['dead letters', letters], ['event', event]] as const) {
      expect(text, name).toContain('the service refused the request with token [redacted]');
      expect(text, name).not.toContain(HANDLER_SECRET);
      expect(text, name).not.toContain(escapeHtml(HANDLER_SECRET));
      expect(text, name).not.toContain('leaky-handler-secret');
    }
  });
});
