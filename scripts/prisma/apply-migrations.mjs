// `prisma migrate deploy` without the Prisma CLI: what `npm run db:migrate`, `xaa serve --migrate`
// and the image's start run, so that production installs need the schema engine only
// (@prisma/schema-engine-wasm behind scripts/prisma/schema-engine.mjs, or the native engine named
// by PRISMA_SCHEMA_ENGINE_BINARY), not the CLI and its ~250 packages.
//
// It does what the CLI's `migrate deploy` does, with the same engine protocol:
//   1. `schema-engine --datasource <json> cli can-connect-to-database`; when the database does not
//      exist (P1003), `cli create-database`;
//   2. the engine in JSON-RPC mode, one `applyMigrations` request carrying the committed
//      migrations (folder names in order, each migration.sql, the lockfile), exactly as the CLI
//      sends it (recorded with SCHEMA_ENGINE_WASM_LOG from Prisma CLI 7.10.1). The engine keeps
//      Prisma's `_prisma_migrations` bookkeeping, refuses failed or edited history (P3009...) and
//      never runs anything destructive that is not in a migration file.
// The Prisma CLI stays a development dependency: `db:status`, `db:new-migration`, `db:generate`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { migrationsPath, schemaPath } from './providers.mjs';

/** An engine failure: `code` is Prisma's error code (P1001, P3009...) when the engine gave one. */
export class MigrationError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** The committed migrations of a provider, as the CLI hands them to the engine. */
export function migrationsList(provider) {
  const baseDir = migrationsPath(provider);
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  const migrationDirectories = fs
    .readdirSync(baseDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const file = path.join(baseDir, name, 'migration.sql');
      let content;
      try {
        content = { tag: 'ok', value: fs.readFileSync(file, 'utf8') };
      } catch (e) {
        content = { tag: 'error', value: `Could not read ${file}: ${e.message}` };
      }
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    });
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null },
    migrationDirectories,
    shadowDbInitScript: '',
  };
}

/** How to start the engine: a .mjs/.js stand-in runs under this Node, a native binary directly. */
function engineCommand(engine, args) {
  return /\.(m?js|cjs)$/.test(engine) ? [process.execPath, [engine, ...args]] : [engine, args];
}

/** The last structured error line an engine wrote on stderr, as { message, code }. */
function engineError(stderr) {
  for (const line of stderr.trim().split('\n').reverse()) {
    try {
      const entry = JSON.parse(line);
      if (entry?.level === 'ERROR' || entry?.fields?.error_code) {
        return { message: String(entry.fields?.message ?? line), code: entry.fields?.error_code };
      }
    } catch {
      // not JSON: skip
    }
  }
  const last = stderr.trim().split('\n').pop();
  return { message: last || 'the schema engine failed without a message', code: undefined };
}

function runEngineCli(engine, datasource, command, env) {
  const [cmd, args] = engineCommand(engine, ['--datasource', JSON.stringify(datasource), 'cli', command]);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('error', (e) => resolve({ ok: false, message: e.message }));
    child.on('close', (code) => resolve(code === 0 ? { ok: true } : { ok: false, ...engineError(stderr) }));
  });
}

/** Sends one JSON-RPC request to a fresh engine and resolves with its result (rejects with MigrationError). */
function rpc(engine, datasource, datamodel, method, params, env) {
  const [cmd, args] = engineCommand(engine, ['--datamodels', datamodel, '--datasource', JSON.stringify(datasource)]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let answer;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      let newline;
      while (answer === undefined && (newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        if (message.id !== 1) continue;
        answer = message;
        child.stdin.end(); // the engine exits when its input closes
      }
    });
    child.on('error', (e) => reject(new MigrationError(`cannot start the schema engine: ${e.message}`)));
    child.on('close', () => {
      if (answer?.error) {
        const data = answer.error.data ?? {};
        reject(new MigrationError(String(data.message ?? answer.error.message), data.error_code ?? undefined));
      } else if (answer) resolve(answer.result);
      else {
        const { message, code } = engineError(stderr);
        reject(new MigrationError(message, code));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })}\n`);
  });
}

/**
 * Applies the pending committed migrations of `provider` to `url` with the engine `env` names
 * (PRISMA_SCHEMA_ENGINE_BINARY). Resolves with the names applied now; rejects with MigrationError.
 */
export async function applyMigrations({ url, provider, env }) {
  const engine = env.PRISMA_SCHEMA_ENGINE_BINARY;
  const datasource = { url };
  const reachable = await runEngineCli(engine, datasource, 'can-connect-to-database', env);
  if (!reachable.ok) {
    if (reachable.code !== 'P1003') throw new MigrationError(reachable.message, reachable.code);
    const created = await runEngineCli(engine, datasource, 'create-database', env);
    if (!created.ok) throw new MigrationError(created.message, created.code);
  }
  const result = await rpc(engine, datasource, schemaPath(provider), 'applyMigrations', {
    migrationsList: migrationsList(provider),
    filters: { externalTables: [], externalEnums: [] },
  }, env);
  return result?.appliedMigrationNames ?? [];
}
