import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestReceiver } from '../../src/testing/index.js';
import { hasChromium, type Browser } from '../support/browser.js';
import { consoleLogin, startConsoleWithBrowser, type ConsoleUnderTest } from '../support/console.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

/**
 * Contrast as the browser renders it (WCAG 2 relative luminance): every visible text against the
 * first opaque background behind it (AA: 4.5:1), and the focus outline of what the keyboard
 * reaches against what surrounds it (3:1). Returned as a list of problems (empty: none found).
 */
const CONTRAST = `(() => {
  const parse = (c) => { const p = c.match(/rgba?\\(([^)]+)\\)/)[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  window.__contrast = { parse, ratio, bgOf };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || el.closest('.sr-only, .skip, svg')) continue;
    if (!el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    const r = ratio(parse(cs.color), bgOf(el));
    if (r < 4.5) problems.push('text ' + r.toFixed(2) + ':1 ' + el.tagName.toLowerCase() + '.' + el.className + ' "' + walker.currentNode.textContent.trim().slice(0, 30) + '"');
  }
  return problems;
})()`;

const FOCUS = `(() => {
  const { parse, ratio, bgOf } = window.__contrast;
  const el = document.activeElement;
  if (!el || el === document.body) return 'end';
  const cs = getComputedStyle(el);
  if (cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) === 0) return 'no focus outline on ' + el.outerHTML.slice(0, 60);
  const rect = el.getBoundingClientRect();
  const x = rect.left >= 6 ? rect.left - 4 : rect.right + 4;
  const under = document.elementsFromPoint(x, rect.top + rect.height / 2).find((e) => e !== el && !el.contains(e)) || document.body;
  const r = ratio(parse(cs.outlineColor), bgOf(under));
  return r < 3 ? 'focus outline ' + r.toFixed(2) + ':1 on ' + el.outerHTML.slice(0, 60) : null;
})()`;

/** Tabs through the page (at most `tabs` stops, until focus leaves it): the focus problems met. */
async function focusProblems(page: Page, tabs: number): Promise<{ stops: number; problems: string[] }> {
  const problems: string[] = [];
  let stops = 0;
  for (let i = 0; i < tabs; i++) {
    await page.keyboard.press('Tab');
    const p = (await page.evaluate(FOCUS)) as string | null;
    if (p === 'end') break;
    stops++;
    if (p) problems.push(p);
  }
  return { stops, problems };
}

describe.skipIf(!hasChromium)('operator console contrast in a real browser (chromium)', () => {
  let receiver: TestReceiver;
  let browser: Browser;
  let base: string;

  let underTest: ConsoleUnderTest | undefined;

  beforeAll(async () => {
    // A handler that fails: dead letters, error texts and failure badges are on the pages too.
    underTest = await startConsoleWithBrowser(ADMIN_TOKEN);
    ({ receiver, browser, base } = underTest);
  });
  afterAll(async () => underTest?.close());

  it('keeps text at 4.5:1 and focus outlines at 3:1, in the dark header too', async () => {
    await receiver.deliver('like');
    await receiver.deliver('follow');
    // Both dead (after their retry): the pages hold what they will hold while they are checked.
    await expect.poll(async () => (await receiver.events()).map((e) => e.status), { timeout: 15_000 }).toEqual(['dead', 'dead']);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/console/login`);
    expect(await page.evaluate(CONTRAST), 'login').toEqual([]);
    await consoleLogin(page, base, ADMIN_TOKEN);
    for (const p of ['/console/events', '/console/dead-letters', '/console/webhooks', '/console/subscriptions', '/console/replays', '/console/charts']) {
      await page.goto(`${base}${p}`);
      expect(await page.evaluate(CONTRAST), p).toEqual([]);
    }
    // The keyboard's path through the live tail: skip link, header, filters, the first events.
    await page.goto(`${base}/console/events`);
    await page.evaluate(CONTRAST);
    const focus = await focusProblems(page, 30);
    expect(focus.problems).toEqual([]);
    expect(focus.stops).toBeGreaterThan(10); // skip link, brand, six pages, log out, the filters

    await page.close();
  }, 60_000);
});
