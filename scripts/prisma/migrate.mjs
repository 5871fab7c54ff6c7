#!/usr/bin/env node
// Applies the committed migrations to the database named by DATABASE_URL (default
// file:./data/xaa.db, relative to the working directory), with `prisma migrate deploy`'s
// semantics: never destructive, never a prompt. Runs at every `npm start`, so it prints one line.
//
//   node scripts/prisma/migrate.mjs [deploy]   apply pending migrations (exit 1 + one-line error on failure)
//   node scripts/prisma/migrate.mjs status     `prisma migrate status` (exit 1 when not up to date)
//   add --verbose to see the engine's log (deploy) or the Prisma CLI's own output (status).
//
// deploy talks to the schema engine directly (apply-migrations.mjs), without the Prisma CLI, so
// that it works in a production install (the CLI is a development dependency); status needs the
// CLI. Offline, prismaEnv() names the Wasm schema engine (scripts/prisma/schema-engine.mjs); an
// explicit PRISMA_SCHEMA_ENGINE_BINARY (e.g. the native engine) is kept.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { applyMigrations } from './apply-migrations.mjs';
import { prismaBin, prismaEnv, providerOf, root } from './providers.mjs';

export const DEFAULT_DATABASE_URL = 'file:./data/xaa.db';

// Same rule as the server (src/config/env.ts): a .env file in the working directory supplies
// variables the environment does not set (or sets empty), so `npm start` migrates the database
// it then serves.
if (fs.existsSync(path.resolve('.env'))) {
  for (const [key, value] of Object.entries(parseEnv(fs.readFileSync(path.resolve('.env'), 'utf8')))) {
    if (process.env[key] === undefined || process.env[key] === '') process.env[key] = value;
  }
}
const configPath = path.join(root, 'prisma.config.ts');

/** DATABASE_URL with a relative SQLite path made absolute against `cwd` (the product's rule). */
export function resolveDatabaseUrl(url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL, cwd = process.cwd()) {
  const provider = providerOf(url);
  if (provider !== 'sqlite') return { url, provider };
  const rest = url.slice('file:'.length);
  const q = rest.indexOf('?');
  const file = path.resolve(cwd, q >= 0 ? rest.slice(0, q) : rest);
  return { url: `file:${file}${q >= 0 ? rest.slice(q) : ''}`, provider, file };
}

/** A URL safe to print: no password, no query string. */
export function describeDatabase({ url, provider, file }) {
  if (provider === 'sqlite') return `sqlite ${file}`;
  try {
    const u = new URL(url);
    return `postgresql ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgresql';
  }
}

function runPrisma(args, env) {
  if (!prismaBin || !fs.existsSync(prismaBin)) {
    return Promise.resolve({ code: 1, output: `Error: this command needs the Prisma CLI (a development dependency), not installed here: run npm ci` });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [prismaBin, ...args, '--config', configPath], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
    child.on('error', (e) => resolve({ code: 1, output: `Error: ${e.message}` }));
  });
}

/** The first meaningful error line(s) of Prisma CLI output, joined into one line. */
export function oneLineError(output, url) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Loaded Prisma config|Prisma schema loaded|Datasource "|Environment variables loaded|\d+ migrations? found)/.test(l));
  const start = lines.findIndex((l) => /^Error:|^P\d{4}|^error/i.test(l));
  let text = (start >= 0 ? lines.slice(start, start + 4) : lines.slice(-3)).join(' ').replace(/\s+/g, ' ');
  if (url) text = text.split(url).join('<DATABASE_URL>');
  return text.length > 400 ? `${text.slice(0, 397)}...` : text || 'unknown error';
}

export async function deploy({ verbose = false } = {}) {
  const db = resolveDatabaseUrl();
  if (db.file) fs.mkdirSync(path.dirname(db.file), { recursive: true });
  const started = Date.now();
  const env = prismaEnv({ DATABASE_URL: db.url });
  if (verbose && !env.SCHEMA_ENGINE_WASM_LOG) console.error('db:migrate: set SCHEMA_ENGINE_WASM_LOG=<file> for the Wasm engine\'s log');
  const where = describeDatabase(db);
  let applied;
  try {
    applied = await applyMigrations({ url: db.url, provider: db.provider, env });
  } catch (e) {
    const text = e.code ? `Error: ${e.code}\n${e.message}` : `Error: ${e.message}`;
    console.error(`db:migrate failed (${where}): ${oneLineError(text, db.url)}`);
    return 1;
  }
  const ms = Date.now() - started;
  if (applied.length) console.log(`db:migrate ${where}: applied ${applied.length} migration(s): ${applied.join(', ')} (${ms} ms)`);
  else console.log(`db:migrate ${where}: up to date (${ms} ms)`);
  return 0;
}

export async function status() {
  const db = resolveDatabaseUrl();
  const { code, output } = await runPrisma(['migrate', 'status'], prismaEnv({ DATABASE_URL: db.url }));
  process.stdout.write(output.split('\n').filter((l) => !/^Loaded Prisma config/.test(l)).join('\n').replace(/^\n+/, ''));
  return code;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const command = args.find((a) => !a.startsWith('-')) ?? 'deploy';
  try {
    if (command === 'deploy') process.exitCode = await deploy({ verbose: args.includes('--verbose') });
    else if (command === 'status') process.exitCode = await status();
    else {
      console.error('usage: migrate.mjs [deploy|status] [--verbose]');
      process.exitCode = 2;
    }
  } catch (e) {
    console.error(`db:migrate failed: ${e.message}`);
    process.exitCode = 1;
  }
}
