import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFromConfig } from '../../src/management/index.js';
import type { TestReceiver } from '../../src/testing/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { hasChromium, launchBrowser, type Browser } from '../support/browser.js';
import { accessibilityProblems, consoleLogin, startConsoleReceiver, type ConsoleReceiver } from '../support/console.js';
import { STANDIN_APP as APP, STANDIN_USER as USER, standinEnv } from '../support/standin.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

describe.skipIf(!hasChromium)('operator console: webhooks, subscriptions and replays against the X stand-in (chromium)', () => {
  let standin: XStandIn;
  let running: ConsoleReceiver;
  let receiver: TestReceiver;
  let browser: Browser;
  let base: string;
  let webhookId: string;

  beforeAll(async () => {
    standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true });
    await standin.start();
    running = await startConsoleReceiver(ADMIN_TOKEN, { failing: false, env: { ...standinEnv(standin.url, APP, USER), X_API_RETRIES: '0', LOG_LEVEL: 'error' } });
    ({ receiver, base } = running);
    // The webhook is registered at X (the stand-in runs a CRC against the receiver).
    webhookId = (await clientFromConfig(receiver.receiver.config).createWebhook(receiver.url)).id;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await standin?.stop();
  });

  it('shows the webhook at X with its validity and the CRCs answered; adds and removes subscriptions; requests a replay; falls back to the local view when X is gone', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await consoleLogin(page, base, ADMIN_TOKEN);

    await page.getByRole('link', { name: 'Webhooks' }).click();
    const hook = page.locator('#webhooks tbody tr', { hasText: webhookId });
    await expect.poll(() => hook.textContent()).toContain('valid');
    expect(await hook.textContent()).toContain(receiver.url);
    await expect.poll(async () => {
      await page.reload();
      return page.locator('#crc-checks tbody tr', { hasText: 'ok' }).count();
    }).toBeGreaterThan(0);

    // AAA: subscribe the user-context user, then unsubscribe.
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('button', { name: `Subscribe user ${USER.id}` }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Subscribed (AAA)');
    expect(await page.locator('#aaa-subscriptions tbody').textContent()).toContain(USER.id);
    expect(standin.subscriptions.get(webhookId)?.has(USER.id)).toBe(true);

    // XAA: an activity subscription per user and event type.
    await page.getByLabel('Event type').selectOption('profile.update.bio');
    await page.getByLabel('User id').fill(USER.id);
    await page.getByLabel('Tag (optional)').fill('console-test');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Activity subscription created');
    const xaaRow = page.locator('#xaa-subscriptions tbody tr', { hasText: 'profile.update.bio' });
    expect(await xaaRow.textContent()).toContain(`user_id=${USER.id}`);
    expect([...standin.activitySubs.values()].map((s) => s.event_type)).toEqual(['profile.update.bio']);

    await xaaRow.getByRole('button', { name: /Delete/ }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Activity subscription deleted');
    expect(standin.activitySubs.size).toBe(0);
    await page.locator('#aaa-subscriptions tbody tr', { hasText: USER.id }).getByRole('button', { name: /Unsubscribe/ }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Unsubscribed (AAA)');
    expect(standin.subscriptions.get(webhookId)?.has(USER.id) ?? false).toBe(false);

    // A replay job requested from the form, tracked in the list.
    await page.getByRole('link', { name: 'Replays' }).click();
    await page.getByRole('button', { name: 'Request replay' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Replay requested');
    expect(await page.locator('#replay-jobs tbody tr').count()).toBe(1);
    expect(await page.locator('#replay-jobs tbody').textContent()).toContain(webhookId);

    // The charts read without JavaScript: four inline SVGs.
    await page.getByRole('link', { name: 'Charts' }).click();
    expect(await page.locator('figure.chart svg').count()).toBe(4);

    // Every page: labelled controls, named buttons and links, text for the charts, landmarks.
    for (const path of ['/console/events', '/console/dead-letters', '/console/webhooks', '/console/subscriptions', '/console/replays', '/console/charts']) {
      await page.goto(`${base}${path}`);
      expect(await accessibilityProblems(page), path).toEqual([]);
    }

    // X unreachable: the local view, said so.
    await standin.stop();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    expect(await page.locator('main').textContent()).toContain('Local view: X could not be reached');
    expect(await page.locator('#webhooks tbody').textContent()).toContain(webhookId);
    await page.close();
  }, 120_000);
});
