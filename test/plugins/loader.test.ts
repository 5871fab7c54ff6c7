// The HANDLERS loader against real plugin modules on disk: names, the two plugin shapes, options.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capturingLogger } from '../support/logs.js';
import { loadPlugins, PluginLoadError } from '../../src/plugins/loader.js';
import { repoRoot } from '../support/databases.js';

describe('plugin loader', () => {
  let dir: string;
  let logs: string[];
  const logger = () => capturingLogger(logs);
  const messages = () => logs.map((l) => (JSON.parse(l) as { msg: string }).msg);

  /** Writes a plugin module and returns its path relative to `dir`. */
  function plugin(file: string, source: string): string {
    fs.writeFileSync(path.join(dir, file), source);
    return `./${file}`;
  }
  const load = (specifiers: string[], handlerOptions: Record<string, unknown> = {}) =>
    loadPlugins(specifiers, { cwd: dir, logger: logger(), handlerOptions });
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
    const numeric = plugin('numeric-name.mjs', `export default { name: 42, setup() {} };`);
    expect(await failure(load([numeric]))).toMatch(/"\.\/numeric-name\.mjs" has a name that is not a plugin name/);
  });

  it('refuses two plugins of one name, naming both files', async () => {
    const a = plugin('a.mjs', `export const name = 'same'; export default () => {};`);
    const b = plugin('b.mjs', `export default { name: 'same', setup() {} };`);
    expect(await failure(load([a, b]))).toBe('HANDLERS: "./a.mjs" and "./b.mjs" are both named "same"; each plugin needs its own name');
  });

  it('refuses a definition whose name differs from the exported name, and a default export that is no plugin', async () => {
    const both = plugin('both.mjs', `export const name = 'one'; export default { name: 'two', setup() {} };`);
    expect(await failure(load([both]))).toContain('is named "two" in definePlugin but exports the name "one"');
    const none = plugin('none.mjs', `export default { name: 'x' };`);
    expect(await failure(load([none]))).toContain('"./none.mjs" has no plugin as its default export');
  });

  it("takes a definition's own handler time limit, and refuses one that is not whole milliseconds a timer can wait", async () => {
    const slow = plugin('slow.mjs', `export default { name: 'slow', timeoutMs: 300000, setup(hooks) { hooks.onAny(() => {}); } };`);
    const unlimited = plugin('unlimited.mjs', `export default { name: 'unlimited', timeoutMs: 0, setup() {} };`);
    const plain = plugin('plain.mjs', `export default { name: 'plain', setup() {} };`);
    expect((await load([slow, unlimited, plain])).map((p) => [p.name, p.timeoutMs])).toEqual([['slow', 300_000], ['unlimited', 0], ['plain', undefined]]);
    for (const [file, value] of [['negative.mjs', '-1'], ['fraction.mjs', '1.5'], ['text.mjs', "'5s'"], ['huge.mjs', '2147483648']]) {
      const bad = plugin(file!, `export default { name: 'bad', timeoutMs: ${value}, setup() {} };`);
      expect(await failure(load([bad]))).toBe(`HANDLERS: "./${file}": \`timeoutMs\` must be a whole number of milliseconds from 0 (no limit) to 2147483647`);
    }
  });

  it("hands each plugin the options of its HANDLER_OPTIONS_<NAME>, through the plugin's parser", async () => {
    const definition = plugin(
      'definition.mjs',
      `export default {
         name: 'dm-auto-reply',
         options: (raw) => ({ text: raw?.text ?? 'default text', parsed: true }),
         setup(hooks, options) { globalThis.__definitionOptions = options; hooks.onAny(() => {}); },
       };`,
    );
    const fn = plugin('fn.mjs', `export const name = '@acme/crm'; export default (hooks, options) => { globalThis.__fnOptions = options; };`);
    const unset = plugin('unset.mjs', `export const name = 'quiet'; export default (hooks, options) => { globalThis.__unsetOptions = options; };`);
    const seen = globalThis as unknown as Record<string, unknown>;
    const loaded = await load([definition, fn, unset], {
      HANDLER_OPTIONS_DM_AUTO_REPLY: { text: 'hello' },
      HANDLER_OPTIONS_ACME_CRM: { url: 'https://crm.example/hook', retries: 2 },
    });
    expect(loaded.map((p) => p.name)).toEqual(['dm-auto-reply', '@acme/crm', 'quiet']);
    expect(seen.__definitionOptions).toEqual({ text: 'hello', parsed: true });
    expect(seen.__fnOptions).toEqual({ url: 'https://crm.example/hook', retries: 2 });
    expect(seen.__unsetOptions).toBeUndefined();
    expect(logs).toEqual([]);
  });

  it('warns about a HANDLER_OPTIONS_ variable no loaded plugin takes', async () => {
    const p = plugin('crm.mjs', `export const name = 'crm'; export default () => {};`);
    await load([p], { HANDLER_OPTIONS_CRM: {}, HANDLER_OPTIONS_CMR: { typo: true } });
    expect(messages()).toHaveLength(1);
    expect(messages()[0]).toMatch(/^HANDLER_OPTIONS_CMR is set, but no loaded plugin takes its options from it/);
  });

  it('stops with the variable and the problem, never the value, when a schema rejects the options', async () => {
    const forwarder = path.join(repoRoot, 'examples/handlers/forwarder.ts');
    const bad = await failure(
      loadPlugins([forwarder], { handlerOptions: { HANDLER_OPTIONS_FORWARDER: { url: 'ftp://files.example/drop', secret: 's3cr3t-value' } } }),
    );
    expect(bad).toMatch(/^HANDLER_OPTIONS_FORWARDER is invalid: plugin "forwarder" rejects its options: url: /);
    expect(bad).not.toContain('ftp://files.example');
    expect(bad).not.toContain('s3cr3t-value');

    const required = plugin(
      'required.mjs',
      `export default { name: 'needs-options', options: (raw) => { if (!raw) throw new Error('url is required'); return raw; }, setup() {} };`,
    );
    expect(await failure(load([required]))).toBe('HANDLER_OPTIONS_NEEDS_OPTIONS is not set: plugin "needs-options" rejects its options: url is required');

    // Valid options reach the example; unset, it registers nothing.
    const [on] = await loadPlugins([forwarder], { handlerOptions: { HANDLER_OPTIONS_FORWARDER: { url: 'https://hooks.example/in', secret: 'a-forwarding-secret-0123' } } });
    expect(on!.any).toHaveLength(1);
    const [off] = await loadPlugins([forwarder]);
    expect(off!.any).toHaveLength(0);
  });
});
