import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startTestReceiver, type TestReceiver } from '../../src/testing/index.js';
import { launchBrowser, type Browser } from './browser.js';

/** Logs in to the console at `base` over HTTP with the admin token; resolves to the session cookie ("name=value"). */
export async function consoleCookie(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ token }).toString(),
  });
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** Logs a page in to the console at `base` with the admin token; resolves on the live tail page. */
export async function consoleLogin(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Admin token').fill(token);
  await Promise.all([page.waitForURL(/\/console\/events$/), page.getByRole('button', { name: 'Log in' }).click()]);
}

/**
 * What keeps a console page from being usable by keyboard and screen reader, as a list of
 * problems (empty: none found): form controls without a label or accessible name, buttons and
 * links without text, images without a text alternative, no main landmark or h1, no skip link.
 * Evaluated in the page (a string: the test project has no DOM types).
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = [];
    const named = (el) => (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.textContent || '').trim() || el.getAttribute('title')) ? true : false;
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const label = el.id && document.querySelector('label[for="' + el.id + '"]');
      if (!label && !el.closest('label') && !el.getAttribute('aria-label')) problems.push('unlabelled ' + el.tagName.toLowerCase() + ' ' + (el.name || ''));
    }
    for (const el of document.querySelectorAll('button, a[href]')) if (!named(el)) problems.push('nameless ' + el.tagName.toLowerCase() + ' ' + el.outerHTML.slice(0, 80));
    for (const el of document.querySelectorAll('img, svg')) if (!el.getAttribute('alt') && !el.getAttribute('aria-label')) problems.push('image without text ' + el.outerHTML.slice(0, 80));
    if (document.querySelectorAll('main').length !== 1) problems.push('not one main landmark');
    if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
    const skip = document.querySelector('a.skip');
    if (!skip || skip.getAttribute('href') !== '#main') problems.push('no skip link to #main');
    if (!document.documentElement.lang) problems.push('no lang on html');
    return problems;
  })()`);
}

/** A receiver with the console on and the switchable test plugin, stopped with its temporary folder. */
export interface ConsoleReceiver {
  receiver: TestReceiver;
  /** The receiver's origin, e.g. http://127.0.0.1:41234. */
  base: string;
  /** The switchable plugin fails while this file exists. */
  failFile: string;
  close(): Promise<void>;
}

/**
 * Starts a receiver with ADMIN_TOKEN set (the console present) and the switchable test plugin,
 * whose file is created when `failing` (the plugin fails until it is removed); `env` adds to the
 * receiver's configuration.
 */
export async function startConsoleReceiver(adminToken: string, options: { failing: boolean; env?: Record<string, string> }): Promise<ConsoleReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-console-'));
  const failFile = path.join(dir, 'fail');
  if (options.failing) fs.writeFileSync(failFile, 'fail until this file is removed');
  let receiver: TestReceiver;
  try {
    receiver = await startTestReceiver({
      handlers: './test/fixtures/plugins/switchable.ts',
      options: { switchable: { failFile } },
      env: { ADMIN_TOKEN: adminToken, ...options.env },
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    receiver,
    base: new URL(receiver.url).origin,
    failFile,
    async close() {
      await receiver.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A receiver with the console on and a chromium to look at it, stopped together. */
export interface ConsoleUnderTest extends ConsoleReceiver {
  browser: Browser;
}

/**
 * Starts a receiver with ADMIN_TOKEN set (the console present) and the switchable test plugin,
 * failing until its file is removed (quick retries, so its events are soon dead letters), and
 * launches chromium.
 */
export async function startConsoleWithBrowser(adminToken: string): Promise<ConsoleUnderTest> {
  const running = await startConsoleReceiver(adminToken, { failing: true, env: { DISPATCH_RETRY_SCHEDULE: '50ms', DISPATCH_POLL_MS: '50', LOG_LEVEL: 'warn' } });
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await running.close();
    throw error;
  }
  return {
    ...running,
    browser,
    async close() {
      await browser.close();
      await running.close();
    },
  };
}
