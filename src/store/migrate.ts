import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DatabaseConfig } from '../config/index.js';
import { DatabaseError, redactDatabaseUrl } from './errors.js';
import { projectRoot } from './paths.js';

/**
 * Applies the committed migrations to the database `config` names, exactly as `npm run db:migrate`
 * does: it runs scripts/prisma/migrate.mjs (`prisma migrate deploy`: never destructive, never a
 * prompt; offline with the Wasm schema engine). Resolves with the script's one-line report
 * ("db:migrate sqlite /data/xaa.db: applied 3 migration(s): ..."); rejects with a DatabaseError
 * carrying its one-line error.
 *
 * `env` is the environment the configuration was read from (the process environment and .env);
 * DATABASE_URL is set to the resolved URL, so the script migrates the database this process opens.
 */
export async function applyMigrations(config: DatabaseConfig, env: Record<string, string | undefined>): Promise<string> {
  const script = path.join(projectRoot(), 'scripts', 'prisma', 'migrate.mjs');
  const childEnv = Object.fromEntries(Object.entries({ ...env, DATABASE_URL: config.url }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [script, 'deploy'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: 1, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (c, signal) => resolve({ code: c ?? (signal ? 1 : 0), stdout, stderr }));
  });
  const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
  if (code !== 0) {
    throw new DatabaseError(redactDatabaseUrl(lastLine(stderr) || lastLine(stdout) || `db:migrate failed (exit ${code})`, config));
  }
  return redactDatabaseUrl(lastLine(stdout) || 'db:migrate: done', config);
}
