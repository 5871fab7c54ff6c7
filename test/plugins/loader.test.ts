// The HANDLERS loader against real plugin modules on disk: plugin names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import { loadPlugins, PluginLoadError } from '../../src/plugins/loader.js';

describe('plugin loader', () => {
  let dir: string;
  let logs: string[];
  const logger = () =>
    createLogger({
      level: 'warn',
      env: 'test',
      destination: new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    });
  const messages = () => logs.map((l) => (JSON.parse(l) as { msg: string }).msg);

  /** Writes a plugin module and returns its path relative to `dir`. */
  function plugin(file: string, source: string): string {
    fs.writeFileSync(path.join(dir, file), source);
    return `./${file}`;
  }
  const load = (specifiers: string[]) => loadPlugins(specifiers, { cwd: dir, logger: logger() });
  const failure = async (p: Promise<unknown>): Promise<string> => {
    const error = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginLoadError);
    return (error as Error).message;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-loader-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    logs = [];
  });

  it('names a function plugin by its exported name, without warnings', async () => {
    const p = plugin('named.mjs', `export const name = 'crm'; export default (hooks) => hooks.on('follow', () => {});`);
    const [loaded] = await load([p]);
    expect(loaded!.name).toBe('crm');
    expect([...loaded!.byType.keys()]).toEqual(['follow']);
    expect(logs).toEqual([]);
  });

  it('still loads a plugin without a name, under its file name, with a deprecation warning', async () => {
    const p = plugin('unnamed-crm.mjs', `export default (hooks) => hooks.onAny(() => {});`);
    const [loaded] = await load([p]);
    expect(loaded!.name).toBe('unnamed-crm');
    expect(messages()).toHaveLength(1);
    expect(messages()[0]).toContain('"./unnamed-crm.mjs" exports no `name`');
    expect(messages()[0]).toContain("export const name = 'unnamed-crm'");
    expect(messages()[0]).toContain('deprecated');
  });

  it('refuses a name that is not a non-empty string, naming the file', async () => {
    const empty = plugin('empty-name.mjs', `export const name = ' '; export default () => {};`);
    expect(await failure(load([empty]))).toMatch(/"\.\/empty-name\.mjs" has a name that is not a plugin name/);
    const numeric = plugin('numeric-name.mjs', `export const name = 42; export default () => {};`);
    expect(await failure(load([numeric]))).toMatch(/"\.\/numeric-name\.mjs" has a name that is not a plugin name/);
  });

  it('refuses two plugins of one name, naming both files', async () => {
    const a = plugin('a.mjs', `export const name = 'same'; export default () => {};`);
    const b = plugin('b.mjs', `export const name = 'same'; export default () => {};`);
    expect(await failure(load([a, b]))).toBe('HANDLERS: "./a.mjs" and "./b.mjs" are both named "same"; each plugin needs its own name');
  });
});
