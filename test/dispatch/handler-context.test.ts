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
import { XUnreachableError } from '../../src/management/errors.js';

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

  /** A loopback X whose every request is answered by `answer` (or held, when it returns nothing). */
  async function fakeX(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { baseUrl, requests, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
  }

  it('gives ctx.x whose calls end with the attempt: a call waiting out a rate limit stops when ctx.signal aborts, and sends nothing more', async () => {
    // X's answer to a call over its rate limit: 429 with the reset 30 s away (the client waits up to 60 s).
    const fake = await fakeX((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 30) });
      res.end('{"title":"Too Many Requests","status":429}');
    });
    try {
      let waiting!: () => void;
      const waits = new Promise<void>((resolve) => (waiting = resolve));
      const client = new XClient({
        baseUrl: fake.baseUrl,
        credentials: { bearerToken: 'app-token-0123456789' },
        onWait: (w) => w.reason === 'rate-limit' && waiting(),
      });
      const { ctx, abort } = make(new LazyAbort(), client);
      const call = ctx.x.listWebhooks();
      await waits;
      const reason = new Error('the attempt is over');
      abort.abort(reason);
      await expect(call).rejects.toBe(reason);
      await new Promise((r) => setTimeout(r, 50));
      expect(fake.requests).toEqual(['GET /2/webhooks?webhook_config.fields=created_at%2Cid%2Curl%2Cvalid']);
    } finally {
      await fake.close();
    }
  });

  it('says outcomeUnknown of a POST stopped while it was out (X may have sent the DM), and sends nothing once stopped', async () => {
    // X holds the DM's request without answering.
    const fake = await fakeX(() => {});
    try {
      const client = new XClient({ baseUrl: fake.baseUrl, credentials: { oauth2UserTokens: { '111': 'user-token-0123456789' } } });
      const { ctx, abort } = make(new LazyAbort(), client);
      const sent = ctx.x.sendDirectMessage('111', '222', 'thanks for the follow');
      while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      abort.abort(new Error('the attempt is over'));
      const error = await sent.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(XUnreachableError);
      expect(error).toMatchObject({ outcomeUnknown: true });
      expect((error as Error).message).toContain('stopped by its caller (Error: the attempt is over)');
      // Once stopped, a call sends nothing at all.
      await expect(ctx.x.sendDirectMessage('111', '222', 'again')).rejects.toThrow('the attempt is over');
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
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
