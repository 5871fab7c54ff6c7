import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aaaBody, newActivity, xaaBody } from '../../src/testing/samples.js';
import { postSigned, startTestApp, type TestApp } from '../support/app.js';
import { matches, type TailEvent, type TailItem } from '../../src/console/live-tail.js';
import { providersUnderTest } from '../support/databases.js';
import { consoleCookie } from '../support/console.js';
import { eventInput, storeEvents } from '../support/events.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

describe.each(providersUnderTest())('console live tail: server-sent events with filters, over HTTP (%s)', (provider) => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    app = await startTestApp(provider, { ADMIN_TOKEN });
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

  async function deliver(body: string): Promise<void> {
    const res = await postSigned(`${base}/webhook`, body);
    expect(res.status).toBe(200);
  }

  /** Reads server-sent events from `path` until `done` says so; returns them (kind, data). */
  async function readStream(path: string, act: () => Promise<void>, done: (seen: Array<{ kind: string; data: Record<string, unknown> }>) => boolean) {
    const controller = new AbortController();
    const res = await fetch(`${base}${path}`, { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const seen: Array<{ kind: string; data: Record<string, unknown> }> = [];
    let buffer = '';
    await reader.read(); // the retry line: the stream is open (and subscribed) from here
    await act();
    while (!done(seen)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += Buffer.from(value).toString('utf8');
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const kind = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (kind && data) seen.push({ kind, data: JSON.parse(data) });
      }
    }
    controller.abort();
    return seen;
  }

  it('sends new deliveries and events as they are stored', async () => {
    const like = newActivity('like', '2244994945', { at: new Date() });
    const seen = await readStream('/console/events/stream', () => deliver(aaaBody(like)), (s) => s.some((x) => x.kind === 'event') && s.some((x) => x.kind === 'delivery'));
    expect(seen.find((x) => x.kind === 'event')!.data).toMatchObject({ type: 'like', forUserId: '2244994945', format: 'aaa', status: 'pending' });
    expect(seen.find((x) => x.kind === 'delivery')!.data).toMatchObject({ format: 'aaa', status: 'accepted', eventCount: 1 });
  });

  it('sends only what passes the filters (type, user, format)', async () => {
    const seen = await readStream(
      '/console/events/stream?type=follow&user=1111111111&format=xaa',
      async () => {
        await deliver(aaaBody(newActivity('follow', '1111111111', { at: new Date() }))); // AAA: filtered out
        await deliver(xaaBody(newActivity('follow', '2222222222', { at: new Date() }))); // another user
        await deliver(xaaBody(newActivity('post.create', '1111111111', { at: new Date() }))); // another type
        await deliver(xaaBody(newActivity('follow', '1111111111', { at: new Date() }))); // the one
      },
      (s) => s.length > 0,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!).toMatchObject({ kind: 'event', data: { type: 'follow', forUserId: '1111111111', format: 'xaa' } });
  });

  // Over ~45 rows a second a tail's window (the last ten seconds and more) holds more than one
  // read's 500 rows: read from the oldest, every read gave back rows already sent and the tail
  // showed nothing new until the burst had left the window (~12 s here). It sends the newest.
  it('shows what arrives right after a burst larger than one read, while the burst is in its window', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/console/events/stream?user=4444444444`, { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read(); // subscribed
    await storeEvents(app.db, Array.from({ length: 600 }, () => eventInput({ forUserId: '5555555555' })));
    await new Promise((r) => setTimeout(r, 1_500)); // a read of the burst alone
    await deliver(aaaBody(newActivity('like', '4444444444', { at: new Date() })));
    // Well before the burst leaves the window (10 s after it was stored).
    const deadline = setTimeout(() => controller.abort(), 5_000);
    let text = '';
    try {
      while (!text.includes('4444444444')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    } catch {
      // aborted at the deadline
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
    expect(text).toContain('"forUserId":"4444444444"');
  }, 20_000);

  it('renders the same filters on the page without JavaScript', async () => {
    const res = await fetch(`${base}/console/events?format=xaa&user=1111111111`, { headers: { cookie } });
    const text = await res.text();
    expect(text).toContain('data-tail-src="/console/events/stream?user=1111111111&amp;format=xaa"');
    const rows = text.split('<tr id="event-').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/<td>1111111111<\/td><td class="hide-narrow">xaa<\/td>/);
  });
  it('ends a stream once its session ends (logout): nothing more is sent to it, and a new one is refused', async () => {
    const FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: base };
    const login = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: FORM, body: new URLSearchParams({ token: ADMIN_TOKEN }).toString() });
    const own = login.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${base}/console/dead-letters`, { headers: { cookie: own } })).text())![1]!;
    const controller = new AbortController();
    const res = await fetch(`${base}/console/events/stream`, { headers: { cookie: own, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the retry line: subscribed
    const out = await fetch(`${base}/console/logout`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: own }, body: new URLSearchParams({ _csrf: csrf }).toString() });
    expect(out.status).toBe(303);
    await deliver(aaaBody(newActivity('like', '3333333333', { at: new Date() })));
    // The first item after the logout ends the stream instead of reaching it.
    let text = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
        if (text.includes('3333333333')) break;
      }
    } finally {
      controller.abort();
    }
    expect(text).not.toContain('3333333333');
    const again = await fetch(`${base}/console/events/stream`, { headers: { cookie: own, accept: 'text/event-stream' } });
    expect(again.status).toBe(401);
    // The other session's stream is untouched.
    const seen = await readStream('/console/events/stream?user=4444444444', () => deliver(aaaBody(newActivity('like', '4444444444', { at: new Date() }))), (s) => s.length > 0);
    expect(seen[0]!).toMatchObject({ kind: 'event', data: { forUserId: '4444444444' } });
  });
});

describe('console live tail filters', () => {
  const event = (status: string): TailItem => ({
    kind: 'event',
    data: { id: 'e1', type: 'like', action: 'like', forUserId: '1111111111', format: 'xaa', status: status as TailEvent['status'], receivedAt: new Date(0).toISOString() },
  });
  const delivery: TailItem = { kind: 'delivery', data: { id: 'd1', format: 'xaa', status: 'accepted', eventCount: 1, receivedAt: new Date(0).toISOString() } };

  it('passes an event by its state, and a delivery only without event-only filters', () => {
    expect(matches(event('dead'), { state: 'dead' })).toBe(true);
    expect(matches(event('pending'), { state: 'dead' })).toBe(false);
    expect(matches(event('dead'), { state: 'dead', type: 'like', user: '1111111111', format: 'xaa' })).toBe(true);
    expect(matches(event('dead'), { state: 'dead', user: '2222222222' })).toBe(false);
    expect(matches(delivery, { format: 'xaa' })).toBe(true);
    expect(matches(delivery, { format: 'aaa' })).toBe(false);
    for (const f of [{ state: 'dead' }, { type: 'like' }, { user: '1111111111' }]) expect(matches(delivery, f)).toBe(false);
  });
});
