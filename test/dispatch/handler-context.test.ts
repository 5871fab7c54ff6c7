// The ctx handlers get: log and signal made on first use, and accessor functions shared by every
// context (see src/runtime/private-state.ts for why).
import { describe, expect, it } from 'vitest';
import { handlerContext } from '../../src/dispatch/handler-context.js';
import { LazyAbort } from '../../src/dispatch/lazy-abort.js';
import type { AnyXEvent } from '../../src/events/index.js';
import { createLogger } from '../../src/log/index.js';
import { XClient } from '../../src/management/client.js';

const event = { id: 'e1', type: 'follow' } as unknown as AnyXEvent;
const x = new XClient({ baseUrl: 'http://127.0.0.1:9', credentials: {} });

function make(abort = new LazyAbort()) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', env: 'production', secrets: [], destination: { write: (l: string) => void lines.push(l) } });
  return { ctx: handlerContext({ logger, event, plugin: 'p', attempt: 2, abort, x }), lines, abort };
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
    expect(ctx.x).toBe(x);
  });

  it('spreads like a plain object, and shares its accessor functions between contexts', () => {
    const { ctx } = make();
    const copy = { ...ctx, plugin: 'other' };
    expect(Object.keys(copy).sort()).toEqual(['attempt', 'log', 'plugin', 'signal', 'x']);
    expect(copy.log).toBe(ctx.log);
    expect(copy.signal).toBe(ctx.signal);
    expect(() => new Proxy(make().ctx, {}).log).toThrow(/Read them on ctx first, or copy it with \{ \.\.\.ctx \}/);
    const other = make().ctx;
    for (const key of ['log', 'signal']) {
      expect(Object.getOwnPropertyDescriptor(ctx, key)!.get).toBe(Object.getOwnPropertyDescriptor(other, key)!.get);
    }
  });
});
