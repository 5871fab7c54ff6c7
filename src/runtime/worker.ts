import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module given as a URL ending in `.js` next to the caller.
 * From dist/ the compiled .js runs as is; from source (tests, `npm run dev`, where the caller's
 * own URL ends in .ts) the .ts file runs through tsx's loader.
 */
export function startWorker(callerUrl: string, file: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(file, callerUrl), options);
  // The ESM build of tsx's API (its CommonJS build registers a loader path that does not exist).
  const cjs = createRequire(callerUrl).resolve('tsx/esm/api');
  const tsx = pathToFileURL(cjs.replace(/index\.cjs$/, 'index.mjs')).href;
  const entry = new URL(file.replace(/\.js$/, '.ts'), callerUrl).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { ...options, eval: true });
}
