import type { Page } from 'playwright-core';

/** Logs a page in to the console at `base` with the admin token; resolves on the live tail page. */
export async function consoleLogin(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Admin token').fill(token);
  await Promise.all([page.waitForURL(/\/console\/events$/), page.getByRole('button', { name: 'Log in' }).click()]);
}
