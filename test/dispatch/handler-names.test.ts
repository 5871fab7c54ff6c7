// Runs under a handler name no loaded plugin has (a plugin renamed or removed): the dispatcher
// leaves them alone instead of dead-lettering them, the startup check reports them, and the store
// moves them to the new name or drops them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/dispatch/index.js';
import { reportOrphanedRuns } from '../../src/dispatch/orphans.js';
import { capturingLogger } from '../support/logs.js';
import { registerPlugin } from '../../src/plugins/registry.js';
import type { Plugin } from '../../src/plugins/index.js';
import {
  dropPendingRuns,
  ensureRuns,
  handlerRunCounts,
  openDatabase,
  renameHandlerRuns,
  type Database,
} from '../../src/store/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

describe.each(providersUnderTest())('handler names on %s', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  let now: number;
  let logs: string[];
  const logger = () => capturingLogger(logs);

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    now = Date.now() + 1_000;
    logs = [];
  });
  afterEach(async () => {
    await db.close();
    await testDb.drop();
  });

  async function dispatcher(plugins: Array<[string, Plugin]>) {
    const registered = await Promise.all(plugins.map(([name, plugin]) => registerPlugin(name, plugin)));
    return new Dispatcher({ db, plugins: registered, logger: logger(), retrySchedule: [1_000], now: () => now, random: () => 0.5 });
  }

  /** Stores `n` follow events, each with a pending run of `handler` (as if that plugin had been loaded). */
  async function eventsOwing(handler: string, n: number): Promise<string[]> {
    const inputs = Array.from({ length: n }, () => eventInput());
    await storeEvents(db, inputs);
    const events = await db.prisma.event.findMany({ where: { dedupeKey: { in: inputs.map((i) => i.dedupeKey) } }, select: { id: true } });
    await ensureRuns(db, events.map((e) => ({ eventId: e.id, handlers: [handler] })), new Date(now - 1));
    return events.map((e) => e.id);
  }

  const runsOf = (handler: string) => db.prisma.handlerRun.findMany({ where: { handler }, orderBy: { eventId: 'asc' } });

  it('leaves the runs of a plugin that is not loaded alone: not tried, not dead-lettered, warned about once', async () => {
    const ids = await eventsOwing('crm-v1', 3);
    let calls = 0;
    const d = await dispatcher([['crm', (h) => h.on('follow', () => void calls++)]]);
    expect(await d.runOnce()).toBe(3);
    now += 24 * 3600_000;
    expect(await d.runOnce()).toBe(0);

    // The loaded plugin completed each event; the old name's runs wait, untouched.
    expect(calls).toBe(3);
    expect((await runsOf('crm')).map((r) => r.state)).toEqual(['done', 'done', 'done']);
    expect((await runsOf('crm-v1')).map((r) => [r.state, r.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0]]);
    expect(await db.prisma.deadLetter.count()).toBe(0);
    expect(await db.prisma.handlerAttempt.count({ where: { run: { handler: 'crm-v1' } } })).toBe(0);
    expect(await db.prisma.event.count({ where: { id: { in: ids }, state: 'done' } })).toBe(3);
    const warnings = logs.filter((l) => l.includes('crm-v1'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('xaa handlers rename crm-v1');
    expect(warnings[0]).toContain('xaa handlers drop crm-v1');
  });

  it('reports pending runs of names no loaded plugin has, with counts and the commands', async () => {
    await eventsOwing('crm-v1', 3);
    await eventsOwing('legacy', 1);
    await eventsOwing('crm', 2);
    const found = await reportOrphanedRuns(db, ['crm'], logger());
    expect(found).toEqual([
      { handler: 'crm-v1', pending: 3 },
      { handler: 'legacy', pending: 1 },
    ]);
    expect(logs).toHaveLength(1);
    const line = JSON.parse(logs[0]!) as { level: number; msg: string; orphaned: Record<string, number> };
    expect(line.level).toBe(40);
    expect(line.orphaned).toEqual({ 'crm-v1': 3, legacy: 1 });
    expect(line.msg).toContain('"crm-v1" (3), "legacy" (1)');
    expect(line.msg).toContain('xaa handlers rename <old-name> <new-name>');
    expect(line.msg).toContain('xaa handlers drop <name>');

    logs = [];
    expect(await reportOrphanedRuns(db, ['crm', 'crm-v1', 'legacy'], logger())).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('rename moves the runs to the new name, and the renamed plugin then runs the pending ones once', async () => {
    const ids = await eventsOwing('crm-v1', 3);
    let calls = 0;
    const d = await dispatcher([['crm', (h) => h.onAny(() => void calls++)]]);
    await d.runOnce();
    expect(calls).toBe(3);
    // The same events also got a run under the new name (it ran them): an old run already done
    // on another event shows which one is kept.
    const extra = (await eventsOwing('crm-v1', 1))[0]!;
    await db.prisma.handlerRun.updateMany({ where: { eventId: extra, handler: 'crm-v1' }, data: { state: 'done', attempts: 1 } });
    const pendingOnly = (await eventsOwing('crm-v1', 2));

    const result = await renameHandlerRuns(db.prisma, 'crm-v1', 'crm', new Date(now));
    // 3 events had runs under both names (the new one done): merged, the new name's kept. The
    // done old run of `extra` and the 2 pending-only ones moved.
    expect(result).toEqual({ moved: 3, movedPending: 2, merged: 3, busy: 0 });
    expect(await runsOf('crm-v1')).toEqual([]);
    const crm = await runsOf('crm');
    expect(crm).toHaveLength(6);
    expect(crm.filter((r) => r.state === 'pending').map((r) => r.eventId).sort()).toEqual([...pendingOnly].sort());
    expect(await db.prisma.event.count({ where: { id: { in: pendingOnly }, state: 'pending' } })).toBe(2);

    await d.runOnce();
    expect(calls).toBe(5);
    expect((await runsOf('crm')).every((r) => r.state === 'done')).toBe(true);
    expect(await db.prisma.event.count({ where: { id: { in: [...ids, extra, ...pendingOnly] }, state: 'done' } })).toBe(6);
    expect(await db.prisma.handlerRun.count({ where: { handler: 'crm', completedBy: { not: null } } })).toBe(5);
  });

  it('rename keeps a completed old run over a pending new one, and moves dead letters', async () => {
    const [a] = await eventsOwing('crm-v1', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: a, handler: 'crm-v1' }, data: { state: 'done', attempts: 1 } });
    await ensureRuns(db, [{ eventId: a!, handlers: ['crm'] }], new Date(now));
    const [b] = await eventsOwing('crm-v1', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: b, handler: 'crm-v1' }, data: { state: 'dead', attempts: 2 } });
    await db.prisma.deadLetter.create({ data: { id: 'dl-b', eventId: b!, handler: 'crm-v1', attempts: 2, error: 'down', deadAt: new Date(now) } });

    expect(await renameHandlerRuns(db.prisma, 'crm-v1', 'crm', new Date(now))).toEqual({ moved: 2, movedPending: 0, merged: 1, busy: 0 });
    expect((await runsOf('crm')).map((r) => [r.eventId, r.state])).toEqual(
      [[a, 'done'], [b, 'dead']].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    expect(await db.prisma.deadLetter.findUniqueOrThrow({ where: { id: 'dl-b' } })).toMatchObject({ handler: 'crm' });

    let calls = 0;
    const d = await dispatcher([['crm', (h) => h.onAny(() => void calls++)]]);
    await d.runOnce();
    expect(calls).toBe(0);
  });

  it("rename drops the dead letters of a run merged away: none is left outstanding beside a completed run", async () => {
    const letter = (id: string, eventId: string, handler: string) =>
      db.prisma.deadLetter.create({ data: { id, eventId, handler, attempts: 2, error: 'down', deadAt: new Date(now) } });
    // a: the old name dead-lettered, the new name completed (a rolling deploy ran both).
    const [a] = await eventsOwing('crm-v1', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: a, handler: 'crm-v1' }, data: { state: 'dead', attempts: 2 } });
    await letter('dl-a-old', a!, 'crm-v1');
    await ensureRuns(db, [{ eventId: a!, handlers: ['crm'] }], new Date(now));
    await db.prisma.handlerRun.updateMany({ where: { eventId: a, handler: 'crm' }, data: { state: 'done', attempts: 1 } });
    // b: the other way round: the old name completed, the new name dead-lettered.
    const [b] = await eventsOwing('crm-v1', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: b, handler: 'crm-v1' }, data: { state: 'done', attempts: 1 } });
    await ensureRuns(db, [{ eventId: b!, handlers: ['crm'] }], new Date(now));
    await db.prisma.handlerRun.updateMany({ where: { eventId: b, handler: 'crm' }, data: { state: 'dead', attempts: 2 } });
    await letter('dl-b-new', b!, 'crm');
    // c: both dead-lettered: one run and one letter are kept.
    const [c] = await eventsOwing('crm-v1', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: c, handler: 'crm-v1' }, data: { state: 'dead', attempts: 2 } });
    await letter('dl-c-old', c!, 'crm-v1');
    await ensureRuns(db, [{ eventId: c!, handlers: ['crm'] }], new Date(now));
    await db.prisma.handlerRun.updateMany({ where: { eventId: c, handler: 'crm' }, data: { state: 'dead', attempts: 2 } });
    await letter('dl-c-new', c!, 'crm');

    expect(await renameHandlerRuns(db.prisma, 'crm-v1', 'crm', new Date(now))).toMatchObject({ merged: 3, busy: 0 });
    expect((await runsOf('crm')).map((r) => [r.eventId, r.state]).sort()).toEqual(
      [[a, 'done'], [b, 'done'], [c, 'dead']].sort(),
    );
    const letters = await db.prisma.deadLetter.findMany({ orderBy: { id: 'asc' } });
    expect(letters.map((l) => [l.id, l.handler])).toEqual([['dl-c-new', 'crm']]);
  });

  it('rename and drop leave the runs of events a dispatcher holds, and say so', async () => {
    const [held, free] = await eventsOwing('crm-v1', 2);
    await db.prisma.event.update({ where: { id: held! }, data: { leaseOwner: 'someone', leaseUntil: new Date(now + 60_000) } });
    expect(await renameHandlerRuns(db.prisma, 'crm-v1', 'crm', new Date(now))).toEqual({ moved: 1, movedPending: 1, merged: 0, busy: 1 });
    expect((await runsOf('crm-v1')).map((r) => r.eventId)).toEqual([held]);
    expect((await runsOf('crm')).map((r) => r.eventId)).toEqual([free]);
    expect(await dropPendingRuns(db.prisma, 'crm-v1', new Date(now))).toEqual({ dropped: 0, busy: 1 });
    // The lease runs out: now it goes.
    now += 61_000;
    expect(await dropPendingRuns(db.prisma, 'crm-v1', new Date(now))).toEqual({ dropped: 1, busy: 0 });
  });

  it("drop deletes a removed plugin's pending runs, keeps its records, and its events settle", async () => {
    const pending = await eventsOwing('gone', 3);
    const [kept] = await eventsOwing('gone', 1);
    await db.prisma.handlerRun.updateMany({ where: { eventId: kept, handler: 'gone' }, data: { state: 'done', attempts: 1 } });
    // One event waits for a far retry of "gone": after the drop it must not wait for it.
    await db.prisma.event.update({ where: { id: pending[0]! }, data: { availableAt: new Date(now + 10 * 3600_000) } });

    expect(await dropPendingRuns(db.prisma, 'gone', new Date(now))).toEqual({ dropped: 3, busy: 0 });
    expect(await handlerRunCounts(db.prisma)).toEqual([{ handler: 'gone', pending: 0, done: 1, dead: 0 }]);
    expect(await db.prisma.event.count({ where: { state: 'pending' } })).toBe(4);

    const d = await dispatcher([['other', (h) => h.on('post.create', () => {})]]);
    await d.runOnce();
    expect(await db.prisma.event.count({ where: { state: 'pending' } })).toBe(0);
    expect(await dropPendingRuns(db.prisma, 'gone', new Date(now))).toEqual({ dropped: 0, busy: 0 });
  });
});
