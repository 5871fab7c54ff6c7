import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerPlugin, type RegisteredPlugin } from './registry.js';
import type { Plugin } from './types.js';

export class PluginLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginLoadError';
  }
}

/** Imports one HANDLERS entry: its default export (the plugin) and its stable name. */
async function importPlugin(specifier: string, cwd: string): Promise<{ name: string; plugin: unknown }> {
  const isPath = specifier.startsWith('.') || specifier.startsWith('/') || /\.[cm]?[jt]s$/.test(specifier);
  const target = isPath ? pathToFileURL(path.resolve(cwd, specifier)).href : specifier;
  let mod: { default?: unknown; name?: unknown };
  try {
    mod = (await import(target)) as typeof mod;
  } catch (error) {
    throw new PluginLoadError(`HANDLERS: cannot load "${specifier}": ${(error as Error).message.split('\n')[0]}`);
  }
  const name =
    typeof mod.name === 'string' && mod.name
      ? mod.name
      : path.basename(specifier).replace(/\.[cm]?[jt]s$/, '').replace(/^@/, '');
  return { name, plugin: mod.default };
}

/**
 * Loads the HANDLERS list: comma-separated module paths (relative to the working directory)
 * or package names. Each module's default export is the plugin; its name is the module's
 * exported `name`, else its file name without extension.
 */
export async function loadPlugins(specifiers: readonly string[], cwd = process.cwd()): Promise<RegisteredPlugin[]> {
  const plugins: RegisteredPlugin[] = [];
  const names = new Set<string>();
  for (const specifier of specifiers) {
    const { name, plugin } = await importPlugin(specifier, cwd);
    if (typeof plugin !== 'function') {
      throw new PluginLoadError(`HANDLERS: "${specifier}" has no default export function (expected (hooks) => { hooks.on(...) })`);
    }
    if (names.has(name)) throw new PluginLoadError(`HANDLERS: two plugins are named "${name}"; export a distinct \`name\``);
    names.add(name);
    try {
      plugins.push(await registerPlugin(name, plugin as Plugin));
    } catch (error) {
      throw new PluginLoadError(`HANDLERS: "${specifier}": ${(error as Error).message}`);
    }
  }
  return plugins;
}

/** The names of the HANDLERS plugins (the names handler runs are recorded under), without registering them. */
export async function pluginNames(specifiers: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const names: string[] = [];
  for (const specifier of specifiers) names.push((await importPlugin(specifier, cwd)).name);
  return names;
}
