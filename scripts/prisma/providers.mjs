// The database providers the product supports, and where each one's generated files live.
// Shared by the schema writer, `prisma generate` and the migration commands.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The Prisma CLI's entry point, resolved as Node resolves the `prisma` dependency: in this
 * repository's node_modules, or, installed as a package, wherever npm put it (usually hoisted to
 * the node_modules of the project that depends on x-activity-receiver). Null where it is not
 * installed (a production install: migrations are applied without it, see apply-migrations.mjs).
 */
export const prismaBin = (() => {
  try {
    return createRequire(import.meta.url).resolve('prisma/build/index.js');
  } catch {
    return null;
  }
})();

export const providers = ['sqlite', 'postgresql'];

export function schemaPath(provider) {
  return path.join(root, 'prisma', provider, 'schema.prisma');
}

export function migrationsPath(provider) {
  return path.join(root, 'prisma', provider, 'migrations');
}

/** The provider a DATABASE_URL selects (same rule as src/config). */
export function providerOf(url) {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgresql';
  if (/^file:/i.test(url)) return 'sqlite';
  throw new Error(`DATABASE_URL must start with file: or postgresql:// (got another scheme)`);
}

/** The stand-in schema engine (Prisma's schema engine compiled to Wasm, wrapped in Node). */
export const wasmSchemaEngine = path.join(root, 'scripts', 'prisma', 'schema-engine.mjs');

/**
 * Environment for the Prisma CLI: use the native schema engine when one is installed or named
 * explicitly, otherwise the offline Wasm stand-in, so that the CLI never needs Prisma's binary host.
 */
export function prismaEnv(extra = {}) {
  const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', ...extra };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = wasmSchemaEngine;
  return env;
}
