/**
 * TRUST_PROXY: whose word counts for the client's address. Off (the default), X-Forwarded-For is
 * ignored: the rate limiter, its log line and the stored delivery see the TCP peer, so a client
 * cannot pick its own address. On, the address comes from the header, walked from the right up
 * to the first untrusted hop: proxies the client puts in front of the chain are not believed.
 * Real receiver on SQLite, real HTTP over loopback (the peer is always 127.0.0.1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { post, request, startHostile, storedDelivery, type Hostile } from '../hostile/support.js';

let running: Hostile | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(env: Record<string, string>): Promise<Hostile> {
  running = await startHostile({ RATE_LIMIT_PER_MINUTE: '3', ...env });
  return running;
}

const get = (h: Hostile, forwardedFor: string) => request(h.port, { path: '/nope', headers: { 'x-forwarded-for': forwardedFor } });

/** The remoteAddr of each 'rate limit reached' line logged so far. */
function limitedAddresses(h: Hostile): string[] {
  return h.app.logs
    .map((line) => JSON.parse(line) as { msg?: string; remoteAddr?: string })
    .filter((line) => line.msg?.startsWith('rate limit reached'))
    .map((line) => String(line.remoteAddr));
}

let seq = 0;
async function deliveryFrom(h: Hostile, forwardedFor: string | undefined): Promise<string | null | undefined> {
  const body = Buffer.from(JSON.stringify({ for_user_id: '1', tweet_create_events: [{ id_str: `9${Date.now()}${seq++}` }] }));
  const res = await post(h.port, body, forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } });
  expect(res.status).toBe(200);
  return (await storedDelivery(h.app, body))?.remoteAddr;
}

describe('TRUST_PROXY unset (the default): X-Forwarded-For is ignored', () => {
  it('every request counts against the TCP peer, whatever address it claims', async () => {
    const h = await start({});
    const statuses = [];
    for (const claimed of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) statuses.push((await get(h, claimed)).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    expect(limitedAddresses(h)).toEqual(['127.0.0.1']);
    expect(h.app.logs.join('')).not.toContain('203.0.113.');
  });

  it('a delivery is stored with the TCP peer as its address', async () => {
    const h = await start({});
    expect(await deliveryFrom(h, '203.0.113.9')).toBe('127.0.0.1');
  });

  it('TRUST_PROXY=false is the same', async () => {
    const h = await start({ TRUST_PROXY: 'false' });
    expect(await deliveryFrom(h, '203.0.113.9')).toBe('127.0.0.1');
  });
});

describe('TRUST_PROXY set: the client address comes from X-Forwarded-For', () => {
  it('with the proxy trusted (loopback), each forwarded client has its own rate limit, logged under its address', async () => {
    const h = await start({ TRUST_PROXY: 'loopback' });
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      for (let i = 0; i < 3; i++) expect((await get(h, client)).status).toBe(404);
    }
    expect(limitedAddresses(h)).toEqual([]);
    expect((await get(h, '203.0.113.2')).status).toBe(429);
    expect((await get(h, '203.0.113.5')).status).toBe(404);
    expect(limitedAddresses(h)).toEqual(['203.0.113.2']);
  });

  it('deliveries are stored with the forwarded address; a request without the header keeps the peer', async () => {
    const h = await start({ TRUST_PROXY: '127.0.0.1' });
    expect(await deliveryFrom(h, '198.51.100.7')).toBe('198.51.100.7');
    expect(await deliveryFrom(h, undefined)).toBe('127.0.0.1');
  });

  it('an address list believes only the hops it names: a client-supplied prefix is not the client', async () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy (127.0.0.1) appended the client's real address.
    const h = await start({ TRUST_PROXY: '127.0.0.0/8, 10.0.0.0/8' });
    expect(await deliveryFrom(h, '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
    // A chain of trusted proxies (10.1.2.3 in front of the loopback one) is walked through.
    expect(await deliveryFrom(h, '6.6.6.6, 198.51.100.8, 10.1.2.3')).toBe('198.51.100.8');
  });

  it('a hop count takes that many proxies from the right, no more', async () => {
    const one = await start({ TRUST_PROXY: '1' });
    expect(await deliveryFrom(one, '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
    await one.close();
    running = undefined;
    const two = await start({ TRUST_PROXY: '2' });
    expect(await deliveryFrom(two, '6.6.6.6, 198.51.100.7')).toBe('6.6.6.6');
  });
});

describe('TRUST_PROXY values', () => {
  const parse = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;

  it('accepts off, a hop count, and lists of addresses, CIDRs and named ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(parse('false')).toBe(false);
    expect(parse('0')).toBe(false);
    expect(parse('2')).toBe(2);
    expect(parse('10.0.0.1')).toEqual(['10.0.0.1']);
    expect(parse('10.0.0.0/8, fd00::/8,loopback')).toEqual(['10.0.0.0/8', 'fd00::/8', 'loopback']);
    expect(parse('0.0.0.0/1')).toEqual(['0.0.0.0/1']);
    expect(parse('loopback,linklocal,uniquelocal,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16')).toHaveLength(6);
    // Cloudflare's published ranges, as a long real list of public ones.
    expect(parse('173.245.48.0/20,103.21.244.0/22,103.22.200.0/22,103.31.4.0/22,141.101.64.0/18,108.162.192.0/18,190.93.240.0/20,188.114.96.0/20,197.234.240.0/22,198.41.128.0/17,162.158.0.0/15,104.16.0.0/13,104.24.0.0/14,172.64.0.0/13,131.0.72.0/22,2400:cb00::/32,2606:4700::/32,2803:f800::/32,2405:b500::/32,2405:8100::/32,2a06:98c0::/29,2c0f:f248::/32')).toHaveLength(22);
  });

  it.each([
    ['true', /TRUST_PROXY is invalid: true would believe any X-Forwarded-For/],
    ['proxy.example.com', /TRUST_PROXY is invalid: entry 1 of the list is neither an IP address, a CIDR range/],
    ['10.0.0.1, 10.0.0.0/33', /TRUST_PROXY is invalid: entry 2 of the list/],
    ['10.0.0.1,,10.0.0.2', /TRUST_PROXY is invalid: an empty entry/],
    ['99', /TRUST_PROXY is invalid: a hop count of at most 32/],
    // Every address by another name: as true, any client could pick its own address. (A /0
    // range is not one proxy-addr takes; the IPv4-mapped range is, and holds every IPv4 client.)
    ['10.0.0.1,0.0.0.0/0', /TRUST_PROXY is invalid: entry 2 of the list/],
    ['::/0', /TRUST_PROXY is invalid: entry 1 of the list/],
    ['::ffff:0:0/96', /TRUST_PROXY is invalid: entry 1 of the list is every address/],
    ['2000::/3', /TRUST_PROXY is invalid: entry 1 of the list is every address/],
    // Every address in parts: each entry alone is not, together they are.
    ['0.0.0.0/1,128.0.0.0/1', /TRUST_PROXY is invalid: the list's entries together are every address/],
    ['::ffff:0:0/97, ::ffff:8000:0/97', /TRUST_PROXY is invalid: the list's entries together are every address/],
    ['loopback,0.0.0.0/2,64.0.0.0/2,128.0.0.0/2,192.0.0.0/3', /TRUST_PROXY is invalid: the list's entries together are every address/],
    ['2000::/4,3000::/4', /TRUST_PROXY is invalid: the list's entries together are every address/],
  ])('refuses %s with a clear error that does not repeat the value', (value, message) => {
    let error: unknown;
    try {
      parse(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    if (value !== 'true') expect((error as Error).message).not.toContain(value);
  });
});
