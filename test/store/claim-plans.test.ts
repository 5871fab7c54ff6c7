import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLDER_PENDING_ELSEWHERE_SQL } from '../../src/store/sqlite-writer/deliveries.js';
import { CLAIM_DUE_SQL } from '../../src/store/sqlite-writer/queue.js';
import { FOLLOWERS_SQL, NO_USER_SQL, USER_HEADS_SQL, WINDOW_SQL } from '../../src/store/queue/per-user-runs.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';

// The query plans of the SQLite writer's claims.
//
// Due order: a claim takes due events earliest due first, then by id, and must read only the rows
// it takes. Events often share one due time: a bulk redrive or redispatch sets the same time on
// all of them. Read through an index without the id, every claim read and sorted all of them:
// with 50,000 such events, 7.9 ms a claim (32 ms for the per-user window) on the writer's thread,
// which every delivery waits on, against 0.05 ms (0.13 ms) in the order of (state, available_at,
// id). PostgreSQL's plans: due-order.test.ts.
//
// Per-user order asks, for every new event and every claimed one, whether the user has an older
// pending event. Through an index on the user alone that meant reading the user's whole history
// (done events included): 42 s a claim with 2,000 events pending and 200,000 done over 5 users.
// The questions must be seeks in the (state, for_user_id, id) index, and a claim must find users'
// heads without reading their backlogs.
describe('claims on SQLite: due events in index order, older-pending checks as index seeks', () => {
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
  const seek = /USING (COVERING )?INDEX events_state_for_user_id_id_idx \(state=\? AND for_user_id=\? AND id<\?\)/;

  it.each([
    ['the claim', CLAIM_DUE_SQL, ['me', '2026-01-02', '2026-01-01', '2026-01-01', 32]],
    ["the per-user claim's window", WINDOW_SQL, ['2026-01-01', '2026-01-01', 64]],
  ])('%s reads due events in the order of (state, available_at, id), no sort', (_name, text, params) => {
    const steps = plan(text, ...params);
    const read = /SEARCH e USING INDEX events_state_available_at_id_idx \(state=\? AND available_at<\?\)/;
    expect(steps.filter((s) => read.test(s)), steps.join('\n')).toHaveLength(1);
    expect(steps.filter((s) => /TEMP B-TREE/.test(s)), steps.join('\n')).toEqual([]);
  });

  it("the claim's window: due events in due order, each checked for an older pending event of its user", () => {
    const steps = plan(WINDOW_SQL, '2026-01-01', '2026-01-01', 64);
    expect(steps[0], steps.join('\n')).toMatch(/SEARCH e USING INDEX events_state_available_at_id_idx \(state=\? AND available_at<\?\)/);
    const subquery = steps.findIndex((s) => s.startsWith('CORRELATED'));
    expect(subquery, steps.join('\n')).toBeGreaterThanOrEqual(0);
    expect(steps[subquery + 1], steps.join('\n')).toMatch(seek);
  });

  it("the claim's look user by user: a seek to each next user and one to its head, no scan, no sort", () => {
    const steps = plan(USER_HEADS_SQL, 'user', '2026-01-01', '2026-01-01', 64);
    const reads = steps.filter((s) => /^(SEARCH|SCAN) (events|h|e|p)\b/.test(s));
    expect(reads, steps.join('\n')).toHaveLength(4);
    for (const r of reads) expect(r, steps.join('\n')).toMatch(/^SEARCH .* USING (COVERING )?INDEX /);
    expect(steps.filter((s) => /TEMP B-TREE/.test(s)), steps.join('\n')).toEqual([]);
  });

  it("the claim's look beyond the window for events without a user: one seek", () => {
    const steps = plan(NO_USER_SQL, '2026-01-01', '2026-01-01', 64);
    expect(steps, steps.join('\n')).toHaveLength(1);
    expect(steps[0]).toMatch(/USING INDEX events_state_for_user_id_id_idx \(state=\? AND for_user_id=\?\)/);
  });

  it("the read of a claimed head's followers", () => {
    const steps = plan(FOLLOWERS_SQL, '2026-01-01', '2026-01-01', 'user', 'id', 8);
    expect(steps, steps.join('\n')).toHaveLength(1);
    expect(steps[0]).toMatch(/USING INDEX events_state_for_user_id_id_idx \(state=\? AND for_user_id=\? AND id>\?\)/);
  });

  it('the check of each new event the writer would push to the dispatcher', () => {
    const steps = plan(OLDER_PENDING_ELSEWHERE_SQL, 'user', 'id', 'owner');
    expect(steps, steps.join('\n')).toHaveLength(1);
    expect(steps[0]).toMatch(seek);
  });
});
