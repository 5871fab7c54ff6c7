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
  /**
   * Aborted when the process is shutting down and in-flight work is being released, and when the
   * attempt runs past DISPATCH_HANDLER_TIMEOUT_MS (`reason`: a HandlerTimeoutError; the attempt
   * has failed and will be retried).
   */
  signal: AbortSignal;
  /**
   * The X API client (X_API_BASE_URL and the X_* credentials): `ctx.x.sendDirectMessage(from, to,
   * text)` and the webhook, subscription and replay calls. Always present; a call whose credential
   * is not configured throws a `MissingCredentialError` naming the variables to set. Bound to
   * `signal`: its calls stop when the attempt ends (a time limit, a shutdown); a POST stopped
   * while it was out throws an `XUnreachableError` with `outcomeUnknown: true`.
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

/**
 * A plugin's setup: registers its handlers on `hooks`. `options` are the plugin's options from
 * the configuration (the JSON of its HANDLER_OPTIONS_<NAME> variable), as its `options` parser
 * returns them; without a parser, the JSON value as is (undefined when the variable is unset).
 */
export type Plugin<O = unknown> = (hooks: Hooks, options: O) => void | Promise<void>;

/**
 * Checks and shapes a plugin's options: a function, or any schema with a `parse` method (a zod
 * schema, for one). It gets the JSON value of HANDLER_OPTIONS_<NAME>, undefined when that is
 * unset; what it throws stops the startup with a message naming the variable.
 */
export type OptionsParser<O> = ((input: unknown) => O) | { parse(input: unknown): O };

/** A plugin as `definePlugin({ name, options, setup })` describes it: the module's default export. */
export interface PluginDefinition<O = unknown> {
  /**
   * The plugin's stable name. Completion records key on it (each event completes once per name),
   * and it names the plugin's options variable, HANDLER_OPTIONS_<NAME>. Renaming a plugin with
   * pending work: see `xaa handlers rename`.
   */
  name: string;
  /** Checks the plugin's options before setup runs; see OptionsParser. */
  options?: OptionsParser<O>;
  /** Registers the plugin's handlers. */
  setup: Plugin<O>;
  /**
   * How long one attempt of this plugin's handlers on an event may run, in ms, instead of
   * DISPATCH_HANDLER_TIMEOUT_MS (0: no limit): for a plugin whose work takes longer, or must fail
   * sooner, than the others'. Past it the attempt fails with HandlerTimeoutError and is retried.
   * Its error handlers have the same limit. (A plugin of the function form has the setting's.)
   */
  timeoutMs?: number;
}

/**
 * Types a plugin; its result is the module's default export.
 *
 * ```ts
 * export default definePlugin({
 *   name: 'crm',
 *   options: z.object({ url: z.url() }),   // from HANDLER_OPTIONS_CRM='{"url":"https://..."}'
 *   setup(hooks, options) { hooks.on('follow', async (event, ctx) => { ... options.url ... }); },
 * });
 * ```
 *
 * The older form, a function with the name exported beside it, still works:
 * `export const name = 'crm'; export default definePlugin((hooks, options) => { ... })`.
 */
export function definePlugin<O = unknown>(plugin: PluginDefinition<O>): PluginDefinition<O>;
export function definePlugin<O = unknown>(plugin: Plugin<O>): Plugin<O>;
export function definePlugin<O>(plugin: PluginDefinition<O> | Plugin<O>): PluginDefinition<O> | Plugin<O> {
  return plugin;
}
