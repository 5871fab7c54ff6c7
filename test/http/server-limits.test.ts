/**
 * The HTTP server's connection limits (what `xaa serve` builds): past HTTP_MAX_CONNECTIONS a new
 * connection is closed at once, unanswered, and reported; once one closes, new ones are served
 * again. An idle kept-alive connection is closed by the server after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
import type { Server } from 'node:http';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { trustedPeer } from '../../src/http/trusted-proxy.js';
import { hasOpenssl, makeCertificate } from '../support/certificates.js';
import { until } from '../support/process.js';
import { openRequest } from '../support/raw-http.js';

const openssl = hasOpenssl();

/** Whether this machine can listen on '::' and take IPv4 connections there (as ::ffff:a.b.c.d). */
async function hasDualStack(): Promise<boolean> {
  const probe = net.createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '::', resolve));
    const port = (probe.address() as AddressInfo).port;
    return await new Promise<boolean>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(true)).on('error', () => resolve(false));
      c.on('close', () => resolve(false));
    });
  } catch {
    return false;
  } finally {
    probe.close();
  }
}
const dualStack = await hasDualStack();
if (!dualStack) console.warn('test/http/server-limits: no dual-stack listener on this machine: the IPv4-mapped case is skipped');
if (!openssl) console.warn('test/http/server-limits: no openssl command to make a test certificate with: the HTTPS case is skipped');

