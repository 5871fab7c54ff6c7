import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLDER_PENDING_ELSEWHERE_SQL } from '../../src/store/sqlite-writer/deliveries.js';
import { FOLLOWERS_SQL } from '../../src/store/queue/per-user-runs.js';
import { CLAIM_PER_USER_SQL } from '../../src/store/sqlite-writer/queue.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';

// Per-user order asks, for every new event and every claimed one, whether the user has an older
// pending event. Through an index on the user alone that meant reading the user's whole history
// (done events included): 42 s a claim with 2,000 events pending and 200,000 done over 5 users.
// The questions must be seeks in the (for_user_id, state, id) index.
describe('per-user order on SQLite: the older-pending checks are index seeks', () => {
  let testDb: TestDatabase;
  let db: Database.Database;
  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
    db = new Database(testDb.url.slice('file:'.length));
  });
  afterAll(async () => {
    db.close();
    await testDb.drop();
  });

  const plan = (sql: string, ...params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
  const seek = /USING (COVERING )?INDEX events_for_user_id_state_id_idx \(for_user_id=\? AND state=\? AND id<\?\)/;

  it('the claim that keeps each user in order', () => {
    const steps = plan(CLAIM_PER_USER_SQL, 'owner', '2026-01-01', '2026-01-01', '2026-01-01', 64);
    const subquery = steps.findIndex((s) => s.startsWith('CORRELATED'));
    expect(subquery, steps.join('\n')).toBeGreaterThanOrEqual(0);
    expect(steps[subquery + 1], steps.join('\n')).toMatch(seek);
  });

  it("the read of a claimed head's followers", () => {
    const steps = plan(FOLLOWERS_SQL, '2026-01-01', '2026-01-01', 'user', 'id', 8);
    expect(steps, steps.join('\n')).toHaveLength(1);
    expect(steps[0]).toMatch(/USING INDEX events_for_user_id_state_id_idx \(for_user_id=\? AND state=\? AND id>\?\)/);
  });

  it('the check of each new event the writer would push to the dispatcher', () => {
    const steps = plan(OLDER_PENDING_ELSEWHERE_SQL, 'user', 'id', 'owner');
    expect(steps, steps.join('\n')).toHaveLength(1);
    expect(steps[0]).toMatch(seek);
  });
});
