import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/**
 * The environment the configuration is read from: the process environment, plus a `.env` file
 * in the working directory when one exists (values already set in the environment win; the
 * file is parsed with Node's own .env parser, as `node --env-file` does). This module and
 * src/config/config.ts are the only readers of process.env.
 */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  if (fs.existsSync(file)) {
    return { ...parseDotEnv(fs.readFileSync(file, 'utf8')), ...process.env };
  }
  return { ...process.env };
}

export function parseDotEnv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}
