import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimEvents, openDatabase, type ClaimOptions, type Database as Db, type QueuedEvent } from '../../src/store/index.js';
import { WINDOW_SQL } from '../../src/store/queue/per-user-runs.js';
import { claimDueStatement } from '../../src/store/queue/prisma-queue.js';
import { sql, withValues } from '../../src/store/sql.js';
import { openConnection, type Connection } from '../../src/store/sqlite-writer/connection.js';
import { queueStatements } from '../../src/store/sqlite-writer/queue.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

// Events that share one due time (a bulk redrive or redispatch sets one on all of them) are
// claimed in id order, and PostgreSQL reads them in index order instead of sorting them all for
// every claim. The SQLite plans: claim-plans.test.ts.

type Claim = (o: Pick<ClaimOptions, 'owner' | 'limit'>) => Promise<QueuedEvent[]>;

const queues = providersUnderTest().flatMap((provider) => [
  [`Prisma on ${provider}`, provider, 'prisma'] as const,
  ...(provider === 'sqlite' ? [['the SQLite writer', provider, 'writer'] as const] : []),
]);

describe.each(queues)('events that share one due time, claimed through %s', (_name, provider, kind) => {
  let testDb: TestDatabase;
  let db: Db;
  let conn: Connection | undefined;
  let claim: Claim;
  const now = new Date(Date.now() + 60_000);

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    const options = { now, leaseMs: 60_000, perUserOrder: false };
    if (kind === 'writer') {
      const c = openConnection({ file: testDb.url.slice('file:'.length), synchronous: 'FULL', busyTimeoutMs: 5_000 });
      conn = c;
      const q = queueStatements(c);
      claim = async (o) => c.transaction(() => q.claim({ ...options, ...o }))();
    } else {
      claim = (o) => claimEvents(db, { ...options, ...o });
    }
  });
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await db.close();
    await testDb.drop();
  });

  it('are taken in id order, each claim after the last', async () => {
    await storeEvents(
      db,
      Array.from({ length: 40 }, (_, i) => eventInput({ forUserId: `u${i % 3}`, dedupeKey: `due-order:${i}:${Date.now()}` })),
    );
    // As a bulk redrive leaves them: pending, all due at the same time.
    await db.prisma.event.updateMany({ data: { availableAt: new Date(now.getTime() - 1_000) } });
    const ids = (await db.prisma.event.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((e) => e.id);
    expect(ids).toHaveLength(40);
    const first = await claim({ owner: 'me', limit: 16 });
    const second = await claim({ owner: 'me', limit: 16 });
    const third = await claim({ owner: 'other', limit: 16 });
    expect(first.map((e) => e.id)).toEqual(ids.slice(0, 16));
    expect(second.map((e) => e.id)).toEqual(ids.slice(16, 32));
    expect(third.map((e) => e.id)).toEqual(ids.slice(32));
  });

  it.runIf(provider === 'postgresql')('PostgreSQL reads them in index order: no sort in the plan', async () => {
    await storeEvents(db, [eventInput({ dedupeKey: `due-order:seed:${Date.now()}` })]);
    const due = new Date(now.getTime() - 1_000);
    // 20,000 events due at the same time, as PostgreSQL would plan them in production.
    await db.prisma.$executeRaw(sql`
      INSERT INTO events (id, dedupe_key, type, for_user_id, format, received_at, delivery_id, state, available_at)
      SELECT 'due-order-' || lpad(n::text, 6, '0'), 'due-order:' || n, 'post.created', 'u' || (n % 7), 'xaa', ${due},
             (SELECT delivery_id FROM events LIMIT 1), 'pending', ${due}
      FROM generate_series(1, 20000) AS n`);
    await db.prisma.$executeRawUnsafe('ANALYZE events');
    // The statements as the Prisma queue runs them (EXPLAIN without ANALYZE: nothing is leased).
    for (const statement of [
      claimDueStatement('postgresql', { owner: 'me', now, limit: 32 }, new Date(now.getTime() + 60_000)),
      withValues(WINDOW_SQL, now, now, 64),
    ]) {
      const [row] = await db.prisma.$queryRaw<Array<{ 'QUERY PLAN': unknown }>>(sql`EXPLAIN (FORMAT JSON) ${statement}`);
      const nodes: string[] = [];
      const walk = (node: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }) => {
        nodes.push(`${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`);
        for (const child of node.Plans ?? []) walk(child as typeof node);
      };
      const plan = row!['QUERY PLAN'] as Array<{ Plan: Parameters<typeof walk>[0] }>;
      walk(plan[0]!.Plan);
      expect(nodes.filter((n) => /Sort/.test(n)), nodes.join('\n')).toEqual([]);
      expect(nodes, nodes.join('\n')).toContain('Index Scan events_state_available_at_id_idx');
    }
  });
});
