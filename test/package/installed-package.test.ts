import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aaaBody, newActivity } from '../../src/testing/samples.js';
import { xSignature } from '../support/app.js';
import { repoRoot } from '../support/databases.js';
import { freePort, lines, until, waitForStatus } from '../support/process.js';

/**
 * The package as another project gets it: `npm pack` (its prepare script builds dist/), the
 * tarball installed into a project in the temp folder (from the npm registry and cache: the
 * package's dependencies, tsx, typescript), `xaa init` writing that project, its TypeScript
 * type-checked against the installed types, its own test run with its own runner, and
 * `npx xaa serve --migrate` loading its TypeScript handler through tsx against a signed delivery
 * over HTTP. Nothing is written in the repository: the package is packed from a copy of its
 * sources (building in place would regenerate the Prisma client under other test files' feet).
 */

const SECRET = 'installed-package-consumer-secret';

interface Run {
  code: number | null;
  output: string;
}

/** The environment for npm and the installed tools: this one, without what an enclosing `npm test` sets for its own package. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_lifecycle_|npm_package_|npm_command$|npm_config_(?:prefix|global|local_prefix)$|INIT_CWD$|NODE_ENV$|VITEST|TEST_POSTGRES_URL$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (output += String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Fails with the command's output when it did not exit 0. */
async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}:\n${result.output.slice(-4000)}`);
  return result.output;
}

/** The sources `npm pack` builds from, copied: what a clone has, without node_modules (linked), dist or generated files. */
function stageSources(stage: string): void {
  const entries = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts', 'README.md', '.env.example', 'src', 'examples', 'prisma', 'scripts'];
  for (const entry of entries) {
    fs.cpSync(path.join(repoRoot, entry), path.join(stage, entry), {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist|data|generated)([/\\]|$)|[/\\]\.env$/.test(path.relative(repoRoot, source)),
    });
  }
  fs.symlinkSync(fs.realpathSync(path.join(repoRoot, 'node_modules')), path.join(stage, 'node_modules'), 'dir');
}

/** better-sqlite3's compiled addon from this repository's node_modules, when the project installed the same version. */
function useBuiltSqliteDriver(project: string): void {
  const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const ours = path.join(repoRoot, 'node_modules', 'better-sqlite3');
  const theirs = path.join(project, 'node_modules', 'better-sqlite3');
  expect(version(theirs)).toBe(version(ours));
  fs.mkdirSync(path.join(theirs, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ours, 'build', 'Release', 'better_sqlite3.node'), path.join(theirs, 'build', 'Release', 'better_sqlite3.node'));
}

describe('the packed package, installed into another project', () => {
  let tmp: string;
  let tarball: string;
  let packed: string[];
  let project: string;
  let serve: ChildProcess | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-package-'));
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(stage);
    stageSources(stage);
    const out = await ok('npm', ['pack', '--json', '--pack-destination', tmp], stage);
    // Lifecycle output may come first; the report is the JSON array at the end.
    const report = JSON.parse(out.slice(out.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(tmp, report[0]!.filename);
    packed = report[0]!.files.map((f) => f.path);

    // xaa init from the packed build, then the project installs the tarball (and its devDependencies).
    project = path.join(tmp, 'mentions-bot');
    await ok(process.execPath, [path.join(stage, 'dist', 'src', 'main.js'), 'init', project], tmp);
    // --ignore-scripts: the package itself has no install script (its prepare does not run for a
    // tarball); what is skipped are its dependencies' own: better-sqlite3's native build, which
    // would take minutes of CPU and is taken from this repository's install instead (the same
    // pinned version, for this same Node), and Prisma's engine download, which the package never
    // uses (migrations run on the Wasm schema engine).
    await ok('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);
    useBuiltSqliteDriver(project);
  }, 900_000);

  afterAll(async () => {
    if (serve?.pid !== undefined) {
      try {
        process.kill(-serve.pid, 'SIGKILL');
      } catch {
        // the group is gone: it stopped
      }
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the build, the migrations and the migration tooling, and no sources or tests', () => {
    for (const file of [
      'dist/src/main.js',
      'dist/src/plugins/index.d.ts',
      'dist/src/testing/index.js',
      'dist/src/embed/express.js',
      'dist/src/store/generated/sqlite/client.js',
      'prisma/models.prisma',
      'prisma/sqlite/migrations/migration_lock.toml',
      'prisma/postgresql/migrations/migration_lock.toml',
      'prisma.config.ts',
      'scripts/prisma/migrate.mjs',
      'scripts/prisma/schema-engine.mjs',
      'examples/handler-project/src/handlers/mentions.ts',
      'examples/handler-project/gitignore',
    ]) {
      expect(packed).toContain(file);
    }
    expect(packed.filter((f) => /^prisma\/sqlite\/migrations\/.+\/migration\.sql$/.test(f)).length).toBeGreaterThan(0);
    expect(packed.filter((f) => /^(src|test|bench)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('xaa init wrote a project that depends on the package, with .env readable by its owner only', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.name).toBe('mentions-bot');
    expect(manifest.dependencies['x-activity-receiver']).toMatch(/x-activity-receiver-.*\.tgz$/);
    expect(Object.keys(manifest.devDependencies)).toEqual(expect.arrayContaining(['tsx', 'typescript', 'pino-pretty']));
    expect(fs.statSync(path.join(project, '.env')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(project, '.env'), 'utf8')).toMatch(/^# .*\n[\s\S]*^HANDLERS=\.\/src\/handlers\/mentions\.ts$/m);
    expect(fs.existsSync(path.join(project, '.gitignore'))).toBe(true);
  });

  // `xaa dev` prints the handlers' logs one readable line each through pino-pretty, which the
  // package has as a development dependency only (the image leaves it out): the project brings it,
  // found from the installed package as the logger looks for it.
  it("the project's pino-pretty is the one the installed package's logger finds", () => {
    const logger = path.join(project, 'node_modules', 'x-activity-receiver', 'dist', 'src', 'log', 'logger.js');
    expect(fs.existsSync(logger)).toBe(true);
    expect(createRequire(logger).resolve('pino-pretty')).toBe(createRequire(path.join(project, 'package.json')).resolve('pino-pretty'));
  });

  it('type-checks against the installed types (and they are real types: a wrong one fails)', async () => {
    await ok('npx', ['tsc', '--noEmit'], project);
    const wrong = path.join(project, 'src', 'handlers', 'wrong.ts');
    fs.writeFileSync(
      wrong,
      "import { definePlugin } from 'x-activity-receiver';\n" +
        "export default definePlugin({ name: 'wrong', setup(hooks) { hooks.on('post.create', (event) => { const n: number = event.payload.text; return n; }); } });\n",
    );
    try {
      const result = await run('npx', ['tsc', '--noEmit'], project);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/wrong\.ts.*TS2322/);
    } finally {
      fs.rmSync(wrong);
    }
  }, 300_000);

  it("runs the scaffolded handler's own test (node:test, through the package's test helpers)", async () => {
    const out = await ok('npm', ['test'], project);
    expect(out).toMatch(/^# pass 2$/m);
    expect(out).toMatch(/^# fail 0$/m);
  }, 300_000);

  it('npx xaa db status lists pending migrations, npx xaa db migrate applies them from the package, offline', async () => {
    const env = cleanEnv({ DATABASE_URL: `file:${path.join(tmp, 'db-command.db')}`, NODE_ENV: 'test' });
    const before = await run('npx', ['xaa', 'db', 'status'], project, env);
    expect(before.code).toBe(1);
    expect(before.output).toMatch(/0 migration\(s\) applied, \d+ pending/);
    expect(await ok('npx', ['xaa', 'db', 'migrate'], project, env)).toMatch(/applied \d+ migration\(s\)/);
    expect(await ok('npx', ['xaa', 'db', 'status'], project, env)).toMatch(/, 0 pending/);
  }, 300_000);

  it('npx xaa serve --migrate migrates a fresh database and runs the TypeScript handler on a signed delivery', async () => {
    const port = await freePort();
    // DATABASE_URL, HANDLERS and HANDLER_OPTIONS_MENTIONS come from the project's .env.
    const env = cleanEnv({ X_CONSUMER_SECRET: SECRET, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'info' });
    // Its own process group, as a terminal runs a command: Ctrl-C (SIGINT) reaches npx and xaa alike.
    const child = spawn('npx', ['xaa', 'serve', '--migrate'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    serve = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    // 'close': npx and the xaa process it started have both let go of the output pipes.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

    try {
      await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 180_000);
    } catch (error) {
      throw new Error(`${String(error)}\n${output}`);
    }
    expect(output).toMatch(/applied \d+ migration\(s\)/);

    const activity = newActivity('post.create', '2244994945', { text: 'from the installed package' });
    const body = aaaBody(activity);
    const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': xSignature(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);

    const mentions = path.join(project, 'data', 'mentions.jsonl');
    await until(() => lines(mentions).length > 0, 60_000);
    const saved = lines(mentions).map((l) => JSON.parse(l) as { id: string; text: string });
    expect(saved).toHaveLength(1);
    expect(saved[0]!.id).toBe(activity.id);
    expect(saved[0]!.text).toContain('from the installed package');

    // Ctrl-C: the receiver stops cleanly (its log says so); npx ends by the signal.
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    expect(output).toMatch(/"msg":"stopped"/);
    expect(output).not.toContain(SECRET);
  }, 300_000);

  // A plugin compiled to CommonJS from `export default` (tsc's output: exports.default with
  // __esModule) arrives from import() as its module.exports; it used to be refused as having no
  // plugin as its default export. Loaded here by plain node, as the server loads a .js plugin.
  it('loads a handler compiled to CommonJS from export default, and runs it', async () => {
    const elsewhere = path.join(tmp, 'compiled-cjs');
    fs.mkdirSync(elsewhere);
    const written = path.join(elsewhere, 'follows.txt');
    fs.writeFileSync(
      path.join(elsewhere, 'follows.cjs'),
      `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const fs = require("node:fs");
