import type { AnyXEvent } from '../events/index.js';
import type { Logger } from '../log/index.js';
import type { XClient } from '../management/client.js';
import type { HandlerContext } from '../plugins/types.js';
import { privateState } from '../runtime/private-state.js';
import type { LazyAbort } from './lazy-abort.js';

interface ContextState {
  logger: Logger;
  event: AnyXEvent;
  plugin: string;
  attempt: number;
  abort: LazyAbort;
  childLog: Logger | undefined;
  x: XClient;
  boundX: XClient | undefined;
}

const state = privateState<ContextState>(
  'ctx.log, ctx.signal and ctx.x are made on first read through ctx itself: not through a Proxy of it or a copy of its property ' +
    'descriptors. Read them on ctx first, or copy it with { ...ctx }',
);

// The child logger, the signal and the X client bound to that signal are made when a handler
// first asks for them: most handlers never log on success nor call X, and each costs more per
// event than dispatching it does. One set of accessor functions for every context (the reason:
// runtime/private-state.ts).
const ACCESSORS: PropertyDescriptorMap = {
  log: {
    enumerable: true,
    configurable: true,
    get(this: object) {
      const s = state.read(this);
      return (s.childLog ??= s.logger.child({ event: s.event.id, type: s.event.type, plugin: s.plugin, attempt: s.attempt }));
    },
  },
  signal: {
    enumerable: true,
    configurable: true,
    get(this: object) {
      return state.read(this).abort.signal;
    },
  },
  // The X client whose calls end with the attempt (a shutdown, DISPATCH_HANDLER_TIMEOUT_MS): a DM
  // waiting out a rate limit is not sent after its attempt was recorded as failed.
  x: {
    enumerable: true,
    configurable: true,
    get(this: object) {
      const s = state.read(this);
      return (s.boundX ??= s.x.withSignal(s.abort.signal));
    },
  },
};

/** The `ctx` a plugin's handlers get for one attempt of one event. */
export function handlerContext(o: { logger: Logger; event: AnyXEvent; plugin: string; attempt: number; abort: LazyAbort; x: XClient }): HandlerContext {
  const ctx = state.attach(
    { attempt: o.attempt, plugin: o.plugin },
    { logger: o.logger, event: o.event, plugin: o.plugin, attempt: o.attempt, abort: o.abort, childLog: undefined, x: o.x, boundX: undefined },
  );
  Object.defineProperties(ctx, ACCESSORS);
  return ctx as HandlerContext;
}
