import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../log/index.js';
import { registerPlugin, type RegisteredPlugin } from './registry.js';
import type { Plugin } from './types.js';

export class PluginLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginLoadError';
  }
}

export interface LoadOptions {
  /** Where relative module paths start (default: the working directory). */
  cwd?: string;
  /** Told about deprecated plugin shapes (a plugin without a name). */
  logger?: Pick<Logger, 'warn'>;
}

/** The file name without extension (and a package scope's @): what unnamed plugins are called. */
function fileName(specifier: string): string {
  return path.basename(specifier).replace(/\.[cm]?[jt]s$/, '').replace(/^@/, '');
}

/**
 * The plugin's stable name: the module's exported `name`, which must be a non-empty string.
 * A module without one is deprecated: it is still loaded, under its file name, with a warning
 * (renaming the file would orphan its pending work).
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
      `plugin name, so renaming the file would orphan its pending work: add \`export const name = '${fallback}'\`. ` +
      'Plugins without a name are deprecated and a later version will refuse them.',
  );
  return fallback;
}

/**
 * Loads the HANDLERS list: comma-separated module paths (relative to the working directory)
 * or package names. Each module's default export is the plugin; its name is the module's
 * exported `name` (deprecated fallback: its file name without extension).
 */
export async function loadPlugins(specifiers: readonly string[], options: LoadOptions = {}): Promise<RegisteredPlugin[]> {
  const cwd = options.cwd ?? process.cwd();
  const plugins: RegisteredPlugin[] = [];
  const names = new Map<string, string>();
  for (const specifier of specifiers) {
    const isPath = specifier.startsWith('.') || specifier.startsWith('/') || /\.[cm]?[jt]s$/.test(specifier);
    const target = isPath ? pathToFileURL(path.resolve(cwd, specifier)).href : specifier;
    let mod: { default?: unknown; name?: unknown };
    try {
      mod = (await import(target)) as typeof mod;
    } catch (error) {
      throw new PluginLoadError(`HANDLERS: cannot load "${specifier}": ${(error as Error).message.split('\n')[0]}`);
    }
    const plugin = mod.default;
    if (typeof plugin !== 'function') {
      throw new PluginLoadError(`HANDLERS: "${specifier}" has no default export function (expected (hooks) => { hooks.on(...) })`);
    }
    const name = nameOf(specifier, mod.name, options.logger);
    const other = names.get(name);
    if (other !== undefined) throw new PluginLoadError(`HANDLERS: "${other}" and "${specifier}" are both named "${name}"; each plugin needs its own name`);
    names.set(name, specifier);
    try {
      plugins.push(await registerPlugin(name, plugin as Plugin));
    } catch (error) {
      throw new PluginLoadError(`HANDLERS: "${specifier}": ${(error as Error).message}`);
    }
  }
  return plugins;
}
