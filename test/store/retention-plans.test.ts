import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/store/sql.js';
import { closeAndDrop, openMigratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/index.js';
import { eventInput, storeEvents } from '../support/events.js';

// Retention deletes a delivery once none of its events is left. Deleting it has the database look
// for events to cascade to (the foreign key), and retention's own choice of deliveries asks for
// deliveries without events: both are lookups of events by delivery. Without an index on
// events.delivery_id each was a read of the whole events table, inside the delete: measured by
// hand on SQLite (60,000 events, 5,000 old deliveries whose events were gone), prune() took 34 s,
// the write lock held for seconds per chunk of 1,000 while deliveries waited; with it, 0.3 s.
describe.each(providersUnderTest())("retention's lookups of a delivery's events on %s", (provider) => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    ({ testDb, db } = await openMigratedDatabase(provider));
    await storeEvents(db, [eventInput({ dedupeKey: `retention-plans:seed:${Date.now()}` })]);
  });
  afterAll(() => closeAndDrop(db, testDb));

  const lookups = [
    ['the foreign key check of a deleted delivery', sql`SELECT 1 FROM events WHERE delivery_id = ${'d-1'}`],
    [
      'the choice of deliveries without events',
      sql`SELECT d.id FROM deliveries d WHERE d.received_at < ${new Date()}
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.delivery_id = d.id) LIMIT 1000`,
    ],
  ] as const;

  it.each(lookups)('%s seeks events by delivery', async (_name, statement) => {
    if (provider === 'sqlite') {
      const rows = await db.prisma.$queryRaw<Array<{ detail: string }>>(sql`EXPLAIN QUERY PLAN ${statement}`);
      const steps = rows.map((r) => r.detail);
      const onEvents = steps.filter((s) => /^(SCAN|SEARCH) (events|e)\b/.test(s));
      expect(onEvents, steps.join('\n')).toHaveLength(1);
      expect(onEvents[0], steps.join('\n')).toMatch(/^SEARCH (events|e) USING (COVERING )?INDEX events_delivery_id_idx \(delivery_id=\?\)/);
      return;
    }
    // PostgreSQL plans by its statistics: with as many deliveries and events as a store has.
    await db.prisma.$executeRaw(sql`
      INSERT INTO deliveries (id, received_at, format, status, body, body_sha256)
      SELECT 'retention-plans-' || lpad(n::text, 6, '0'), now(), 'xaa', 'accepted', '\x7b7d'::bytea, 'x'
      FROM generate_series(1, 20000) AS n
      ON CONFLICT DO NOTHING`);
    await db.prisma.$executeRaw(sql`
      INSERT INTO events (id, dedupe_key, type, format, received_at, delivery_id, state, available_at)
      SELECT 'retention-plans-' || lpad(n::text, 6, '0'), 'retention-plans:' || n, 'post.created', 'xaa', now(),
             'retention-plans-' || lpad(n::text, 6, '0'), 'done', now()
      FROM generate_series(1, 20000) AS n
      ON CONFLICT DO NOTHING`);
    await db.prisma.$executeRawUnsafe('ANALYZE deliveries');
    await db.prisma.$executeRawUnsafe('ANALYZE events');
    const [row] = await db.prisma.$queryRaw<Array<{ 'QUERY PLAN': unknown }>>(sql`EXPLAIN (FORMAT JSON) ${statement}`);
    const nodes: string[] = [];
    const walk = (node: { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: unknown[] }) => {
      nodes.push(`${node['Node Type']} ${node['Relation Name'] ?? ''} ${node['Index Name'] ?? ''}`);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk((row!['QUERY PLAN'] as Array<{ Plan: Parameters<typeof walk>[0] }>)[0]!.Plan);
    expect(nodes.filter((n) => /Seq Scan events/.test(n)), nodes.join('\n')).toEqual([]);
    expect(nodes.some((n) => /events_delivery_id_idx/.test(n)), nodes.join('\n')).toBe(true);
  });
});
