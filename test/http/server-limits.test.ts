/**
 * The HTTP server's connection limits (what `xaa serve` builds): past HTTP_MAX_CONNECTIONS a new
 * connection is closed at once, unanswered, and reported; once one closes, new ones are served
 * again. An idle kept-alive connection is closed by the server after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { until } from '../support/process.js';
import { openRequest } from '../support/raw-http.js';

describe('the HTTP server limits', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(options: { maxConnections: number; keepAliveTimeoutMs: number }, dropped: string[] = []): Promise<number> {
    server = createHttpServer((_req, res) => res.writeHead(200, { 'content-length': 2 }).end('ok'), {
      requestTimeoutMs: 30_000,
      ...options,
      onDropped: (address) => dropped.push(String(address)),
    });
    server.listen(0, '127.0.0.1');
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

  it('closes an idle kept-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const port = await listen({ maxConnections: 10, keepAliveTimeoutMs: 200 });
    const c = get(port);
    const answer = await c.answer;
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('keep-alive');
    expect((await c.closed).byServer).toBe(true);
  });
});
