import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TEST_SECRET } from './app.js';
import { repoRoot } from './databases.js';

export interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the `xaa` command from source (through tsx) with a controlled environment. */
export function spawnXaa(args: string[], env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': the output is whole only once the child's streams have closed.
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls a URL until it answers with `status`, or fails after `timeoutMs`. */
export async function waitForStatus(url: string, status: number, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** Polls `check` until it holds, or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The non-empty lines of a file, or none while it does not exist. */
export const lines = (file: string): string[] =>
  fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

/** A spawned `xaa serve` and the loopback port it listens on. */
export interface Served extends Spawned {
  port: number;
}

export interface ServeOptions {
  /** The port to listen on (default: a free one). */
  port?: number;
  /** What to wait for: a path that must answer 200 (default /healthz), or a check of its own. */
  ready?: string | ((port: number) => Promise<void>);
  /** How long the path may take to answer 200 (default: waitForStatus's). */
  readyTimeoutMs?: number;
}

/**
 * Spawns `xaa serve` from source on 127.0.0.1 with the test consumer secret and `databaseUrl`
 * (`env` adds to or overrides them), and resolves once it is ready.
 */
export async function spawnServe(databaseUrl: string, env: Record<string, string | undefined> = {}, options: ServeOptions = {}): Promise<Served> {
  const port = options.port ?? (await freePort());
  const run = spawnXaa(['serve'], { X_CONSUMER_SECRET: TEST_SECRET, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', ...env });
  const ready = options.ready ?? '/healthz';
  try {
    if (typeof ready === 'string') await waitForStatus(`http://127.0.0.1:${port}${ready}`, 200, options.readyTimeoutMs);
    else await ready(port);
  } catch (error) {
    // Not left running when it never became ready (the caller has no handle to stop it).
    await stopSpawned(run, 'SIGKILL');
    throw new Error(`xaa serve was not ready: ${String(error)}\n${run.output()}`);
  }
  return Object.assign(run, { port });
}

/** Sends `signal` to a spawned process, if there is one, and waits for it to exit. */
export async function stopSpawned(run: Spawned | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!run) return;
  run.child.kill(signal);
  await run.exited;
}

/** The env that loads the test plugin(s) `handlers` with their files in `dir` (RECORDER_DIR), logging at TEST_LOG_LEVEL or warn. */
export function pluginEnv(handlers: string, dir: string): Record<string, string> {
  return { HANDLERS: handlers, RECORDER_DIR: dir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' };
}
