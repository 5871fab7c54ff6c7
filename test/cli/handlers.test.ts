// `xaa handlers list|rename|drop` and the startup report of runs no loaded plugin has, with a
// real `xaa worker` and the recorder plugin (named "recorder").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureRuns, openDatabase, type Database } from '../../src/store/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';
import { lines, spawnXaa, until, type Spawned } from '../support/process.js';
import { runXaa } from './xaa-run.js';

describe.each(providersUnderTest())('xaa handlers, and runs of plugins that are not loaded (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  let dir: string;
  let worker: Spawned | undefined;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-handlers-'));
  });
  afterEach(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
    worker = undefined;
    await db.close();
    await testDb.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: testDb.url });

  /** Stores `n` events that owe a run to `handler` (a plugin of that name was loaded when they came). */
  async function owing(handler: string, n: number): Promise<string[]> {
    const inputs = Array.from({ length: n }, () => eventInput());
    await storeEvents(db, inputs);
    const events = await db.prisma.event.findMany({ where: { dedupeKey: { in: inputs.map((i) => i.dedupeKey) } }, select: { id: true } });
    await ensureRuns(db, events.map((e) => ({ eventId: e.id, handlers: [handler] })), new Date());
    return events.map((e) => e.id);
  }

  function startWorker(): Spawned {
    worker = spawnXaa(['worker'], {
      DATABASE_URL: testDb.url,
      HANDLERS: './test/fixtures/plugins/recorder.ts',
      RECORDER_DIR: dir,
      DISPATCH_POLL_MS: '50',
      LOG_LEVEL: 'warn',
    });
    return worker;
  }

  async function stopWorker(w: Spawned): Promise<void> {
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    worker = undefined;
  }

  it('renamed before the start: the runs move to the new name and run once; a removed plugin is dropped', async () => {
    await owing('recorder-v1', 3);
    await owing('retired', 1);

    const listed = await runXaa(['handlers', 'list', '--json'], env());
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { handler: 'recorder-v1', pending: 3, done: 0, dead: 0 },
      { handler: 'retired', pending: 1, done: 0, dead: 0 },
    ]);

    const renamed = await runXaa(['handlers', 'rename', 'recorder-v1', 'recorder', '--json'], env());
    expect(renamed.code).toBe(0);
    expect(JSON.parse(renamed.stdout)).toEqual({ from: 'recorder-v1', to: 'recorder', moved: 3, movedPending: 3, merged: 0, busy: 0 });
    const dropped = await runXaa(['handlers', 'drop', 'retired'], env());
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain('dropped 1 pending run(s) of "retired"');

    const w = startWorker();
    await until(() => lines(path.join(dir, 'finishes.log')).length === 4, 60_000);
    await until(async () => (await db.prisma.event.count({ where: { state: 'pending' } })) === 0);
    await stopWorker(w);
    // Each event ran once under the plugin's new name; nothing is left over.
    expect(new Set(lines(path.join(dir, 'finishes.log'))).size).toBe(4);
    expect(JSON.parse((await runXaa(['handlers', 'list', '--json'], env())).stdout)).toEqual([{ handler: 'recorder', pending: 0, done: 4, dead: 0 }]);
    expect(w.output()).not.toContain('no loaded plugin');
  });

  it('forgotten: the worker warns at startup with names, counts and commands, and dead-letters nothing', async () => {
    await owing('recorder-v1', 3);
    await owing('retired', 1);
    const w = startWorker();
    await until(() => w.output().includes('belong to no loaded plugin'), 60_000);
    const report = w
      .output()
      .split('\n')
      .filter((l) => l.includes('belong to no loaded plugin'))
      .map((l) => JSON.parse(l) as { msg: string; orphaned: Record<string, number>; loaded: string[] });
    expect(report).toHaveLength(1);
    expect(report[0]!.orphaned).toEqual({ 'recorder-v1': 3, retired: 1 });
    expect(report[0]!.loaded).toEqual(['recorder']);
    expect(report[0]!.msg).toContain('xaa handlers rename <old-name> <new-name>');
    expect(report[0]!.msg).toContain('xaa handlers drop <name>');

    // The loaded plugin handles the events; the old names' runs are neither tried nor dead-lettered.
    await until(async () => (await db.prisma.event.count({ where: { state: 'pending' } })) === 0, 60_000);
    await stopWorker(w);
    expect(await db.prisma.deadLetter.count()).toBe(0);
    const old = await db.prisma.handlerRun.findMany({ where: { handler: { in: ['recorder-v1', 'retired'] } } });
    expect(old.map((r) => [r.state, r.attempts])).toEqual(Array.from({ length: 4 }, () => ['pending', 0]));

    // Settled afterwards: the renamed plugin already ran those events, so its runs are kept.
    const renamed = await runXaa(['handlers', 'rename', 'recorder-v1', 'recorder'], env());
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain('3 event(s) had a run under both names');
    expect((await runXaa(['handlers', 'drop', 'retired', '--json'], env())).stdout).toContain('"dropped": 1');
    expect(JSON.parse((await runXaa(['handlers', 'list', '--json'], env())).stdout)).toEqual([{ handler: 'recorder', pending: 0, done: 4, dead: 0 }]);
  });

  it('a worker started with the plugin runs what events completed without it still owe it', async () => {
    // Completed by a process that did not have "recorder" loaded: done, its runs still pending.
    const ids = await owing('recorder', 2);
    await db.prisma.event.updateMany({ where: { id: { in: ids } }, data: { state: 'done', completedAt: new Date() } });
    const w = startWorker();
    await until(() => lines(path.join(dir, 'finishes.log')).length === 2, 60_000);
    await until(async () => (await db.prisma.handlerRun.count({ where: { handler: 'recorder', state: 'done' } })) === 2, 60_000);
    await stopWorker(w);
    expect((await db.prisma.event.findMany({ where: { id: { in: ids } } })).map((e) => e.state)).toEqual(['done', 'done']);
  });

  it('fails, pointing at the list, for a name with nothing to move or drop; has --help', async () => {
    const rename = await runXaa(['handlers', 'rename', 'nobody', 'someone'], env());
    expect(rename.code).toBe(1);
    expect(rename.stdout).toContain('no handler runs are named "nobody" (`xaa handlers list`');
    const drop = await runXaa(['handlers', 'drop', 'nobody', '--json'], env());
    expect(drop.code).toBe(1);
    expect(JSON.parse(drop.stdout)).toEqual({ name: 'nobody', dropped: 0, busy: 0 });
    const same = await runXaa(['handlers', 'rename', 'a', 'a'], env());
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('the old and new names are the same');
    const help = await runXaa(['handlers', 'rename', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: xaa handlers rename [options] <old-name> <new-name>');
    expect(help.stdout).toContain('--json');
  });
});
