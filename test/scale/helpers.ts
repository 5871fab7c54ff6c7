// Shared by the scale and fault tests: posting signed deliveries, polling, the tally plugin's files, and a
// throwaway PostgreSQL cluster of the test's own (scripts/ci/pg-temp.sh).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { xSignature } from '../support/app.js';
import { repoRoot } from '../support/databases.js';
import { lines } from '../support/process.js';

const run = promisify(execFile);

export const TALLY_PLUGINS = ['./test/fixtures/plugins/tally-a.ts', './test/fixtures/plugins/tally-b.ts'].join(',');
export const TALLY_NAMES = ['tally-a', 'tally-b'] as const;

export interface PostResult {
  status: number;
  ms: number;
  /** Set when no answer came (connection refused, reset, timeout). */
  error?: string;
}

/** POSTs a signed delivery; never throws (a network error or timeout is reported as status 0). */
export async function postDelivery(port: number, body: Buffer, timeoutMs = 20_000): Promise<PostResult> {
  const t0 = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': xSignature(body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch (error) {
    return { status: 0, ms: performance.now() - t0, error: String(error) };
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


/** What the tally plugin recorded for one process and plugin: event ids (dedupe keys). */
export function tallied(dir: string, pid: number, plugin: string, kind: 'starts' | 'finishes' | 'hung'): string[] {
  return lines(path.join(dir, `${pid}.${plugin}.${kind}`));
}

/** Debian's PostgreSQL server binaries (newest major), or undefined when not installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const majors = fs
    .readdirSync(base)
    .filter((m) => fs.existsSync(path.join(base, m, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return majors.length ? path.join(base, majors.at(-1)!, 'bin') : undefined;
}

/**
 * A PostgreSQL cluster of the test's own (never the shared TEST_POSTGRES_URL server), made by
 * scripts/ci/pg-temp.sh, that the test may stop and start again on the same port.
 */
export class OwnCluster {
  readonly url: string;
  readonly port: number;

  private constructor(
    readonly dir: string,
    url: string,
  ) {
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  static async start(dir: string): Promise<OwnCluster> {
    const { stdout } = await run(path.join(repoRoot, 'scripts/ci/pg-temp.sh'), ['start', dir]);
    const url = stdout.trim().split('\n').at(-1)!;
    if (!/^postgresql:\/\//.test(url)) throw new Error(`pg-temp.sh printed no URL: ${stdout}`);
    return new OwnCluster(dir, url);
  }

  /** pg_ctl as the cluster's owner (pg-temp.sh hands it to 'postgres', or 'nobody', when run as root). */
  async #pgCtl(args: string[]): Promise<void> {
    const bin = path.join(postgresBinDir()!, 'pg_ctl');
    if (process.getuid?.() === 0) {
      const owner = (await run('id', ['-u', 'postgres']).then(() => true, () => false)) ? 'postgres' : 'nobody';
      await run('runuser', ['-u', owner, '--', bin, ...args]);
    } else {
      await run(bin, args);
    }
  }

  /** Stops the server as `pg-temp.sh stop` does (fast: sessions are cut), waiting until it is down. */
  async stop(): Promise<void> {
    await this.#pgCtl(['-D', path.join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  /** Starts the same cluster again on the same port. */
  async restart(): Promise<void> {
    await this.#pgCtl([
      '-D', path.join(this.dir, 'data'),
      '-l', path.join(this.dir, 'server.log'),
      '-w', '-t', '60',
      '-o', `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.dir} -c max_connections=300 -c shared_buffers=128MB`,
      'start',
    ]);
  }

  /** Stops the server (if running) and removes its files. */
  async destroy(): Promise<void> {
    await run(path.join(repoRoot, 'scripts/ci/pg-temp.sh'), ['stop', this.dir]).catch(() => {});
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
