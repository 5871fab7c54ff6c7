/**
 * What X sends is shown as text, never as markup: a signed delivery whose post text, user names
 * and even an activity's key (an unknown activity's key becomes the event's action) carry HTML
 * and script, looked at in chromium on the live tail (the page's script adds rows from the
 * event stream) and on the events' pages (rendered on the server). Nothing runs, no element is
 * injected, the text reads as sent, and the CSP reports no violation (none was needed).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium } from '../support/browser.js';
import { consoleLogin, startConsoleWithBrowser, type ConsoleUnderTest } from '../support/console.js';

const ADMIN_TOKEN = 'console-admin-token-xss-0123456789';
const MARKUP = `</pre></td><script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"><svg onload="window.__xss = 3"></svg>"'&amp;`;
const KEY = `<img src=x onerror="window.__xss = 4">`;

/** Elements a page's own markup never has in its main content (the event and tail pages draw no image or SVG). */
const injected = (page: Page) => page.evaluate(`document.querySelectorAll('main script, main img, main svg, main iframe, [onerror], [onload]').length`);
const ran = (page: Page) => page.evaluate(`window.__xss ?? null`);

describe.skipIf(!hasChromium)('operator console: received markup stays text (chromium)', () => {
  let underTest: ConsoleUnderTest | undefined;
  beforeAll(async () => {
    underTest = await startConsoleWithBrowser(ADMIN_TOKEN);
  });
  afterAll(async () => underTest?.close());

  it('shows HTML and script from a signed delivery as text on the live tail and the event pages', async () => {
    const { receiver, browser, base } = underTest!;
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on('dialog', (d) => {
      violations.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await consoleLogin(page, base, ADMIN_TOKEN);
    await expect.poll(() => page.locator('#live-status').textContent(), { timeout: 10_000 }).toContain('Live');

    // An AAA delivery with markup in the post's text and its author's names, and an activity of an unknown key.
    const body = JSON.stringify({
      for_user_id: '2244994945',
      tweet_create_events: [
        { id_str: '1860000000000000777', created_at: 'Tue Dec 01 12:00:00 +0000 2026', text: MARKUP, user: { id_str: '99', screen_name: MARKUP, name: MARKUP } },
      ],
      [KEY]: [{ note: MARKUP }],
    });
    const answer = await receiver.post(body);
    expect(answer.status).toBe(200);

    // The live tail: rows added by the page's script from the event stream.
    const unknownRow = page.locator('#tail-events tbody tr', { hasText: 'unknown' }).first();
    await unknownRow.waitFor({ timeout: 15_000 });
    expect(await unknownRow.getByRole('link').textContent()).toBe(`unknown (${KEY})`);
    const postRow = page.locator('#tail-events tbody tr', { hasText: 'post.create' }).first();
    await postRow.waitFor();
    expect(await injected(page)).toBe(0);
    expect(await ran(page)).toBeNull();

    // The unknown event's page (server-rendered): its action reads as the key.
    await unknownRow.getByRole('link').click();
    await page.waitForURL(/\/console\/events\/[^/]+$/);
    expect(await page.locator('main dl.facts').textContent()).toContain(`unknown (${KEY})`);
    expect(await page.locator('#raw-delivery').textContent()).toBe(body);
    expect(await injected(page)).toBe(0);
    expect(await ran(page)).toBeNull();

    // The post's page: the normalized text and the raw body as sent, in elements with no children.
    await page.goBack();
    await page.reload();
    await page.locator('#tail-events tbody tr', { hasText: 'post.create' }).first().getByRole('link').click();
    await page.waitForURL(/\/console\/events\/[^/]+$/);
    const normalized = JSON.parse((await page.locator('#normalized').textContent())!) as { data: { text: string; authorUsername: string } };
    expect(normalized.data).toMatchObject({ text: MARKUP, authorUsername: MARKUP });
    expect(await page.locator('#raw-delivery').textContent()).toBe(body);
    expect(await page.evaluate(`document.querySelector('#normalized').children.length + document.querySelector('#raw-delivery').children.length`)).toBe(0);
    expect(await injected(page)).toBe(0);
    expect(await ran(page)).toBeNull();
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);
});