exports.default = { name: "follows", setup(hooks) { hooks.on("follow", (event) => fs.appendFileSync(${JSON.stringify(written)}, event.id + "\\n")); } };
`,
    );
    const port = await freePort();
    const env = cleanEnv({
      X_CONSUMER_SECRET: SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      DATABASE_URL: `file:${path.join(elsewhere, 'xaa.db')}`,
      HANDLERS: path.join(elsewhere, 'follows.cjs'),
    });
    const child = spawn('npx', ['xaa', 'serve', '--migrate'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      await Promise.race([
        waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 180_000),
        exited.then((code) => Promise.reject(new Error(`exited ${code}`))),
      ]);
      const body = aaaBody(newActivity('follow', '2244994945'));
      const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': xSignature(body, SECRET) },
        body,
      });
      expect(res.status).toBe(200);
      await until(() => lines(written).length > 0, 60_000);
    } catch (error) {
      throw new Error(`${String(error)}\n${output}`);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    expect(lines(written)).toHaveLength(1);
  }, 300_000);

  it('says how to load a TypeScript handler whose project has no tsx', async () => {
    const elsewhere = path.join(tmp, 'no-tsx');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'package.json'), '{"type":"module"}\n');
    fs.writeFileSync(path.join(elsewhere, 'plain.ts'), "export default { name: 'plain', setup(hooks: unknown): void {} };\n");
    const env = cleanEnv({ X_CONSUMER_SECRET: SECRET, PORT: '0', NODE_ENV: 'test', HANDLERS: path.join(elsewhere, 'plain.ts') });
    const result = await run('npx', ['xaa', 'serve', '--migrate'], project, env);
    expect(result.code).toBe(1);
    expect(result.output).toContain('is TypeScript, and its project has no tsx to load it with');
    expect(result.output).toContain('npm install --save-dev tsx');
  }, 300_000);

  it('xaa init from the installed package refuses to overwrite, and writes the same project elsewhere', async () => {
    const again = await run('npx', ['xaa', 'init', '.'], project);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/package\.json.*exist already; nothing was written \(--force overwrites\)/);

    const other = path.join(tmp, 'second-bot');
    await ok('npx', ['xaa', 'init', other], project);
    const list = (dir: string): string[] =>
      (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !/^(node_modules|data|package-lock\.json)/.test(f) && fs.statSync(path.join(dir, f)).isFile()).sort();
    expect(list(other)).toEqual(list(project));
  }, 300_000);
});
