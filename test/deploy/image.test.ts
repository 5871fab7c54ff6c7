/**
 * The container image, checked without a Docker engine (none runs where this project is built):
 * what the Dockerfile pins, who owns what in it, what the build context leaves out, and that the
 * production dependency closure (what `npm prune --omit=dev --omit=optional` keeps in the image)
 * holds the server and its migrations but not the Prisma CLI or pino-pretty. The migrations are
 * run from a copy of the repository whose node_modules holds the production packages only.
 * Not checked here: that the image builds and starts (that needs Docker).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../../src/plugins/loader.js';
import { repoRoot } from '../support/databases.js';

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

interface LockPackage {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };
const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; engines: { node: string } };

/**
 * The lock's packages a production install keeps under `--omit=dev --omit=optional`, by npm's
 * own rule (arborist's Node#shouldOmit: dev, optional and devOptional packages are left out).
 * `npm ls --omit=dev` alone still lists the Prisma CLI: it is an optional peer of
 * @prisma/client, which npm marks devOptional and keeps unless optional ones are omitted too.
 */
const production = new Map(
  Object.entries(lock.packages).filter(([key, p]) => key !== '' && !p.dev && !p.devOptional && !p.optional && !p.peer),
);
const productionNames = new Set([...production.keys()].map((key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)));

