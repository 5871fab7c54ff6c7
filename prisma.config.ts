// Prisma CLI configuration (Prisma 7 takes the datasource URL from here, not from the schema).
//
// DATABASE_URL picks the provider, and with it the schema and migrations folder:
//   file:PATH            -> prisma/sqlite      (PATH absolute, or relative to the working directory)
//   postgresql://...     -> prisma/postgresql
// Default: file:./data/xaa.db (the product's default). So `npx prisma migrate status` works as is.
// Offline, scripts/prisma/migrate.mjs and friends point PRISMA_SCHEMA_ENGINE_BINARY at the Wasm
// stand-in (scripts/prisma/schema-engine.mjs); set it yourself when calling `npx prisma` directly.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const DEFAULT_DATABASE_URL = 'file:./data/xaa.db';

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const provider = /^postgres(ql)?:\/\//i.test(url) ? 'postgresql' : /^file:/i.test(url) ? 'sqlite' : null;
if (!provider) throw new Error('DATABASE_URL must start with file: or postgresql://');

/** `file:relative` -> `file:/absolute` against the working directory (the product's rule). */
function absoluteSqliteUrl(u: string): string {
  const rest = u.slice('file:'.length);
  const q = rest.indexOf('?');
  const p = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q) : '';
  return `file:${path.resolve(process.cwd(), p)}${query}`;
}

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  schema: path.join(root, 'prisma', provider, 'schema.prisma'),
  migrations: { path: path.join(root, 'prisma', provider, 'migrations') },
  datasource: { url: provider === 'sqlite' ? absoluteSqliteUrl(url) : url },
});
