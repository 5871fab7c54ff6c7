import type { AnyXEvent, EventType, XEvent } from '../events/index.js';
import type { Logger } from '../log/index.js';
import type { XClient } from '../management/client.js';

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** A child logger carrying the event id, type and plugin name. */
  log: Logger;
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
  /** The plugin's stable name (completion records key on it): the plugin whose code is running. */
  plugin: string;
  /** Aborted when the process is shutting down and in-flight work is being released. */
  signal: AbortSignal;
  /**
   * The X API client (X_API_BASE_URL and the X_* credentials): `ctx.x.sendDirectMessage(from, to,
   * text)` and the webhook, subscription and replay calls. Always present; a call whose credential
   * is not configured throws a `MissingCredentialError` naming the variables to set.
   */
  x: XClient;
}

export type Handler<T extends EventType = EventType> = (event: XEvent<T>, ctx: HandlerContext) => unknown;

/** One failed attempt of a plugin's handlers on an event. */
export interface HandlerFailure {
  /** What the handler threw (or rejected with). */
  error: unknown;
  event: AnyXEvent;
  /** The name of the plugin whose handler failed. */
  plugin: string;
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
  /** true when this was the last attempt: the (event, plugin) pair went to the dead letters. */
  final: boolean;
}

/**
 * Told about a failed attempt. `failure.plugin` names the plugin that failed; `ctx.plugin` and
 * `ctx.log` are those of the plugin that registered the error handler.
 */
export type ErrorHandler = (failure: HandlerFailure, ctx: HandlerContext) => unknown;

export interface OnErrorOptions {
  /**
   * true: be told about the failures of every loaded plugin's handlers, not only this plugin's
   * own (for a plugin that reports or alerts on behalf of the others). Default false. (Earlier
   * versions told every error handler about every plugin's failures: this option keeps that.)
   */
  allPlugins?: boolean;
}

/** The registry a plugin registers its handlers on. */
export interface Hooks {
  /** Handle one event type, or several. The event's payload type follows the type. */
  on<T extends EventType>(type: T | readonly T[], handler: Handler<T>): void;
  /** Handle every event, including `unknown` ones. */
  onAny(handler: (event: AnyXEvent, ctx: HandlerContext) => unknown): void;
  /**
   * Be told about every failed attempt of THIS plugin's handlers (`failure.final` is true when
   * the pair went to the dead letters). With `{ allPlugins: true }`, of every plugin's handlers.
   * An error handler that throws is logged and otherwise ignored.
   */
  onError(handler: ErrorHandler, options?: OnErrorOptions): void;
}

/** A handler plugin: the default export of an ES module. It should also export its `name`. */
export type Plugin = (hooks: Hooks) => void | Promise<void>;

/** Identity helper that types a plugin: `export default definePlugin((hooks) => { ... })`. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}