/** Where Node finds `name` required from the package at `from` (a lock key), in the lock. */
function resolveInLock(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

describe('the Dockerfile', () => {
  const lines = instructions(read('Dockerfile'));

  it('pins a Node 24 (LTS) base by digest, one value for both stages', () => {
    const arg = lines.find((l) => l.startsWith('ARG NODE_IMAGE='));
    expect(arg).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
    // package.json engines admit the image's Node.
    expect(manifest.engines.node).toBe('>=22.12');
  });

  it('keeps production dependencies only, the optional peer (Prisma CLI) included in what is left out', () => {
    const install = lines.find((l) => l.startsWith('RUN npm ci'));
    expect(install).toContain('npm prune --omit=dev --omit=optional');
  });

  it('runs as node, with the code owned by root and only /data writable', () => {
    const runtime = lines.slice(lines.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    const copies = runtime.filter((l) => l.startsWith('COPY '));
    expect(copies.length).toBeGreaterThanOrEqual(4);
    for (const copy of copies) expect(copy).not.toContain('--chown');
    const user = runtime.findIndex((l) => l.startsWith('USER '));
    expect(runtime[user]).toBe('USER node');
    // Everything is copied before the switch to the runtime user; nothing is installed after it.
    expect(runtime.slice(user + 1).some((l) => /^(COPY|ADD|RUN) /.test(l))).toBe(false);
    const chowns = runtime.filter((l) => l.includes('chown'));
    expect(chowns).toEqual(['RUN mkdir -p /data && chown node:node /data && chmod 700 /data']);
    expect(runtime).toContain('VOLUME ["/data"]');
    expect(runtime.join('\n')).toContain('DATABASE_URL=file:/data/xaa.db');
  });

  it('starts through files that exist: the entrypoint (executable) and the healthcheck', () => {
    expect(lines).toContain('ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]');
    expect(fs.statSync(path.join(repoRoot, 'scripts/docker-entrypoint.sh')).mode & 0o111).not.toBe(0);
    expect(lines.find((l) => l.startsWith('HEALTHCHECK'))).toContain('CMD ["node", "scripts/docker-healthcheck.mjs"]');
    expect(fs.existsSync(path.join(repoRoot, 'scripts/docker-healthcheck.mjs'))).toBe(true);
    // The entrypoint migrates with the script that needs no Prisma CLI.
    expect(read('scripts/docker-entrypoint.sh')).toContain('node scripts/prisma/migrate.mjs deploy && exec node dist/src/main.js serve');
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it.each([
    ['installed packages', 'node_modules'],
    ['git history', '.git'],
    ['secrets in .env files', '.env'],
    ['other .env files', '.env.*'],
    ['SQLite databases', '*.db'],
    ['SQLite WAL files', '*.db-wal'],
    ['SQLite shared memory', '*.db-shm'],
    ['the default data folder', 'data'],
    ['benchmarks and their results', 'bench'],
    ['local build output', 'dist'],
    ['TLS keys', '*.key'],
    ['PEM files', '*.pem'],
  ])('leaves out %s (%s)', (_what, pattern) => {
    expect(patterns).toContain(pattern);
  });

  it('lets back in only the example configuration', () => {
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual(['!.env.example']);
  });
});

describe('production dependencies', () => {
  it('leave out the Prisma CLI and pino-pretty, keep the schema engine, the client and the drivers', () => {
    console.log(`production packages: ${production.size} of ${Object.keys(lock.packages).length - 1} in the lock`);
    for (const gone of ['prisma', '@prisma/engines', '@prisma/dev', '@prisma/studio-core', '@prisma/config', 'pino-pretty']) {
      expect(productionNames.has(gone), gone).toBe(false);
    }
    for (const kept of ['@prisma/schema-engine-wasm', '@prisma/client', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'better-sqlite3', 'pg', 'pino', 'express']) {
      expect(productionNames.has(kept), kept).toBe(true);
    }
    expect(manifest.devDependencies.prisma).toBeDefined();
    expect(manifest.devDependencies['pino-pretty']).toBeDefined();
    expect(production.size).toBeLessThan(200);
  });

  it('are closed: every dependency of a production package is one too', () => {
    const missing: string[] = [];
    for (const name of Object.keys(manifest.dependencies)) {
      const at = resolveInLock('', name);
      if (!at || !production.has(at)) missing.push(`(root) -> ${name}`);
    }
    for (const [key, p] of production) {
      for (const name of Object.keys(p.dependencies ?? {})) {
        const at = resolveInLock(key, name);
        if (!at || !production.has(at)) missing.push(`${key} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('cover every module the server and the migration scripts import', () => {
    const files = [
      ...fs.readdirSync(path.join(repoRoot, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('store/generated'))
        .map((f) => path.join('src', f)),
      'scripts/prisma/migrate.mjs',
      'scripts/prisma/apply-migrations.mjs',
      'scripts/prisma/providers.mjs',
      'scripts/prisma/schema-engine.mjs',
      'scripts/docker-healthcheck.mjs',
    ];
    const builtins = new Set(builtinModules);
    const outside: string[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      const text = read(file);
      const specifiers = [
        ...[...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]!),
        ...[...text.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]!),
        ...[...text.matchAll(/\brequire(?:\.resolve)?\('([^']+)'\)/g)].map((m) => m[1]!),
      ];
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        seen.add(name);
        if (!manifest.dependencies[name]) outside.push(`${file}: ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
    // The scan sees the imports it should (a scan that finds nothing would pass vacuously).
    for (const name of ['express', 'pino', 'zod', 'proxy-addr', '@prisma/schema-engine-wasm', '@prisma/driver-adapter-utils']) expect(seen, name).toContain(name);
  });

  describe('migrations with the production packages only', () => {
    let root: string;

    beforeAll(() => {
      // The repository's scripts and migrations, and a node_modules of links to the production
      // packages alone (top level; what they require in turn resolves from where they really are).
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-prod-'));
      fs.cpSync(path.join(repoRoot, 'scripts'), path.join(root, 'scripts'), { recursive: true });
      fs.cpSync(path.join(repoRoot, 'prisma'), path.join(root, 'prisma'), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
      for (const key of production.keys()) {
        if (key.indexOf('node_modules/') !== key.lastIndexOf('node_modules/')) continue; // nested: inside its parent
        const link = path.join(root, key);
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.symlinkSync(fs.realpathSync(path.join(repoRoot, key)), link);
      }
    });

    afterAll(() => {
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    const run = (command: string, url: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(root, 'scripts/prisma/migrate.mjs'), command],
          { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: url }, timeout: 120_000 },
          (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });

    it('db:migrate applies every migration to a new SQLite database, then finds it up to date', async () => {
      expect(fs.existsSync(path.join(root, 'node_modules/prisma'))).toBe(false);
      expect(fs.existsSync(path.join(root, 'node_modules/@prisma/schema-engine-wasm'))).toBe(true);
      const url = `file:${path.join(root, 'data', 'xaa.db')}`;
      const migrations = fs.readdirSync(path.join(repoRoot, 'prisma/sqlite/migrations'), { withFileTypes: true }).filter((d) => d.isDirectory());
      const first = await run('deploy', url);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(`applied ${migrations.length} migration(s)`);
      const second = await run('deploy', url);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain('up to date');
    });

    it('db:status, which needs the Prisma CLI, says so in one line', async () => {
      const status = await run('status', `file:${path.join(root, 'data', 'xaa.db')}`);
      expect(status.code).toBe(1);
      expect(status.stdout.trim()).toBe('Error: this command needs the Prisma CLI (a development dependency), not installed here: run npm ci');
    });
  });
});

describe('the derived-image recipe (examples/docker)', () => {
  const dockerfile = instructions(read('examples/docker/Dockerfile'));

  it('builds FROM the receiver image, copies the handlers as root and names them in HANDLERS', () => {
    expect(dockerfile.filter((l) => l.startsWith('FROM '))).toEqual(['FROM ${BASE}']);
    expect(dockerfile).toContain('COPY handlers/ /app/handlers/');
    const copy = dockerfile.indexOf('COPY handlers/ /app/handlers/');
    expect(dockerfile.slice(0, copy)).toContain('USER root');
    expect(dockerfile.indexOf('USER node')).toBeGreaterThan(copy);
  });

  it('its HANDLERS load through the real plugin loader, relative to the working directory', async () => {
    const env = dockerfile.find((l) => l.startsWith('ENV HANDLERS='))!;
    const specifiers = env.slice('ENV HANDLERS='.length).split(',');
    const plugins = await loadPlugins(specifiers, { cwd: path.join(repoRoot, 'examples/docker') });
    expect(plugins.map((p) => p.name)).toEqual(['audit-log']);
    expect(plugins[0]!.any).toHaveLength(1);
  });
});
