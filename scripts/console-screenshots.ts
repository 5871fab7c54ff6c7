// Screenshots of the operator console for the README (docs/console/*.png): `npm run docs:screenshots`.
// A real receiver (a temporary SQLite file) with the project's X stand-in, sample deliveries, a
// handler that fails until told otherwise (dead letters), driven by Debian's chromium
// (/usr/bin/chromium) through playwright-core, launched as the console's browser tests launch it.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { clientFromConfig, Management } from '../src/management/index.js';
import { XStandIn } from '../src/testing/x-standin/index.js';
import { CHROMIUM, hasChromium, launchBrowser } from '../test/support/browser.js';
import { consoleLogin, startConsoleReceiver } from '../test/support/console.js';
import { STANDIN_APP as APP, STANDIN_USER as USER, standinEnv } from '../test/support/standin.js';

const OUT = path.resolve(import.meta.dirname, '../docs/console');
const ADMIN_TOKEN = 'screenshot-admin-token-0123456789';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!hasChromium) {
  console.error(`console-screenshots: ${CHROMIUM} is absent (apt install chromium)`);
  process.exit(1);
}

const standin = new XStandIn({ ...APP, users: [USER], allowLoopbackHttp: true });
await standin.start();
const running = await startConsoleReceiver(ADMIN_TOKEN, {
  failing: true,
  env: { ...standinEnv(standin.url, APP, USER), DISPATCH_RETRY_SCHEDULE: '100ms,200ms', LOG_LEVEL: 'error' },
});
const { receiver, base, failFile } = running;
const browser = await launchBrowser(DESKTOP);
try {
  // The webhook at X, a user subscribed (AAA), an activity subscription (XAA), a replay job.
  const config = receiver.receiver.config;
  const webhook = await clientFromConfig(config).createWebhook(receiver.url);
  const m = new Management(clientFromConfig(config), receiver.receiver.db);
  await m.subscribe(webhook.id);
  await m.createActivity({ event_type: 'profile.update.bio', filter: { user_id: USER.id }, webhook_id: webhook.id, tag: 'profile changes' });
  await m.createActivity({ event_type: 'follow.follow', filter: { user_id: USER.id }, webhook_id: webhook.id });
  await m.replay('xaa', webhook.id, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 3_600_000));

  // Two events dead-lettered, then the handler succeeds: a mix of states, and traffic for the charts.
  await receiver.deliver('dm.message', { text: 'is the order shipped?' });
  await receiver.deliver('like');
  while ((await receiver.events()).filter((e) => e.status === 'dead').length < 2) await sleep(100);
  fs.rmSync(failFile);
  const types = ['post.create', 'follow', 'like', 'dm.message'] as const;
  for (let i = 0; i < 16; i++) {
    await standin.emit(types[i % types.length]!, USER.id);
    if (i % 5 === 4) await receiver.deliver('profile.update', { format: 'xaa' });
    await sleep(2_000);
  }
  await receiver.waitForHandlers();

  const page = await browser.context.newPage();
  // The whole page, cut at 1400 pixels (long tables would make megabytes of PNG).
  const shot = async (p: Page, name: string, url?: string) => {
    if (url) await p.goto(`${base}${url}`);
    const width = p.viewportSize()!.width;
    const height = Math.min(1400, Math.ceil((await p.locator('body').boundingBox())!.height));
    await p.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true, clip: { x: 0, y: 0, width, height } });
    console.log(`docs/console/${name}.png`);
  };
  fs.mkdirSync(OUT, { recursive: true });
  await page.goto(`${base}/console/login`);
  await shot(page, 'login');
  await consoleLogin(page, base, ADMIN_TOKEN);
  await shot(page, 'live-tail', '/console/events');
  const dead = (await receiver.events()).find((e) => e.status === 'dead')!;
  await shot(page, 'event', `/console/events/${dead.id}`);
  await shot(page, 'dead-letters', '/console/dead-letters');
  await shot(page, 'webhooks', '/console/webhooks');
  await shot(page, 'subscriptions', '/console/subscriptions');
  await shot(page, 'replays', '/console/replays');
  await shot(page, 'charts', '/console/charts');
  await page.setViewportSize(PHONE);
  await shot(page, 'live-tail-phone', '/console/events');
  await shot(page, 'event-phone', `/console/events/${dead.id}`);
  await shot(page, 'charts-phone', '/console/charts');
} finally {
  await browser.close();
  await running.close();
  await standin.stop();
}
