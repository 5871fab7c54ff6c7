// The ctx handlers get: log and signal made on first use, and accessor functions shared by every
// context (see src/runtime/private-state.ts for why).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { handlerContext } from '../../src/dispatch/handler-context.js';
import { LazyAbort } from '../../src/dispatch/lazy-abort.js';
import type { AnyXEvent } from '../../src/events/index.js';
import { createLogger } from '../../src/log/index.js';
import { XClient } from '../../src/management/client.js';

const event = { id: 'e1', type: 'follow' } as unknown as AnyXEvent;
const x = new XClient({ baseUrl: 'http://127.0.0.1:9', credentials: {} });

function make(abort = new LazyAbort(), client = x) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', env: 'production', secrets: [], destination: { write: (l: string) => void lines.push(l) } });
  return { ctx: handlerContext({ logger, event, plugin: 'p', attempt: 2, abort, x: client }), lines, abort };
}

describe('the handler context', () => {
  it('logs with the event, plugin and attempt, and aborts with the shutdown', () => {
    const { ctx, lines, abort } = make();
    ctx.log.info('hello');
    expect(ctx.log).toBe(ctx.log);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'hello', event: 'e1', type: 'follow', plugin: 'p', attempt: 2 });
    expect(ctx.signal.aborted).toBe(false);
    abort.abort();
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.x).toBeInstanceOf(XClient);
    expect(ctx.x).toBe(ctx.x);
  });

  it('gives ctx.x whose calls end with the attempt: a call waiting out a rate limit stops when ctx.signal aborts, and sends nothing more', async () => {
    let requests = 0;
    // X's answer to a call over its rate limit: 429 with the reset 30 s away (the client waits up to 60 s).
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 30) });
      res.end('{"title":"Too Many Requests","status":429}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new XClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: { bearerToken: 'app-token-0123456789' } });
      const { ctx, abort } = make(new LazyAbort(), client);
      const call = ctx.x.listWebhooks();
      for (let i = 0; i < 200 && requests === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(requests).toBe(1);
      const reason = new Error('the attempt is over');
      abort.abort(reason);
      await expect(call).rejects.toBe(reason);
      await new Promise((r) => setTimeout(r, 50));
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('spreads like a plain object, and shares its accessor functions between contexts', () => {
    const { ctx } = make();
    const copy = { ...ctx, plugin: 'other' };
    expect(Object.keys(copy).sort()).toEqual(['attempt', 'log', 'plugin', 'signal', 'x']);
    expect(copy.log).toBe(ctx.log);
    expect(copy.signal).toBe(ctx.signal);
    expect(() => new Proxy(make().ctx, {}).log).toThrow(/Read them on ctx first, or copy it with \{ \.\.\.ctx \}/);
    const other = make().ctx;
    for (const key of ['log', 'signal', 'x']) {
      expect(Object.getOwnPropertyDescriptor(ctx, key)!.get).toBe(Object.getOwnPropertyDescriptor(other, key)!.get);
    }
  });
});
