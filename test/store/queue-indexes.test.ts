import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database as Db } from '../../src/store/index.js';
import { sql } from '../../src/store/sql.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

// The events' two queue indexes, (state, available_at, id) and (state, for_user_id, id), hold
// pending events only (partial indexes). Holding every event, each commit that completed events
// moved their entries from the "pending" to the "done" part of both, one page per user and state
// written, and the indexes grew with the history: measured on SQLite with the writer's statements
// (a delivery, its event leased, its run; then both done) over 50 users, 104 µs of database time
// a delivery against 81 µs with partial indexes. Stale events (never dispatched, kept for
// inspection) have a small index of their own for their count and list.

const QUEUE_INDEXES = ['events_state_available_at_id_idx', 'events_state_for_user_id_id_idx'];

describe.each(providersUnderTest())('the events queue indexes on %s', (provider) => {
  let testDb: TestDatabase | undefined;
  let db: Db | undefined;
  beforeEach(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
  });
  afterEach(async () => {
    await closeAndDrop(db, testDb);
    db = testDb = undefined;
  });

  /** 30 events over 3 users (20 then done) and 2 stale ones, stored as the receiver stores them. */
  async function seed(d: Db): Promise<void> {
    const events = [
      ...Array.from({ length: 30 }, (_, i) => eventInput({ forUserId: `u${i % 3}` })),
      ...Array.from({ length: 2 }, () => eventInput({ occurredAt: new Date('2020-01-01T00:00:00Z') })),
    ];
    await storeEvents(d, events, new Date(), { dedupeWindowMs: 86_400_000 });
    const ids = (await d.prisma.event.findMany({ where: { state: 'pending' }, orderBy: { id: 'asc' }, select: { id: true } })).map((e) => e.id);
    expect(ids).toHaveLength(30);
    await d.prisma.event.updateMany({ where: { id: { in: ids.slice(0, 20) } }, data: { state: 'done', completedAt: new Date() } });
  }

  it.runIf(provider === 'sqlite')('hold the pending events only: a done event leaves them, a stale one is in its own', async () => {
    await seed(db!);
    const cells = await db!.prisma.$queryRaw<Array<{ name: string; cells: bigint | number }>>(
      sql`SELECT name, sum(ncell) AS cells FROM dbstat WHERE pagetype = 'leaf' AND name IN ('events_state_available_at_id_idx', 'events_state_for_user_id_id_idx', 'events_stale_idx') GROUP BY name ORDER BY name`,
    );
    expect(cells.map((c) => [c.name, Number(c.cells)])).toEqual([
      ['events_stale_idx', 2],
      ['events_state_available_at_id_idx', 10],
      ['events_state_for_user_id_id_idx', 10],
    ]);
  });

  it.runIf(provider === 'postgresql')('are partial: pending events only (and stale ones in their own)', async () => {
    const rows = await db!.prisma.$queryRaw<Array<{ indexname: string; indexdef: string }>>(
      sql`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname`,
    );
    const defs = new Map(rows.map((r) => [r.indexname, r.indexdef]));
    for (const name of QUEUE_INDEXES) expect(defs.get(name)).toMatch(/WHERE \(?\(?state\)?(::text)? = 'pending'/);
    expect(defs.get('events_stale_idx')).toMatch(/WHERE \(?\(?state\)?(::text)? = 'stale'/);
  });

  // Prisma sends the state as a parameter: the planner must still see that it is the index's.
  it.each([
    ['pending', 'events_state_'],
    ['stale', 'events_stale_idx'],
  ])('a count of %s events, the state as a parameter, is answered from its index', async (state, index) => {
    await seed(db!);
    if (provider === 'postgresql') {
      await db!.prisma.$executeRawUnsafe('ANALYZE events');
      // A table this small is read whole unless told otherwise (one connection: a transaction).
      const plan = await db!.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
        return tx.$queryRaw<Array<{ 'QUERY PLAN': string }>>(sql`EXPLAIN SELECT count(*) FROM events WHERE state = ${state}`);
      });
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(new RegExp(`(using|on) ${index}`));
    } else {
      const plan = await db!.prisma.$queryRaw<Array<{ detail: string }>>(sql`EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE state = ${state}`);
      const text = plan.map((r) => r.detail).join('\n');
      expect(text).toMatch(new RegExp(`USING COVERING INDEX ${index}`));
    }
    expect(await db!.prisma.event.count({ where: { state } })).toBe(state === 'pending' ? 10 : 2);
  });
});
