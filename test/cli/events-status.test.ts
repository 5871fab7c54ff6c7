import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/dispatch/index.js';
import { createLogger } from '../../src/log/index.js';
import { registerPlugin, type RegisteredPlugin } from '../../src/plugins/registry.js';
import { openDatabase, recordDeliveries, type Database } from '../../src/store/index.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';
import { runXaa } from './xaa-run.js';

interface Listed {
  id: string;
  dedupeKey: string;
  type: string;
  state: string;
  status: string;
}

/**
 * events list shows what happened to each event's handlers (dead, failing, pending, done) and
 * --state filters on it; redispatch refuses a handler the event does not have.
 */
describe.each(providersUnderTest())('xaa events: status of dead-lettered and failing events, redispatch --handler (%s)', (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  let crm: RegisteredPlugin;
  const keys = { dead: '', failing: '', done: '', pending: '', stale: '' };

  beforeAll(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    // Fails on follow and like, succeeds on post.create.
    crm = await registerPlugin('crm', (hooks) =>
      hooks.on(['follow', 'like', 'post.create'], (event) => {
        if (event.type !== 'post.create') throw new Error('CRM is down');
      }),
    );
    const logger = createLogger({ level: 'silent', env: 'test' });
    // One attempt only: the first failure is final (dead letter).
    const once = new Dispatcher({ db, plugins: [crm], logger, retrySchedule: [] });
    // A retry an hour later: the first failure leaves the event pending with a failed attempt.
    const patient = new Dispatcher({ db, plugins: [crm], logger, retrySchedule: [3_600_000] });

    const dead = eventInput();
    await storeEvents(db, [dead]);
    await once.runOnce();
    const failing = eventInput({ type: 'like', action: 'like' });
    const done = eventInput({ type: 'post.create', action: null });
    await storeEvents(db, [failing, done]);
    await patient.runOnce();
    // Stored after every dispatch: waiting.
    const pending = eventInput();
    await storeEvents(db, [pending]);
    // A month old when it arrived, with a 5-day dedupe window: stale, never dispatched.
    const stale = eventInput({ occurredAt: new Date(Date.now() - 30 * 86_400_000) });
    await recordDeliveries(db.prisma, [{ receivedAt: new Date(), format: 'aaa', status: 'accepted', body: Buffer.from(stale.payload), bodySha256: stale.dedupeKey, events: [stale] }], {
      dedupeWindowMs: 5 * 86_400_000,
    });
    Object.assign(keys, { dead: dead.dedupeKey, failing: failing.dedupeKey, done: done.dedupeKey, pending: pending.dedupeKey, stale: stale.dedupeKey });
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const env = () => ({ DATABASE_URL: testDb.url });
  const listed = async (...args: string[]) => {
    const r = await runXaa(['events', 'list', ...args, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Listed[];
  };

  it('shows a dead-lettered event as dead and a failing one as failing (JSON keeps the dispatch state)', async () => {
    const all = await listed();
    const byKey = new Map(all.map((e) => [e.dedupeKey, e]));
    expect(byKey.get(keys.dead)).toMatchObject({ status: 'dead', state: 'done' });
    expect(byKey.get(keys.failing)).toMatchObject({ status: 'failing', state: 'pending' });
    expect(byKey.get(keys.done)).toMatchObject({ status: 'done', state: 'done' });
    expect(byKey.get(keys.pending)).toMatchObject({ status: 'pending', state: 'pending' });
    expect(byKey.get(keys.stale)).toMatchObject({ status: 'stale', state: 'stale' });

    const human = await runXaa(['events', 'list'], env());
    expect(human.stdout).toMatch(/^ID\s+TYPE\s+ACTION\s+FORUSERID\s+FORMAT\s+STATUS\s+RECEIVEDAT/m);
    const deadId = byKey.get(keys.dead)!.id;
    expect(human.stdout.split('\n').find((l) => l.startsWith(deadId))).toMatch(/\sdead\s/);

    const shown = await runXaa(['events', 'show', deadId, '--json'], env());
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'dead', runs: [{ handler: 'crm', state: 'dead' }] });
  });

  it('--state filters on the status; pending and done keep working', async () => {
    for (const status of ['dead', 'failing', 'done', 'pending'] as const) {
      expect((await listed('--state', status)).map((e) => e.dedupeKey), status).toEqual([keys[status]]);
    }
    expect((await listed('--state', 'dead', '--type', 'like'))).toEqual([]);
    expect((await listed('--type', 'like')).map((e) => e.dedupeKey)).toEqual([keys.failing]);
  });

  it('rejects an unknown --state or --type, listing the allowed values', async () => {
    const state = await runXaa(['events', 'list', '--state', 'deadd'], env());
    expect(state.code).toBe(1);
    expect(state.stdout).toBe('');
    expect(state.stderr).toContain("error: option '--state <state>' argument 'deadd' is invalid. Allowed choices are pending, failing, dead, done, stale.");
    const type = await runXaa(['events', 'list', '--type', 'tweet'], env());
    expect(type.code).toBe(1);
    expect(type.stderr).toMatch(/option '--type <type>' argument 'tweet' is invalid\. Allowed choices are post\.create, .*follow/);
  });

  it('redispatch --handler rejects a handler the event does not have, and changes nothing', async () => {
    const before = await db.prisma.handlerRun.findMany({ orderBy: { id: 'asc' } });
    const r = await runXaa(['events', 'redispatch', keys.dead, '--handler', 'nosuch'], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^xaa: unknown handler "nosuch" for event \S+: its handlers are crm; plugins in HANDLERS: none\. Nothing was requeued$/);
    expect(await db.prisma.handlerRun.findMany({ orderBy: { id: 'asc' } })).toEqual(before);

    // With the plugin loaded by HANDLERS, its name is accepted for an event it has not run on yet.
    const viaPlugin = await runXaa(['events', 'redispatch', keys.pending, '--handler', 'recorder', '--json'], {
      ...env(),
      HANDLERS: './test/fixtures/plugins/recorder.ts',
    });
    expect(viaPlugin.code, viaPlugin.stderr).toBe(0);
    expect(JSON.parse(viaPlugin.stdout)).toMatchObject({ requeued: [expect.any(String)], busy: [], missing: [] });

    const ok = await runXaa(['events', 'redispatch', keys.dead, '--handler', 'crm', '--json'], env());
    expect(ok.code, ok.stderr).toBe(0);
    expect((await listed('--state', 'pending')).map((e) => e.dedupeKey).sort()).toEqual([keys.dead, keys.pending].sort());
  });

  it('dead-letters redrive --handler rejects an unknown handler', async () => {
    const r = await runXaa(['dead-letters', 'redrive', '--handler', 'nosuch'], env());
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('xaa: unknown handler "nosuch": handlers with runs in the store or plugins in HANDLERS are crm');
  });
});
