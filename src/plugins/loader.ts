import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { handlerOptionsVariable } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { registerPlugin, type RegisteredPlugin } from './registry.js';
import { isTypeScriptModule, registerTypeScriptLoader, typeScriptLoaderMissing } from './typescript.js';
import type { OptionsParser, Plugin } from './types.js';

export class PluginLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginLoadError';
  }
}

export interface LoadOptions {
  /** Where relative module paths start (default: the working directory). */
  cwd?: string;
  /** Told about deprecated plugin shapes (a plugin without a name) and unused options. */
  logger?: Pick<Logger, 'warn'>;
  /** The configured HANDLER_OPTIONS_<NAME> values, by variable name (config.dispatch.handlerOptions). */
  handlerOptions?: Record<string, unknown>;
}

/** The longest a Node timer waits (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** What a plugin module's exports come to. */
interface Loaded {
  setup: Plugin;
  /** The definition's name, or the module's exported `name` (undefined: neither). */
  name: unknown;
  parser: OptionsParser<unknown> | undefined;
  /** The definition's own handler time limit (undefined: DISPATCH_HANDLER_TIMEOUT_MS). */
  timeoutMs: number | undefined;
}

/** The file name without extension (and a package scope's @): what unnamed plugins are called. */
function fileName(specifier: string): string {
  return path.basename(specifier).replace(/\.[cm]?[jt]s$/, '').replace(/^@/, '');
}

/**
 * The module as written: a CommonJS one compiled from `export default` (a .cts file, tsc's
 * CommonJS output) comes from import() as its module.exports, `{ __esModule: true, default, name }`.
 */
function asWritten(mod: { default?: unknown; name?: unknown }): { default?: unknown; name?: unknown } {
  const exports = mod.default as { __esModule?: unknown; default?: unknown; name?: unknown } | null | undefined;
  if (exports && typeof exports === 'object' && exports.__esModule === true && 'default' in exports) {
    return { default: exports.default, name: mod.name ?? exports.name };
  }
  return mod;
}

/** The two shapes of a plugin module: definePlugin({ name, options, setup }), or a function and an exported name. */
function shapeOf(specifier: string, imported: { default?: unknown; name?: unknown }): Loaded {
  const mod = asWritten(imported);
  const plugin = mod.default;
  if (typeof plugin === 'function') return { setup: plugin as Plugin, name: mod.name, parser: undefined, timeoutMs: undefined };
  const definition = plugin as { name?: unknown; options?: unknown; setup?: unknown; timeoutMs?: unknown } | null | undefined;
  if (definition && typeof definition === 'object' && typeof definition.setup === 'function') {
    const { options } = definition;
    if (options !== undefined && typeof options !== 'function' && typeof (options as { parse?: unknown } | null)?.parse !== 'function') {
      throw new PluginLoadError(`HANDLERS: "${specifier}": \`options\` is neither a function nor a schema with a parse method`);
    }
    if (definition.name !== undefined && mod.name !== undefined && definition.name !== mod.name) {
      throw new PluginLoadError(
        `HANDLERS: "${specifier}" is named "${String(definition.name)}" in definePlugin but exports the name "${String(mod.name)}"; keep one`,
      );
    }
    const { timeoutMs } = definition;
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && (timeoutMs as number) >= 0 && (timeoutMs as number) <= MAX_TIMER_MS)) {
      throw new PluginLoadError(`HANDLERS: "${specifier}": \`timeoutMs\` must be a whole number of milliseconds from 0 (no limit) to ${MAX_TIMER_MS}`);
    }
    return {
      setup: definition.setup as Plugin,
      name: definition.name ?? mod.name,
      parser: options as OptionsParser<unknown> | undefined,
      timeoutMs: timeoutMs as number | undefined,
    };
  }
  throw new PluginLoadError(
    `HANDLERS: "${specifier}" has no plugin as its default export (expected definePlugin({ name, setup(hooks) { hooks.on(...) } }) or (hooks) => { hooks.on(...) })`,
  );
}

/**
 * The plugin's stable name, which must be a non-empty string. A function plugin that exports no
 * name is deprecated: it is still loaded, under its file name, with a warning (renaming the file
 * would orphan its pending work).
 */
function nameOf(specifier: string, name: unknown, logger: LoadOptions['logger']): string {
  if (name !== undefined) {
    if (typeof name !== 'string' || !name.trim()) {
      throw new PluginLoadError(`HANDLERS: "${specifier}" has a name that is not a plugin name: expected a non-empty string, such as 'crm'`);
    }
    return name;
  }
  const fallback = fileName(specifier);
  logger?.warn(
    { plugin: fallback, module: specifier },
    `HANDLERS: "${specifier}" exports no \`name\`; it runs as "${fallback}", its file name. Completion records key on the ` +
      `plugin name, so renaming the file would orphan its pending work: add \`export const name = '${fallback}'\` ` +
      `(or use definePlugin({ name: '${fallback}', setup })). Plugins without a name are deprecated and a later version will refuse them.`,
  );
  return fallback;
}

