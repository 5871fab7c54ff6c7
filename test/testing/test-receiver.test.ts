import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../src/testing/index.js';
import { repoRoot } from '../support/databases.js';
import { lines } from '../support/process.js';

// The helpers the package exports as x-activity-receiver/testing, used here as a handler's test
// would use them (test/package/ runs them from the installed package, in a project of its own).
describe('startTestReceiver', () => {
  let dir: string;
  let file: string;
  let receiver: TestReceiver;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-receiver-test-'));
    file = path.join(dir, 'mentions.txt');
    receiver = await startTestReceiver({
      handlers: './test/fixtures/plugins/mention-writer.ts',
      options: { 'mention-writer': { file } },
      env: { DISPATCH_RETRY_SCHEDULE: '1h', LOG_LEVEL: 'error' },
    });
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to wait when nothing was delivered', async () => {
    await expect(receiver.waitForHandlers({ timeoutMs: 200 })).rejects.toThrow(/no event was stored within 200 ms/);
  });

  it('a signed sample delivery (AAA, then XAA) goes through the handler, once each', async () => {
    const aaa = await receiver.deliver('post.create', { text: 'hello' });
    const xaa = await receiver.deliver('post.create', { format: 'xaa', text: 'hello again' });
    expect([aaa.status, xaa.status]).toEqual([200, 200]);
    const events = await receiver.waitForHandlers();
    expect(events.map((e) => [e.format, e.status, e.runs.map((r) => [r.handler, r.state])])).toEqual([
      ['aaa', 'done', [['mention-writer', 'done']]],
      ['xaa', 'done', [['mention-writer', 'done']]],
    ]);
    expect(lines(file)).toEqual([aaa.activity.id, xaa.activity.id]);
  });

  it('a handler that throws leaves its event failing, with the error, and waitForHandlers says so', async () => {
    await receiver.deliver('post.create', { text: 'this one will fail' });
    const events = await receiver.waitForHandlers();
    const failing = events.filter((e) => e.status === 'failing');
    expect(failing).toHaveLength(1);
    expect(failing[0]!.runs[0]!.lastError).toContain('planned failure');
    expect(lines(file)).toHaveLength(2);
  });

  it('posts bytes of its own, signed or not', async () => {
    const unsigned = await receiver.post('{"for_user_id":"1"}', { signature: null });
    expect(unsigned.status).toBe(401);
    const wrong = await receiver.post('{"for_user_id":"1"}', { signature: `sha256=${Buffer.alloc(32).toString('base64')}` });
    expect(wrong.status).toBe(401);
    expect(await receiver.events()).toHaveLength(3);
  });

  it('delivers a filtered-stream post.match with the rules given, stored as such', async () => {
    const d = await receiver.deliver('post.match', { text: 'launch day', rules: [{ tag: 'launches' }, { id: '42', tag: 'news' }] });
    expect(d.format).toBe('filtered_stream');
    expect(JSON.parse(d.body)).toMatchObject({ data: { id: d.activity.id, text: 'launch day' }, matching_rules: [{ tag: 'launches' }, { id: '42', tag: 'news' }] });
    const stored = (await receiver.events()).find((e) => e.type === 'post.match');
    expect(stored).toMatchObject({ format: 'filtered_stream', forUserId: null, dedupeKey: `-:post.match:${d.activity.id}` });
  });

  // X gives XAA follows, mutes and blocks, profile updates and revokes no id, and revokes a time to
  // the second only: the receiver tells them apart by content. Samples delivered back to back
  // must still be new events each, as the helpers promise.
  it.each([
    ['follow', { format: 'xaa' }],
    ['mute', { format: 'xaa' }],
    ['block', { format: 'xaa' }],
    ['profile.update', {}],
    ['profile.update', { variant: 'verified_badge' }],
    ['app.revoke', {}],
    ['app.revoke', { format: 'aaa' }],
  ] as const)('two %s samples %j delivered back to back are two events', async (type, options) => {
    const before = (await receiver.events()).length;
    const first = await receiver.deliver(type, options);
    const second = await receiver.deliver(type, options);
    expect([first.status, second.status]).toEqual([200, 200]);
    const added = (await receiver.events()).slice(before);
    expect(added.map((e) => e.type)).toEqual([added[0]!.type, added[0]!.type]);
    expect(new Set(added.map((e) => e.dedupeKey)).size).toBe(2);
  });

  // `cwd` is where relative handler paths start: every path the loader takes as one, not only
  // those starting with a dot (src/handlers/x.ts, as a monorepo's test run from its root names it).
  it('resolves a handler path without a leading dot against cwd', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-receiver-cwd-'));
    fs.mkdirSync(path.join(elsewhere, 'handlers'));
    const written = path.join(elsewhere, 'mentions.txt');
    fs.writeFileSync(
      path.join(elsewhere, 'handlers/writer.mjs'),
      `import fs from 'node:fs';
export default { name: 'writer', setup(hooks) { hooks.on('post.create', (event) => fs.appendFileSync(${JSON.stringify(written)}, event.data.postId + '\\n')); } };
`,
    );
    const other = await startTestReceiver({ cwd: elsewhere, handlers: 'handlers/writer.mjs' });
    try {
      const d = await other.deliver('post.create', { text: 'hello' });
      await other.waitForHandlers();
      expect(lines(written)).toEqual([d.activity.id]);
    } finally {
      await other.close();
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('close() stops the receiver and deletes its database', async () => {
    const other = await startTestReceiver({ handlers: ['./test/fixtures/plugins/mention-writer.ts'], options: { 'mention-writer': { file } } });
    const dbFile = other.databaseUrl.slice('file:'.length);
    expect(fs.existsSync(dbFile)).toBe(true);
    await other.close();
    expect(fs.existsSync(path.dirname(dbFile))).toBe(false);
    await expect(fetch(other.url)).rejects.toThrow();
  }, 120_000);
});

