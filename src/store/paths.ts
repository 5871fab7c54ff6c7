import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseProvider } from '../config/index.js';

let cachedRoot: string | undefined;

/** The project folder (the one holding prisma/models.prisma), from src/ or from dist/src/. */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'prisma', 'models.prisma'))) return (cachedRoot = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project folder (prisma/models.prisma)');
    dir = parent;
  }
}

/** The committed migrations of a provider, in the order Prisma applies them. */
export function committedMigrations(provider: DatabaseProvider): string[] {
  const dir = path.join(projectRoot(), 'prisma', provider, 'migrations');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}
