import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/**
 * The environment the configuration is read from: the process environment, plus a `.env` file
 * in the working directory when one exists (values set in the environment win, an empty one
 * counting as unset, as everywhere in the configuration: `FOO: ${FOO}` in a compose file with
 * FOO unset does not hide the file's FOO; the file is parsed with Node's own .env parser, as
 * `node --env-file` does). Read once, by the
 * entry point (a command, xWebhooks() without `env`): what it returns is handed on whole, as the
 * dispatch thread's environment too, and nothing beneath reads `.env` again.
 */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  if (fs.existsSync(file)) {
    const set = Object.entries(process.env).filter(([, value]) => value !== undefined && value !== '');
    return { ...parseDotEnv(fs.readFileSync(file, 'utf8')), ...Object.fromEntries(set) };
  }
  return { ...process.env };
}

export function parseDotEnv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}
