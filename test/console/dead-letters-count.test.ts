import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consoleCookie } from '../support/console.js';
import { eventInput, storeEvents } from '../support/events.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

// "Redrive all (N)" redrives every dead letter not yet redriven (of the handler shown): N is
// counted, not taken from the page's list, which stops at 200 and, with redriven letters shown,
// holds fewer waiting ones. 250 waiting and 10 redriven used to read "Redrive all (190)".
describe('console: the count on "Redrive all"', () => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    app = await startTestApp('sqlite', { ADMIN_TOKEN });
    server = http.createServer(app.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cookie = await consoleCookie(base, ADMIN_TOKEN);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await app?.close();
  });

  it('counts every waiting letter, whatever the list shows', async () => {
    await storeEvents(app.db, Array.from({ length: 260 }, () => eventInput()));
    const events = await app.db.prisma.event.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
    const t = Date.now();
    await app.db.prisma.deadLetter.createMany({
      data: events.map((e, i) => ({
        id: newId(t + i),
        eventId: e.id,
        handler: 'crm',
        attempts: 8,
        error: 'boom',
        deadAt: new Date(t + i),
        // The newest ten were redriven already.
        redrivenAt: i >= 250 ? new Date(t + 1_000 + i) : null,
      })),
    });
    const page = async (query: string) => (await fetch(`${base}/console/dead-letters${query}`, { headers: { cookie } })).text();
    expect(await page('?all=1')).toMatch(/Redrive all \(250\)<\/button>/);
    expect(await page('')).toMatch(/Redrive all \(250\)<\/button>/);
  });
});
