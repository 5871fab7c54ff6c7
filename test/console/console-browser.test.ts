import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestReceiver } from '../../src/testing/index.js';
import { hasChromium, type Browser } from '../support/browser.js';
import { accessibilityProblems, startConsoleWithBrowser, type ConsoleUnderTest } from '../support/console.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

if (!hasChromium) console.warn('test/console: /usr/bin/chromium is absent (apt install chromium): the browser tests are skipped');

/** Reloads the page until `check` holds (the dispatcher works in the background). */
async function reloadUntil(page: Page, check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
}

describe.skipIf(!hasChromium)('operator console in a real browser (chromium)', () => {
  let receiver: TestReceiver;
  let browser: Browser;
  let base: string;
  let failFile: string;
  const cspViolations: string[] = [];

  let underTest: ConsoleUnderTest | undefined;

  beforeAll(async () => {
    underTest = await startConsoleWithBrowser(ADMIN_TOKEN);
    ({ receiver, browser, base, failFile } = underTest);
  });

  afterAll(async () => underTest?.close());

  it('logs in, sees a delivery in the live tail, opens it, redrives its dead letter to success, logs out', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });

    // No session: the console sends the browser to its login.
    await page.goto(`${base}/console/events`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the admin token');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/console/events')), page.getByRole('button', { name: 'Log in' }).click()]);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    const [cookie] = await browser.context.cookies(`${base}/console/events`);
    expect(cookie).toMatchObject({ name: 'xaa_console', httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });

    // The live tail is connected (the page's script opened its event stream).
    await expect.poll(() => page.locator('#live-status').textContent(), { timeout: 10_000 }).toContain('Live');
    const { activity } = await receiver.deliver('post.create', { text: 'hello console' });
    const row = page.locator('#tail-events tbody tr', { hasText: 'post.create' });
    await row.first().waitFor({ timeout: 15_000 });
    await page.locator('#tail-deliveries tbody tr', { hasText: 'accepted' }).first().waitFor({ timeout: 15_000 });
    // Its state follows without a reload: the handler fails every attempt, the event is dead.
    await expect.poll(() => row.first().locator('.state').textContent(), { timeout: 15_000 }).toBe('dead');

    // Open it: the normalized event, the raw delivery, the handler's attempts and errors.
    await row.first().getByRole('link').click();
    await page.waitForURL(/\/console\/events\/[^/]+$/);
    const eventUrl = page.url();
    expect(await accessibilityProblems(page)).toEqual([]);
    await expect.poll(() => page.locator('#raw-delivery').textContent()).toContain(activity.id);
    const normalized = JSON.parse((await page.locator('#normalized').textContent())!);
    expect(normalized).toMatchObject({ type: 'post.create', forUserId: '2244994945', format: 'aaa', data: { text: '@user2244994945 hello console' } });
    await reloadUntil(page, async () => (await page.locator('main dl.facts').textContent())!.includes('dead'), 'the handler to be dead-lettered');
    await expect.poll(() => page.locator('main').textContent()).toContain('switched to fail');

    // A second event for the same failing handler: two dead letters.
    const like = await receiver.deliver('like');
    await receiver.waitForHandlers();
    await reloadUntil(page, async () => (await receiver.events()).filter((e) => e.status === 'dead').length === 2, 'two dead letters');

    // The dead letters, redriven once the handler is told to succeed: one, then all.
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const letters = page.locator('#dead-letters tbody tr', { hasText: 'switchable' });
    await expect.poll(() => letters.count()).toBe(2);
    fs.rmSync(failFile);
    await page.locator('#dead-letters tbody tr', { hasText: 'post.create' }).getByRole('button', { name: /Redrive/ }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Redriven: 1');
    expect(await letters.count()).toBe(1);
    await page.goto(eventUrl);
    await reloadUntil(page, async () => (await page.locator('main dl.facts').textContent())!.includes('done'), 'the redriven handler to succeed');
    const runOf = async (activityId: string) =>
      (await receiver.events()).find((e) => JSON.stringify(e.payload).includes(activityId))?.runs[0];
    expect(await runOf(activity.id)).toMatchObject({ handler: 'switchable', state: 'done' });
    expect(await runOf(like.activity.id)).toMatchObject({ state: 'dead' });

    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('button', { name: /Redrive all/ }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Redriven: 1');
    await expect.poll(() => page.locator('#dead-letters tbody').textContent()).toContain('No dead letters waiting');
    await expect.poll(async () => (await runOf(like.activity.id))?.state, { timeout: 15_000 }).toBe('done');

    // Redispatch from the event's page: its handler runs once more.
    await page.goto(eventUrl);
    await page.getByRole('button', { name: 'Redispatch' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Redispatched');
    await expect.poll(async () => (await runOf(activity.id))?.history.length, { timeout: 15_000 }).toBe(4);
    expect(await runOf(activity.id)).toMatchObject({ state: 'done' });

    // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('main');

    // Log out: the session is over, the console asks for the login again.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/console\/login$/);
    await page.goto(`${base}/console/dead-letters`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(cspViolations).toEqual([]);
    await page.close();
  }, 120_000);
});
