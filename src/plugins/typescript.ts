import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * TypeScript handler modules in development: a HANDLERS entry ending in .ts (.mts, .cts) is
 * loaded through tsx's ESM loader, taken from the project the file belongs to (its own
 * node_modules, found from the file's folder up), so the receiver does not depend on tsx. In
 * production, build the handlers to JavaScript and point HANDLERS at the .js files.
 */

/** A TypeScript source file (not a declaration file). */
export function isTypeScriptModule(file: string): boolean {
  return /\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file);
}

/** tsx's ESM API entry point in the project of `file`, or undefined when that project has no tsx. */
function tsxApiOf(file: string): string | undefined {
  let manifestPath: string;
  try {
    manifestPath = createRequire(file).resolve('tsx/package.json');
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { version?: string; exports?: Record<string, unknown> };
  const api = manifest.exports?.['./esm/api'] as { import?: string | { default?: string } } | undefined;
  const entry = typeof api?.import === 'string' ? api.import : api?.import?.default;
  if (!entry) {
    throw new Error(`tsx ${manifest.version ?? ''} at ${path.dirname(manifestPath)} has no ESM API (tsx/esm/api): install tsx 4 or later`);
  }
  return path.join(path.dirname(manifestPath), entry);
}

/** Registered in this thread (each worker thread registers for itself). */
let registered: string | undefined;

/**
 * Makes `import()` of TypeScript files work in this thread with the tsx of `file`'s project.
 * Returns false when that project has no tsx (the caller still tries: the process may already
 * load TypeScript, under `tsx` or `node --import tsx`). Registering next to an active tsx is
 * harmless: each transforms what the other has not.
 */
export async function registerTypeScriptLoader(file: string): Promise<boolean> {
  if (registered) return true;
  const api = tsxApiOf(file);
  if (!api) return false;
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
  registered = api;
  return true;
}

/** What to do about a TypeScript handler that could not be loaded because nothing compiles TypeScript here. */
export function typeScriptLoaderMissing(specifier: string): string {
  return (
    `HANDLERS: "${specifier}" is TypeScript, and its project has no tsx to load it with: for development, ` +
    'install it there (npm install --save-dev tsx); for production, build the handlers to JavaScript ' +
    '(npx tsc) and point HANDLERS at the .js files'
  );
}
