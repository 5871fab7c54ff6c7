import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aaaBody, newActivity } from '../../src/testing/samples.js';
import { postSigned, startTestApp, type TestApp } from '../support/app.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';

interface Running {
  app: TestApp;
  base: string;
  close(): Promise<void>;
}

async function run(env: Record<string, string>): Promise<Running> {
  const app = await startTestApp('sqlite', env);
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    app,
    base,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    },
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('operator console over HTTP: sessions, cross-site requests, headers', () => {
  let c: Running;

  beforeAll(async () => {
    c = await run({ ADMIN_TOKEN });
  });
  afterAll(async () => {
    await c?.close();
  });

  async function login(headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string; csrf: string }> {
    const res = await fetch(`${c.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: c.base, ...headers }, body: form({ token: ADMIN_TOKEN }) });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    const cookie = setCookie.split(';')[0]!;
    const page = await fetch(`${c.base}/console/dead-letters`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    return { cookie, setCookie, csrf };
  }

  it('sends a request without a session to the login (pages) or refuses it (streams, forms)', async () => {
    const page = await fetch(`${c.base}/console/events?type=like`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fevents%3Ftype%3Dlike');
    const stream = await fetch(`${c.base}/console/events/stream`, { headers: { accept: 'text/event-stream' } });
    expect(stream.status).toBe(401);
    const post = await fetch(`${c.base}/console/dead-letters/redrive`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: c.base }, body: form({ all: '1' }) });
    expect(post.status).toBe(403);
    const forged = await fetch(`${c.base}/console/events`, { redirect: 'manual', headers: { cookie: 'xaa_console=made-up-session-id' } });
    expect(forged.status).toBe(303);
  });

  it('logs in with the admin token only, to a cookie that is HttpOnly, SameSite=Strict, Path=/console', async () => {
    const wrong = await fetch(`${c.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: c.base }, body: form({ token: 'x'.repeat(30) }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).not.toContain('x'.repeat(30));
    const { setCookie } = await login();
    expect(setCookie).toMatch(/^xaa_console=[\w-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/console');
    expect(setCookie).toContain('Max-Age=28800');
    expect(setCookie).not.toContain('Secure'); // plain HTTP, no trusted proxy saying otherwise
  });

  it('returns after login only to a console page of this server (no open redirect), with a new session id (no fixation)', async () => {
    // Its own server: these logins would use up the shared one's login rate limit.
    const own = await run({ ADMIN_TOKEN });
    try {
      const after = async (next: string) => {
        const res = await fetch(`${own.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: own.base }, body: form({ token: ADMIN_TOKEN, next }) });
        expect(res.status).toBe(303);
        return res.headers.get('location');
      };
      expect(await after('/console/dead-letters?all=1')).toBe('/console/dead-letters?all=1');
      for (const hostile of ['https://evil.example/console/', '//evil.example/console/', '/\\evil.example', '/console\\@evil.example', 'javascript:alert(1)', '/console/login?next=//evil.example']) {
        expect(await after(hostile), hostile).toBe('/console/events');
      }
      const page = await (await fetch(`${own.base}/console/login?next=${encodeURIComponent('//evil.example')}`)).text();
      expect(page).toContain('name="next" value="/console/events"');

      // No session fixation: a login with a session cookie already set gets a new id, and the old one ends.
      const loginWith = async (cookie?: string) => {
        const res = await fetch(`${own.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: own.base, ...(cookie ? { cookie } : {}) }, body: form({ token: ADMIN_TOKEN }) });
        return res.headers.get('set-cookie')!.split(';')[0]!;
      };
      const first = await loginWith();
      const second = await loginWith(first);
      expect(second).not.toBe(first);
      expect((await fetch(`${own.base}/console/events`, { redirect: 'manual', headers: { cookie: first } })).status).toBe(303);
      expect((await fetch(`${own.base}/console/events`, { redirect: 'manual', headers: { cookie: second } })).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('refuses with 403 a state-changing request from another origin, or without the CSRF token', async () => {
    const { cookie, csrf } = await login();
    const post = (headers: Record<string, string>, fields: Record<string, string>) =>
      fetch(`${c.base}/console/dead-letters/redrive`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, ...headers }, body: form(fields) });
    expect((await post({ origin: 'https://evil.example' }, { _csrf: csrf, all: '1' })).status).toBe(403);
    expect((await post({ origin: 'null' }, { _csrf: csrf, all: '1' })).status).toBe(403);
    expect((await post({ origin: c.base, 'sec-fetch-site': 'cross-site' }, { _csrf: csrf, all: '1' })).status).toBe(403);
    expect((await post({ origin: c.base, 'sec-fetch-site': 'same-site' }, { _csrf: csrf, all: '1' })).status).toBe(403);
    expect((await post({ origin: c.base }, { all: '1' })).status).toBe(403);
    expect((await post({ origin: c.base }, { _csrf: 'a'.repeat(43), all: '1' })).status).toBe(403);
    const ok = await post({ origin: c.base, 'sec-fetch-site': 'same-origin' }, { _csrf: csrf, all: '1' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console/dead-letters?notice=redriven&n=0');
    // A login posted from another site is refused too (no login CSRF).
    const crossLogin = await fetch(`${c.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: 'https://evil.example' }, body: form({ token: ADMIN_TOKEN }) });
    expect(crossLogin.status).toBe(403);
    expect(crossLogin.headers.get('set-cookie')).toBeNull();
  });

  it('takes the CSRF token only from the urlencoded form (not the query, a JSON or text body, twice, a method override); form keys pollute no prototype', async () => {
    // A receiver of its own: the shared one's login attempts are counted by the login's rate limit.
    const own = await run({ ADMIN_TOKEN });
    try {
      const loggedIn = await fetch(`${own.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: own.base }, body: form({ token: ADMIN_TOKEN }) });
      const cookie = loggedIn.headers.get('set-cookie')!.split(';')[0]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${own.base}/console/dead-letters`, { headers: { cookie } })).text())![1]!;
      const redrive = (init: { query?: string; contentType?: string; body?: string; method?: string; headers?: Record<string, string> }) =>
        fetch(`${own.base}/console/dead-letters/redrive${init.query ?? ''}`, {
          method: init.method ?? 'POST',
          redirect: 'manual',
          headers: { cookie, origin: own.base, ...(init.contentType ? { 'content-type': init.contentType } : {}), ...init.headers },
          body: init.body,
        });
      expect((await redrive({ query: `?_csrf=${csrf}&all=1` })).status).toBe(403);
      expect((await redrive({ contentType: 'application/json', body: JSON.stringify({ _csrf: csrf, all: '1' }) })).status).toBe(403);
      expect((await redrive({ contentType: 'text/plain', body: `_csrf=${csrf}&all=1` })).status).toBe(403);
      expect((await redrive({ contentType: FORM['content-type'], body: `_csrf=${csrf}&_csrf=${csrf}&all=1` })).status).toBe(403);
      // No method override: a GET carrying one is a GET (no such page), never the POST.
      const overridden = await redrive({ method: 'GET', query: `?_method=POST&_csrf=${csrf}&all=1`, headers: { 'x-http-method-override': 'POST' } });
      expect(overridden.status).toBe(404);

      // Keys are flat names (no nesting): __proto__ and constructor keys reach no prototype.
      for (const body of [`_csrf=${csrf}&__proto__[polluted]=1&all=1`, `_csrf=${csrf}&constructor[prototype][polluted]=1&all=1`, `_csrf=${csrf}&__proto__=1&all=1`]) {
        expect((await redrive({ contentType: FORM['content-type'], body })).status).toBe(303);
      }
      expect((await fetch(`${own.base}/console/events?__proto__[polluted]=1&constructor[prototype][polluted]=1`, { headers: { cookie } })).status).toBe(200);
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      await own.close();
    }
  });

  it('redispatches an event from its page, and only to a handler it has a run of', async () => {
    const body = aaaBody(newActivity('follow', '2244994945', { at: new Date() }));
    const delivered = await postSigned(`${c.base}/webhook`, body);
    expect(delivered.status).toBe(200);
    const event = (await c.app.db.prisma.event.findFirst({ where: { type: 'follow' } }))!;
    const { cookie, csrf } = await login();
    const page = await fetch(`${c.base}/console/events/${event.id}`, { headers: { cookie } });
    expect(await page.text()).toContain('No handler has taken this event');
    const post = (fields: Record<string, string>) =>
      fetch(`${c.base}/console/events/${event.id}/redispatch`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: c.base }, body: form({ _csrf: csrf, ...fields }) });
    const stranger = await post({ handler: 'no-such-plugin' });
    expect(stranger.status).toBe(409);
    expect(await stranger.text()).toContain('this event has no run of a handler &quot;no-such-plugin&quot;');
    const every = await post({});
    expect(every.status).toBe(303);
    expect(every.headers.get('location')).toBe(`/console/events/${event.id}?notice=requeued`);
    const missing = await fetch(`${c.base}/console/events/no-such-event/redispatch`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: c.base }, body: form({ _csrf: csrf }) });
    expect(missing.status).toBe(409);
    expect(await missing.text()).toContain('no event no-such-event');
    // The id comes from the path: its link back is the same id, encoded (not a path of its own, such as ../../).
    const odd = await fetch(`${c.base}/console/events/${encodeURIComponent('../../healthz?x=<b>')}/redispatch`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: c.base }, body: form({ _csrf: csrf }) });
    expect(odd.status).toBe(409);
    expect(await odd.text()).toContain(`<a href="/console/events/${encodeURIComponent('../../healthz?x=<b>')}">Back to the event</a>`);
  });

  it('answers a mistaken replay or subscription form with 400, a clear error and the values kept; X failing is 502', async () => {
    const { cookie, csrf } = await login();
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${c.base}${path}`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: c.base }, body: form({ _csrf: csrf, ...fields }) });
    const replay = (fields: Record<string, string>) => post('/console/replays', { kind: 'aaa', webhookId: '1234567890', from: '2026-01-01T10:00', to: '2026-01-01T11:00', ...fields });
    const cases: Array<[Record<string, string>, string]> = [
      [{ from: '' }, 'From is missing'],
      [{ from: '1' }, 'From is not a time'],
      [{ to: 'yesterday' }, 'To is not a time'],
      [{ from: '2026-01-01T12:00' }, 'From must not be after To'],
      [{ webhookId: '' }, 'choose a webhook'],
      [{ kind: 'enterprise' }, 'choose the API'],
    ];
    for (const [fields, message] of cases) {
      const res = await replay(fields);
      expect(res.status, message).toBe(400);
      const text = await res.text();
      expect(text, message).toMatch(new RegExp(`<p class="error" role="alert">[^<]*${message}`));
    }
    // The submitted values are shown again, not the defaults.
    const kept = await (await replay({ from: '2026-01-01T12:00' })).text();
    expect(kept).toContain('value="2026-01-01T12:00"');
    expect(kept).toContain('<option value="aaa" selected>');
    // A well-formed request that X cannot take (no credentials here): 502 with the client's message.
    const unsent = await replay({});
    expect(unsent.status).toBe(502);
    expect(await unsent.text()).toContain('<p class="error" role="alert">');
    const sub = await post('/console/subscriptions/xaa', { eventType: 'follow', userId: 'not-a-number', webhookId: '1234567890' });
    expect(sub.status).toBe(400);
    expect(await sub.text()).toContain('the user id is missing or malformed');
  });

  it('ends the session at logout: the same cookie no longer opens a page', async () => {
    const { cookie, csrf } = await login();
    const out = await fetch(`${c.base}/console/logout`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: c.base }, body: form({ _csrf: csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await fetch(`${c.base}/console/events`, { redirect: 'manual', headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/console\/login/);
  });

  it('serves every console response with the strict CSP and its assets from the repository', async () => {
    const { cookie } = await login();
    // An event, so that its page (and the tail's rows) are among those checked.
    const body = aaaBody(newActivity('like', '2244994945', { at: new Date() }));
    expect((await postSigned(`${c.base}/webhook`, body)).status).toBe(200);
    const event = (await c.app.db.prisma.event.findFirst({ where: { type: 'like' } }))!;
    const pages = ['/console/login', '/console/events', '/console/dead-letters?all=1', '/console/webhooks', '/console/subscriptions', '/console/replays', '/console/charts', `/console/events/${event.id}`];
    for (const p of [...pages, '/console/assets/console.css', '/console/assets/console.js']) {
      const res = await fetch(`${c.base}${p}`, { headers: { cookie } });
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-security-policy'), p).toBe(
        "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'",
      );
      const text = await res.text();
      if (p.endsWith('.css') || p.endsWith('.js')) continue;
      expect(res.headers.get('cache-control'), p).toBe('no-store');
      // The same as frame-ancestors 'none' for browsers that read only X-Frame-Options.
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
      // No inline script or style anywhere: the CSP would block them.
      expect(text).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(text).not.toMatch(/<style|\sstyle=/);
    }
    expect((await fetch(`${c.base}/console/assets/console.js`)).headers.get('content-type')).toContain('text/javascript');
  });

  it('escapes what it shows: a filter value cannot become markup', async () => {
    const { cookie } = await login();
    const res = await fetch(`${c.base}/console/events/%3Cscript%3Ealert(1)%3C%2Fscript%3E`, { headers: { cookie } });
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain('<script>alert(1)');
  });

  it('rate-limits login attempts per client address', async () => {
    const fresh = await run({ ADMIN_TOKEN });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 11; i++) {
        last = await fetch(`${fresh.base}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: fresh.base }, body: form({ token: 'wrong-token-wrong-token' }) });
        statuses.push(last.status);
        if (i < 10) await last.text();
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
      // For a person: the login page with the reason, under the console's CSP, and when to retry.
      expect(last!.headers.get('content-type')).toContain('text/html');
      expect(last!.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await last!.text()).toMatch(/<p class="error" role="alert">Too many login attempts from this address: try again in \d+ s\.<\/p>/);
    } finally {
      await fresh.close();
    }
  });

  it('marks the cookie Secure when the request came over HTTPS (a proxy TRUST_PROXY trusts says so)', async () => {
    const proxied = await run({ ADMIN_TOKEN, TRUST_PROXY: '1' });
    try {
      const res = await fetch(`${proxied.base}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...FORM, origin: 'https://console.example', 'x-forwarded-host': 'console.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
        body: form({ token: ADMIN_TOKEN }),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toContain('Secure');
    } finally {
      await proxied.close();
    }
  });
});

describe('operator console: absent without ADMIN_TOKEN, and the webhook unchanged by it', () => {
  it('has no /console without ADMIN_TOKEN', async () => {
    const plain = await run({});
    try {
      expect((await fetch(`${plain.base}/console/login`)).status).toBe(404);
      expect((await fetch(`${plain.base}/console/events`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it('answers the webhook (CRC) with the same headers with or without the console', async () => {
    const headersOf = async (env: Record<string, string>) => {
      const r = await run(env);
      try {
        const res = await fetch(`${r.base}/webhook?crc_token=abcdefghijklmnop`);
        expect(res.status).toBe(200);
        const h = Object.fromEntries([...res.headers].filter(([k]) => k !== 'date'));
        return { h, body: await res.json() };
      } finally {
        await r.close();
      }
    };
    const without = await headersOf({});
    const withConsole = await headersOf({ ADMIN_TOKEN });
    expect(withConsole).toEqual(without);
  });
});