/** A parse failure in words: a schema's issues (path and message, never the value), else the message's first line. */
function describeInvalid(error: unknown): string {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .slice(0, 5)
      .map((i: { path?: unknown; message?: unknown }) => {
        const at = Array.isArray(i.path) && i.path.length ? `${i.path.join('.')}: ` : '';
        return `${at}${String(i.message ?? 'invalid')}`;
      })
      .join('; ');
  }
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** Whether a HANDLERS entry is a module path (`./x`, `/x`, anything ending in .js/.ts/.mjs/...), not a package name. */
export function isModulePath(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || /\.[cm]?[jt]s$/.test(specifier);
}

/** Imports one HANDLERS entry: a module path (relative to cwd; TypeScript through its project's tsx) or a package name. */
async function importModule(specifier: string, cwd: string): Promise<{ default?: unknown; name?: unknown }> {
  const isPath = isModulePath(specifier);
  const file = isPath ? path.resolve(cwd, specifier) : undefined;
  const typeScript = file !== undefined && isTypeScriptModule(file);
  let withTsx = false;
  if (typeScript) {
    try {
      withTsx = await registerTypeScriptLoader(file);
    } catch (error) {
      throw new PluginLoadError(`HANDLERS: cannot load "${specifier}": ${(error as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return (await import(file ? pathToFileURL(file).href : specifier)) as { default?: unknown; name?: unknown };
  } catch (error) {
    if (typeScript && !withTsx && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new PluginLoadError(typeScriptLoaderMissing(specifier));
    }
    throw new PluginLoadError(`HANDLERS: cannot load "${specifier}": ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The names of the HANDLERS plugins (the names handler runs are recorded under), without setting them up. */
export async function pluginNames(specifiers: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const names: string[] = [];
  for (const specifier of specifiers) {
    const loaded = shapeOf(specifier, await importModule(specifier, cwd));
    names.push(nameOf(specifier, loaded.name, undefined));
  }
  return names;
}

/** Runs the plugin's options parser on the configured value; a failure names the variable. */
function optionsFor(name: string, parser: OptionsParser<unknown> | undefined, variable: string, raw: unknown): unknown {
  if (!parser) return raw;
  try {
    return typeof parser === 'function' ? parser(raw) : parser.parse(raw);
  } catch (error) {
    const state = raw === undefined ? 'is not set' : 'is invalid';
    throw new PluginLoadError(`${variable} ${state}: plugin "${name}" rejects its options: ${describeInvalid(error)}`);
  }
}

/**
 * Loads the HANDLERS list: comma-separated module paths (relative to the working directory)
 * or package names. Each module's default export is the plugin (see shapeOf); each gets the
 * options of its HANDLER_OPTIONS_<NAME> variable.
 */
export async function loadPlugins(specifiers: readonly string[], options: LoadOptions = {}): Promise<RegisteredPlugin[]> {
  const cwd = options.cwd ?? process.cwd();
  const configured = options.handlerOptions ?? {};
  const plugins: RegisteredPlugin[] = [];
  const names = new Map<string, string>();
  const variables = new Map<string, string>();
  for (const specifier of specifiers) {
    const loaded = shapeOf(specifier, await importModule(specifier, cwd));
    const name = nameOf(specifier, loaded.name, options.logger);
    const other = names.get(name);
    if (other !== undefined) throw new PluginLoadError(`HANDLERS: "${other}" and "${specifier}" are both named "${name}"; each plugin needs its own name`);
    names.set(name, specifier);
    const variable = handlerOptionsVariable(name);
    const sharing = variables.get(variable);
    if (sharing !== undefined) {
      throw new PluginLoadError(`HANDLERS: plugins "${sharing}" and "${name}" would both take their options from ${variable}; rename one`);
    }
    variables.set(variable, name);
    const pluginOptions = optionsFor(name, loaded.parser, variable, configured[variable]);
    try {
      const registered = await registerPlugin(name, loaded.setup, pluginOptions);
      if (loaded.timeoutMs !== undefined) registered.timeoutMs = loaded.timeoutMs;
      plugins.push(registered);
    } catch (error) {
      throw new PluginLoadError(`HANDLERS: "${specifier}": ${(error as Error).message}`);
    }
  }
  const unused = Object.keys(configured).filter((v) => !variables.has(v));
  if (unused.length && plugins.length) {
    options.logger?.warn(
      { unused, expected: Object.fromEntries(variables) },
      `${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} set, but no loaded plugin takes its options from ${unused.length === 1 ? 'it' : 'them'} ` +
        '(HANDLER_OPTIONS_ and the plugin name in upper case, other characters as _)',
    );
  }
  return plugins;
}
