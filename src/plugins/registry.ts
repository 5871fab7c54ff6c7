import { isEventType, type AnyXEvent, type EventType } from '../events/index.js';
import type { ErrorHandler, Handler, HandlerContext, Hooks, Plugin } from './types.js';

type AnyHandler = (event: AnyXEvent, ctx: HandlerContext) => unknown;

/** The handlers one plugin registered. */
export interface RegisteredPlugin {
  name: string;
  byType: Map<EventType, AnyHandler[]>;
  any: AnyHandler[];
  /** Error handlers; `allPlugins`: told about every plugin's failures, not only this one's. */
  errors: Array<{ handler: ErrorHandler; allPlugins: boolean }>;
  /** The plugin's own limit on an attempt, from definePlugin({ timeoutMs }); absent: the dispatcher's. */
  timeoutMs?: number;
}

export class UnknownEventTypeError extends Error {
  constructor(plugin: string, type: string) {
    super(`plugin "${plugin}" registers a handler for an unknown event type "${type}"`);
    this.name = 'UnknownEventTypeError';
  }
}

/** Runs a plugin's setup (with its options) against a fresh registry and returns what it registered. */
export async function registerPlugin(name: string, plugin: Plugin, options?: unknown): Promise<RegisteredPlugin> {
  const registered: RegisteredPlugin = { name, byType: new Map(), any: [], errors: [] };
  const hooks: Hooks = {
    on<T extends EventType>(type: T | readonly T[], handler: Handler<T>) {
      const types = (Array.isArray(type) ? type : [type]) as readonly string[];
      for (const t of types) {
        if (!isEventType(t)) throw new UnknownEventTypeError(name, t);
        const list = registered.byType.get(t) ?? [];
        list.push(handler as unknown as AnyHandler);
        registered.byType.set(t, list);
      }
    },
    onAny(handler) {
      registered.any.push(handler);
    },
    onError(handler, options) {
      registered.errors.push({ handler, allPlugins: options?.allPlugins === true });
    },
  };
  await plugin(hooks, options);
  return registered;
}

/** The handlers of a plugin that an event of `type` runs, in registration order. */
export function handlersFor(plugin: RegisteredPlugin, type: string): AnyHandler[] {
  const specific = isEventType(type) ? (plugin.byType.get(type) ?? []) : [];
  return [...specific, ...plugin.any];
}

/**
 * The error handlers to tell about a failure of `failed`'s handlers, with the plugin that
 * registered each: the failing plugin's own, and those registered with `allPlugins`, in load and
 * registration order.
 */
export function errorHandlersFor(plugins: readonly RegisteredPlugin[], failed: string): Array<{ plugin: RegisteredPlugin; handler: ErrorHandler }> {
  return plugins.flatMap((plugin) =>
    plugin.errors.filter((e) => e.allPlugins || plugin.name === failed).map((e) => ({ plugin, handler: e.handler })),
  );
}

/** Whether a plugin has anything to run for events of `type`. */
export function wants(plugin: RegisteredPlugin, type: string): boolean {
  return plugin.any.length > 0 || (isEventType(type) && (plugin.byType.get(type)?.length ?? 0) > 0);
}
