// The stream's position keeper over the real store (SQLite): a stop's save waits for a checkpoint
// save under way, so that the database is never closed under it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import { saveStreamLastSeen, streamLastSeen, type Database } from '../../src/store/index.js';
import { PositionKeeper } from '../../src/stream/position.js';
import { closeAndDrop, openMigratedDatabase, type TestDatabase } from '../support/databases.js';
import { until } from '../support/process.js';

describe('the stream position keeper', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeEach(async () => {
    ({ testDb, db } = await openMigratedDatabase('sqlite'));
  });
  afterEach(async () => {
    await closeAndDrop(db, testDb);
  });

  it("a save waits for the one under way: none is left running when a stop's save resolves", async () => {
    let running = 0;
    let started = 0;
    // The real store, the first save held up 600 ms (a slow disk, a busy PostgreSQL), later ones 50 ms.
    const keeper = new PositionKeeper(
      {
        lastSeen: () => streamLastSeen(db.prisma),
        saveLastSeen: async (at) => {
          running++;
          started++;
          try {
            await new Promise((r) => setTimeout(r, started === 1 ? 600 : 50));
            await saveStreamLastSeen(db.prisma, at);
          } finally {
            running--;
          }
        },
        recordGap: async () => {},
      },
      createLogger({ level: 'silent', env: 'test' }),
    );
    await keeper.read();
    const first = new Date('2026-12-01T10:00:00.000Z');
    keeper.reach(first);
    keeper.startCheckpoints(10);
    await until(() => started >= 1);
    // As the consumer stops: checkpoints off, the position moved once more, one last save.
    keeper.stopCheckpoints();
    const last = new Date('2026-12-01T10:00:05.000Z');
    keeper.reach(last);
    await keeper.save();
    expect(running).toBe(0);
    // The checkpoints that fell due meanwhile waited too, and saved nothing the first had not.
    expect(started).toBe(2);
    expect(await streamLastSeen(db.prisma)).toEqual(last);
  });
});
