#!/usr/bin/env node
// `prisma generate` for every provider, offline: generate only checks that a schema engine
// executable exists (it never runs it), so prismaEnv() points it at the Wasm stand-in.
import { execFileSync } from 'node:child_process';
import { prismaBin, prismaEnv, providers, root, schemaPath } from './providers.mjs';

if (!prismaBin) {
  console.error('this command needs the Prisma CLI (a development dependency), not installed here: run npm ci');
  process.exit(1);
}
import { writeSchemas } from './write-schemas.mjs';

writeSchemas();
for (const provider of providers) {
  execFileSync(process.execPath, [prismaBin, 'generate', '--schema', schemaPath(provider)], {
    cwd: root,
    env: prismaEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