/**
 * Runs a handler project's test script (`startTestReceiver` with the mention-writer plugin, one
 * post delivered, its handlers awaited, the receiver closed, `<label> <statuses>` printed) in its
 * own Node process from `cwd`, and resolves to its output and exit code once it exits.
 */
async function runHandlerTest(
  dir: string,
  { cwd, env, label }: { cwd: string; env: Record<string, string>; label: string },
): Promise<{ out: string; code: number | null }> {
  const script = path.join(dir, 'handler.test.mts');
  fs.writeFileSync(
    script,
    [
      `import { startTestReceiver } from ${JSON.stringify(path.join(repoRoot, 'src/testing/index.ts'))};`,
      `const receiver = await startTestReceiver({`,
      `  handlers: ${JSON.stringify(path.join(repoRoot, 'test/fixtures/plugins/mention-writer.ts'))},`,
      `  options: { 'mention-writer': { file: ${JSON.stringify(path.join(dir, 'mentions.txt'))} } },`,
      `  env: ${JSON.stringify(env)},`,
      `});`,
      `await receiver.deliver('post.create', { text: 'hello' });`,
      `const events = await receiver.waitForHandlers();`,
      `await receiver.close();`,
      `console.log(${JSON.stringify(label)}, events.map((e) => e.status).join(','));`,
    ].join('\n'),
  );
  const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  // Killed before the calling test's 90 s timeout, so that a process that never exits cannot outlive it.
  const running = spawn(process.execPath, ['--import', tsx, script], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 80_000, killSignal: 'SIGKILL' });
  let out = '';
  running.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  running.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': the output is whole only once the child's streams have closed.
  const code = await new Promise<number | null>((resolve) => running.once('close', resolve));
  return { out, code };
}

// A handler project's `npm test` ends when its test file's last close() has run: nothing of the
// receiver may keep the process alive after it (the dispatch thread stayed up for the whole
// SHUTDOWN_TIMEOUT_MS, 10 s by default, with a timer its stop never cleared).
describe('startTestReceiver close()', () => {
  it('lets the process exit, even with a long SHUTDOWN_TIMEOUT_MS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-receiver-exit-'));
    try {
      // Without the fix the process stays for the 10 minutes of SHUTDOWN_TIMEOUT_MS: this test's timeout fails it.
      const { out, code } = await runHandlerTest(dir, { cwd: repoRoot, env: { SHUTDOWN_TIMEOUT_MS: '600000', LOG_LEVEL: 'error' }, label: 'closed' });
      expect(out).toContain('closed done');
      expect(code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

// A handler project's .env holds its real settings (X tokens, X_API_BASE_URL, ...): its tests'
// receiver is configured by startTestReceiver alone, on every thread (the dispatch thread read
// the working directory's .env under its environment).
describe('startTestReceiver in a project with a .env', () => {
  it("is not configured by the project's .env", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-receiver-dotenv-'));
    try {
      // A value the receiver refuses: read by any part of the test receiver, it would not start.
      fs.writeFileSync(path.join(dir, '.env'), 'DISPATCH_CONCURRENCY=not-a-number\n');
      const { out, code } = await runHandlerTest(dir, { cwd: dir, env: { LOG_LEVEL: 'error' }, label: 'handled' });
      expect(out).not.toContain('DISPATCH_CONCURRENCY');
      expect(out).toContain('handled done');
      expect(code).toBe(0);
      expect(lines(path.join(dir, 'mentions.txt'))).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

// A verified badge has four values: of the twelve changes, one sample never repeats the one before
// it, however far apart they are made (a snowflake's low digits alone would, one time in twelve).
describe('profile.update verified_badge samples', () => {
  it('differ from one to the next, spaced in time', async () => {
    const { newActivity, xaaBody } = await import('../../src/testing/samples.js');
    const changes = Array.from({ length: 300 }, (_, i) => {
      const a = newActivity('profile.update', '2244994945', { variant: 'verified_badge', at: new Date(Date.UTC(2026, 10, 1) + i * 1_000 + Math.floor(Math.random() * 1_000)) });
      return JSON.stringify((JSON.parse(xaaBody(a)) as { data: { payload: unknown } }).data.payload);
    });
    for (let i = 1; i < changes.length; i++) expect(changes[i]).not.toBe(changes[i - 1]);
  });
});
