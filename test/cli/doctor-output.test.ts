import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';
import { runXaa } from './xaa-run.js';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: string; detail: string }>;
  credentials: Array<{ operation: string; needs: string; ok: boolean; missing: string[] }>;
}

/** doctor's output through a pipe (not a terminal): every sentence whole, wrapped, nothing cut. */
describe('xaa doctor: piped output is wrapped, never cut', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
  });
  afterAll(async () => testDb?.drop());

  // No X credentials at all: the long "what to set" details.
  const env = () => ({ DATABASE_URL: testDb.url });
  const squash = (s: string) => s.replace(/\s+/g, ' ');

  it('prints every detail in full, wrapped at 100 columns, and all of it arrives before the exit', async () => {
    const json = await runXaa(['doctor', '--json'], env());
    const report = JSON.parse(json.stdout) as Report;
    const long = report.checks.filter((c) => c.detail.length > 80);
    expect(long.length).toBeGreaterThanOrEqual(2);

    const human = await runXaa(['doctor'], env());
    expect(human.code).toBe(1);
    expect(human.stdout).not.toContain('…');
    const text = squash(human.stdout);
    for (const c of report.checks) expect(text).toContain(squash(c.detail));
    expect(text).toContain("X_CONSUMER_SECRET is not set: the receiver cannot answer CRCs or verify deliveries (set it to the app's consumer secret)");
    // Wrapped: no line over 100 columns, unless it is one word too long to break (a URL).
    for (const line of human.stdout.split('\n')) {
      if (line.length > 100) expect(line.trim(), line).not.toContain(' ');
    }
    // The credentials table, the last thing printed, arrived to its end.
    const last = report.credentials[report.credentials.length - 1]!;
    expect(text).toContain(last.operation.split(' ').slice(0, 2).join(' '));
    expect(human.stdout.endsWith('\n')).toBe(true);
  });
});

describe('xaa doctor: what waits in the local store', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
  });
  afterAll(async () => testDb?.drop());

  it('shows the backlog, the pending events no handler has taken and the dead letters', async () => {
    const clean = JSON.parse((await runXaa(['doctor', '--json'], { DATABASE_URL: testDb.url })).stdout) as Report;
    const named = (r: Report, check: string) => r.checks.find((c) => c.check === check);
    expect(named(clean, 'backlog')).toMatchObject({ status: 'ok', detail: 'no event waiting for its handlers' });
    expect(named(clean, 'events without a handler')).toMatchObject({ status: 'ok' });
    expect(named(clean, 'dead letters')).toMatchObject({ status: 'ok', detail: 'none' });

    const db = await openDatabase(testDb.config);
    try {
      // Three events 30 hours old that nobody took, one taken by a handler, one dead-lettered.
      await storeEvents(db, [eventInput(), eventInput(), eventInput(), eventInput(), eventInput()], new Date(Date.now() - 30 * 3_600_000));
      const [taken, dead] = await db.prisma.event.findMany({ orderBy: { id: 'asc' }, take: 2 });
      await db.prisma.handlerRun.create({ data: { id: 'run-1', eventId: taken!.id, handler: 'crm', state: 'pending', attempts: 1, nextAttemptAt: new Date() } });
      await db.prisma.handlerRun.create({ data: { id: 'run-2', eventId: dead!.id, handler: 'crm', state: 'dead', attempts: 8, nextAttemptAt: new Date() } });
      await db.prisma.event.update({ where: { id: dead!.id }, data: { state: 'done' } });
      await db.prisma.deadLetter.create({ data: { id: 'dl-1', eventId: dead!.id, handler: 'crm', attempts: 8, error: 'boom', deadAt: new Date() } });
    } finally {
      await db.close();
    }
    const report = JSON.parse((await runXaa(['doctor', '--json'], { DATABASE_URL: testDb.url, RETENTION_UNHANDLED_DAYS: '10' })).stdout) as Report;
    expect(named(report, 'backlog')).toMatchObject({ status: 'warn' });
    expect(named(report, 'backlog')!.detail).toMatch(/^4 event\(s\) waiting for their handlers, the oldest received 30 h ago/);
    expect(named(report, 'events without a handler')).toMatchObject({ status: 'warn' });
    expect(named(report, 'events without a handler')!.detail).toMatch(
      /^3 pending event\(s\) no handler has taken, the oldest received 30 h ago: HANDLERS is empty here.*pruned unhandled 10 days after arrival \(RETENTION_UNHANDLED_DAYS\)$/,
    );
    expect(named(report, 'dead letters')).toMatchObject({ status: 'warn' });
    expect(named(report, 'dead letters')!.detail).toMatch(/^1 \(event, handler\) pair\(s\) failed every attempt.*xaa dead-letters list/);
  });
});
