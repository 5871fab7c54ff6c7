import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/dispatch/index.js';
import { createLogger } from '../../src/log/index.js';
import { registerPlugin } from '../../src/plugins/registry.js';
import { getEvent, openDatabase, type Database } from '../../src/store/index.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';
import { runXaa } from './xaa-run.js';

describe('xaa dead-letters list|redrive and events redispatch, through the CLI', () => {
  let testDb: TestDatabase;
  let db: Database;
  let healthy = false;
  let calls = 0;
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
    db = await openDatabase(testDb.config);
    const plugin = await registerPlugin('flaky-crm', (hooks) =>
      hooks.on('follow', () => {
        calls++;
        if (!healthy) throw new Error('CRM is down');
      }),
    );
    // One attempt only: the first failure is final.
    dispatcher = new Dispatcher({ db, plugins: [plugin], logger: createLogger({ level: 'silent', env: 'test' }), retrySchedule: [] });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const env = () => ({ DATABASE_URL: testDb.url });

  it('lists dead letters as JSON, redrives them, and the handler then completes', async () => {
    const input = eventInput();
    await storeEvents(db, [input]);
    await dispatcher.runOnce();
    expect(calls).toBe(1);

    const listed = await runXaa(['dead-letters', 'list', '--json'], env());
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Array<{ id: string; handler: string; error: string; dedupeKey: string }>;
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ handler: 'flaky-crm', dedupeKey: input.dedupeKey });
    expect(letters[0]!.error).toContain('CRM is down');

    const table = await runXaa(['dead-letters', 'list'], env());
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('flaky-crm');

    const redriven = await runXaa(['dead-letters', 'redrive', '--all', '--json'], env());
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({ redriven: [letters[0]!.id] });
    expect(JSON.parse((await runXaa(['dead-letters', 'list', '--json'], env())).stdout)).toEqual([]);

    healthy = true;
    await dispatcher.runOnce();
    expect(calls).toBe(2);
    const run = await db.prisma.handlerRun.findFirstOrThrow({ where: { handler: 'flaky-crm' } });
    expect(run.state).toBe('done');
    // The completing try is on the run; the failed one is a row.
    expect(run.completedBy).toEqual(expect.any(String));
    expect((await db.prisma.handlerAttempt.findMany()).map((a) => a.outcome)).toEqual(['failed']);
  });

  it('redispatches a completed event to its handler', async () => {
    const event = await db.prisma.event.findFirstOrThrow();
    const res = await runXaa(['events', 'redispatch', event.dedupeKey, '--json'], env());
    expect(res.code).toBe(0);
    await dispatcher.runOnce();
    expect(calls).toBe(3);
    // The completion sent back by the redispatch stays in the history (as an 'ok' row), beside
    // the failed try before it and the new completion on the run.
    const shown = await getEvent(db.prisma, event.id);
    expect(shown!.runs[0]!.history.map((h) => h.outcome)).toEqual(['failed', 'ok', 'ok']);
    expect(await db.prisma.handlerAttempt.count({ where: { outcome: 'ok' } })).toBe(1);
  });

  it('fails with a non-zero exit and a readable message for an unknown event', async () => {
    const res = await runXaa(['events', 'show', 'no-such-event'], env());
    expect(res.code).not.toBe(0);
    expect(res.stderr.length).toBeGreaterThan(0);
  });
});
