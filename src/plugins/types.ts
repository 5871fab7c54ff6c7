import type { AnyXEvent, EventType, XEvent } from '../events/index.js';
import type { Logger } from '../log/index.js';

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** A child logger carrying the event id, type and plugin name. */
  log: Logger;
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
  /** The plugin's stable name (completion records key on it). */
  plugin: string;
  /** Aborted when the process is shutting down and in-flight work is being released. */
  signal: AbortSignal;
  /** The X API management client, when one is configured (see the management module). */
  x?: unknown;
}

export type Handler<T extends EventType = EventType> = (event: XEvent<T>, ctx: HandlerContext) => unknown;

/** Called for every failed attempt of a handler. `final` is true when it went to the dead letters. */
export type ErrorHandler = (
  failure: { error: unknown; event: AnyXEvent; plugin: string; attempt: number; final: boolean },
  ctx: HandlerContext,
) => unknown;

/** The registry a plugin registers its handlers on. */
export interface Hooks {
  /** Handle one event type, or several. The event's payload type follows the type. */
  on<T extends EventType>(type: T | readonly T[], handler: Handler<T>): void;
  /** Handle every event, including `unknown` ones. */
  onAny(handler: (event: AnyXEvent, ctx: HandlerContext) => unknown): void;
  /** Be told about handler failures (every failed attempt). */
  onError(handler: ErrorHandler): void;
}

/** A handler plugin: the default export of an ES module. It may also export a `name`. */
export type Plugin = (hooks: Hooks) => void | Promise<void>;

/** Identity helper that types a plugin: `export default definePlugin((hooks) => { ... })`. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}