describe('the HTTP server limits', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(
    options: {
      maxConnections: number;
      keepAliveTimeoutMs: number;
      maxConnectionsPerClient?: number;
      isTrustedPeer?: (address: string | undefined) => boolean;
      tls?: { cert: Buffer; key: Buffer };
    },
    dropped: string[] = [],
    host = '127.0.0.1',
  ): Promise<number> {
    server = createHttpServer((_req, res) => res.writeHead(200, { 'content-length': 2 }).end('ok'), {
      requestTimeoutMs: 30_000,
      ...options,
      onDropped: (address, limit) => dropped.push(limit === 'client' ? `${address} (client)` : String(address)),
    });
    server.listen(0, host);
    await new Promise<void>((resolve) => server!.once('listening', resolve));
    return (server.address() as AddressInfo).port;
  }

  const get = (port: number, localAddress = '127.0.0.1') => openRequest({ port, localAddress, method: 'GET', path: '/', headers: {} });

  it('closes connections past HTTP_MAX_CONNECTIONS unanswered, reports them, and serves again once one closes', async () => {
    const dropped: string[] = [];
    const port = await listen({ maxConnections: 3, keepAliveTimeoutMs: 60_000 }, dropped);
    // Three kept-alive connections, each answered once and left open.
    const open = [get(port), get(port), get(port)];
    for (const c of open) expect((await c.answer).status).toBe(200);

    const fourth = get(port, '127.0.0.2');
    const refused = await fourth.answer;
    expect(refused.status).toBeNull();
    expect((await fourth.closed).byServer).toBe(true);
    expect(dropped).toEqual(['127.0.0.2']);

    open[0]!.abort();
    await open[0]!.closed;
    await until(async () => {
      const next = get(port);
      const answer = await next.answer;
      next.abort();
      return answer.status === 200;
    }, 10_000);
    for (const c of open) c.abort();
  });

  it('closes a client\'s connections past HTTP_MAX_CONNECTIONS_PER_CLIENT (a slowloris from one address), other clients still served', async () => {
    const dropped: string[] = [];
    const port = await listen({ maxConnections: 10, maxConnectionsPerClient: 2, keepAliveTimeoutMs: 60_000 }, dropped);
    // Two connections from one client holding half-sent headers, as a slowloris does.
    const held = [0, 1].map(() => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      return socket;
    });
    await until(async () => {
      const probe = openRequest({ port, localAddress: '127.0.0.1', method: 'GET', path: '/', headers: { connection: 'close' } });
      return (await probe.answer).status === null;
    }, 10_000);
    expect(dropped).toContain('127.0.0.1 (client)');
    // The same client is refused, unanswered; another address is served.
    const third = get(port, '127.0.0.1');
    expect((await third.answer).status).toBeNull();
    const other = get(port, '127.0.0.2');
    expect((await other.answer).status).toBe(200);
    other.abort();
    // Once one of its connections closes, the client is served again.
    await new Promise((resolve) => held[0]!.once('close', resolve).destroy());
    await until(async () => {
      const next = get(port, '127.0.0.1');
      const answer = await next.answer;
      next.abort();
      return answer.status === 200;
    }, 10_000);
    held[1]!.destroy();
  });

  it('does not count connections from a peer TRUST_PROXY trusts against HTTP_MAX_CONNECTIONS_PER_CLIENT (a proxy carries many clients)', async () => {
    const dropped: string[] = [];
    const port = await listen({ maxConnections: 10, maxConnectionsPerClient: 1, isTrustedPeer: trustedPeer(['loopback']), keepAliveTimeoutMs: 60_000 }, dropped);
    const open = [get(port), get(port), get(port)];
    for (const c of open) expect((await c.answer).status).toBe(200);
    expect(dropped).toEqual([]);
    for (const c of open) c.abort();
  });

  it.skipIf(!openssl)('counts HTTPS connections per client too, before their TLS handshake', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-limits-'));
    try {
      const { cert, key } = makeCertificate(dir, 'limits');
      const dropped: string[] = [];
      const port = await listen({ maxConnections: 10, maxConnectionsPerClient: 1, keepAliveTimeoutMs: 60_000, tls: { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } }, dropped);
      const connect = (localAddress: string) =>
        new Promise<{ socket: tls.TLSSocket; outcome: string }>((resolve) => {
          const tcp = net.connect({ port, host: '127.0.0.1', localAddress });
          const socket = tls.connect({ socket: tcp, rejectUnauthorized: false }, () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
          socket.on('data', (d: Buffer) => d.toString().startsWith('HTTP/1.1 200') && resolve({ socket, outcome: 'answered' }));
          socket.on('error', () => resolve({ socket, outcome: 'closed' }));
          socket.on('close', () => resolve({ socket, outcome: 'closed' }));
        });
      const first = await connect('127.0.0.1');
      const second = await connect('127.0.0.1');
      const other = await connect('127.0.0.2');
      expect([first.outcome, second.outcome, other.outcome]).toEqual(['answered', 'closed', 'answered']);
      expect(dropped).toEqual(['127.0.0.1 (client)']);
      for (const c of [first, second, other]) c.socket.destroy();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Whether a new plain connection from `localAddress` is served (its client's count has room). */
  async function served(port: number, localAddress = '127.0.0.1'): Promise<boolean> {
    const next = get(port, localAddress);
    const answer = await next.answer;
    next.abort();
    await next.closed;
    return answer.status === 200;
  }

  /** A connection from `localAddress` answered once and left open (tried again while its client's count is full). */
  async function openServed(port: number, localAddress = '127.0.0.1') {
    for (;;) {
      const c = get(port, localAddress);
      if ((await c.answer).status === 200) return c;
      await c.closed;
    }
  }

  it('gives a client its connection back however the connection ends (HTTP_MAX_CONNECTIONS_PER_CLIENT=1)', async () => {
    const dropped: string[] = [];
    const port = await listen({ maxConnections: 1, maxConnectionsPerClient: 1, keepAliveTimeoutMs: 300 }, dropped);
    // Closed by the server as idle (the keep-alive timeout).
    const idle = await openServed(port);
    expect((await idle.closed).byServer).toBe(true);
    await until(() => served(port), 10_000);
    // Reset by the client in the middle of a request.
    const reset = openRequest({ port, method: 'POST', path: '/', headers: { 'content-length': 100 } });
    await reset.write('partial');
    reset.socket.resetAndDestroy();
    await reset.closed;
    await until(() => served(port), 10_000);
    // Closed by server.closeAllConnections() (as `xaa serve` does on shutdown).
    const held = await openServed(port);
    server!.closeAllConnections();
    expect((await held.closed).byServer).toBe(true);
    await until(() => served(port), 10_000);
    // A connection dropped by HTTP_MAX_CONNECTIONS (another address, while one is open) is never
    // counted: once the open one closes, that address is served.
    const first = await openServed(port);
    const over = get(port, '127.0.0.2');
    expect((await over.answer).status).toBeNull();
    expect(dropped).toContain('127.0.0.2');
    first.abort();
    await first.closed;
    await until(() => served(port, '127.0.0.2'), 10_000);
    expect(dropped.filter((d) => d.endsWith('(client)'))).toEqual([]);
  });

  it('keeps no connection alive with HTTP_KEEP_ALIVE_TIMEOUT_MS=0: each answer closes its connection', async () => {
    const port = await listen({ maxConnections: 10, keepAliveTimeoutMs: 0 });
    const c = get(port);
    const answer = await c.answer;
    expect(answer.status).toBe(200);
    expect(answer.headers['connection']).toBe('close');
    expect((await c.closed).byServer).toBe(true);
    // With a timeout, the same answer keeps its connection open.
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const kept = get(await listen({ maxConnections: 10, keepAliveTimeoutMs: 60_000 }));
    expect((await kept.answer).headers['connection']).toBe('keep-alive');
    kept.abort();
    await kept.closed;
  });

  it.skipIf(!openssl)('gives an HTTPS client its connection back however the connection ends, before or after the TLS handshake', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-limits-'));
    try {
      const { cert, key } = makeCertificate(dir, 'limits');
      const port = await listen({ maxConnections: 10, maxConnectionsPerClient: 1, keepAliveTimeoutMs: 60_000, tls: { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } });
      /** An HTTPS request from 127.0.0.1: 'answered' (then closed by this side) or 'closed'. */
      const request = () =>
        new Promise<string>((resolve) => {
          const tcp = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
          const socket = tls.connect({ socket: tcp, rejectUnauthorized: false }, () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
          let answered = false;
          socket.on('data', (d: Buffer) => {
            answered ||= d.toString().startsWith('HTTP/1.1 200');
            if (answered) socket.destroy();
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve(answered ? 'answered' : 'closed'));
        });
      /** A plain TCP connection that writes `bytes` (not a TLS handshake) and waits for it to close. */
      const raw = (bytes: string | null) =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
          socket.on('connect', () => (bytes === null ? socket.destroy() : socket.write(bytes)));
        });
      // After a request over a whole handshake, closed by the client.
      await until(async () => (await request()) === 'answered', 10_000);
      // Closed by the client before any handshake.
      await raw(null);
      await until(async () => (await request()) === 'answered', 10_000);
      // Not TLS at all: the server ends it.
      await raw('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await until(async () => (await request()) === 'answered', 10_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!dualStack)('counts an IPv4 client of a dual-stack listener (::ffff:127.0.0.1) by its IPv4 address, not with every IPv4 client', async () => {
    const dropped: string[] = [];
    const port = await listen({ maxConnections: 10, maxConnectionsPerClient: 1, keepAliveTimeoutMs: 60_000 }, dropped, '::');
    const held = await openServed(port, '127.0.0.1');
    expect(await served(port, '127.0.0.1')).toBe(false);
    expect(dropped).toEqual(['::ffff:127.0.0.1 (client)']);
    // Another IPv4 address is another client.
    expect(await served(port, '127.0.0.2')).toBe(true);
    held.abort();
  });

  it('closes an idle kept-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const port = await listen({ maxConnections: 10, keepAliveTimeoutMs: 200 });
    const c = get(port);
    const answer = await c.answer;
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('keep-alive');
    expect((await c.closed).byServer).toBe(true);
  });
});
