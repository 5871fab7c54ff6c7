import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimEvents, openDatabase, type ClaimOptions, type Database, type QueuedEvent } from '../../src/store/index.js';
import { openConnection, type Connection } from '../../src/store/sqlite-writer/connection.js';
import { queueStatements } from '../../src/store/sqlite-writer/queue.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { eventInput, storeEvents } from '../support/events.js';

// A claim under per-user order takes each user's oldest pending event and, room allowing, the
// events that follow it, up to the first that is not due or is leased: a backlog over few users
// then drains a batch per user per claim, not one event. Run against both work queues: Prisma
// (PostgreSQL, `xaa worker`) and the SQLite writer's own statements (`xaa serve` on SQLite).
type Claim = (o: Omit<ClaimOptions, 'now' | 'leaseMs' | 'perUserOrder'> & { now?: Date }) => Promise<QueuedEvent[]>;

const queues = providersUnderTest().flatMap((provider) => [
  [`Prisma on ${provider}`, provider, 'prisma'] as const,
  ...(provider === 'sqlite' ? [['the SQLite writer', provider, 'writer'] as const] : []),
]);

describe.each(queues)('per-user claims through %s', (_name, provider, kind) => {
  let testDb: TestDatabase;
  let db: Database;
  let conn: Connection | undefined;
  let claim: Claim;
  let now: Date;

  beforeEach(async () => {
    testDb = await migratedDatabase(provider);
    db = await openDatabase(testDb.config);
    if (kind === 'writer') {
      const c = openConnection({ file: testDb.url.slice('file:'.length), synchronous: 'FULL', busyTimeoutMs: 5_000 });
      conn = c;
      const q = queueStatements(c);
      claim = async (o) => c.transaction(() => q.claim({ now, leaseMs: 60_000, perUserOrder: true, ...o }))();
    } else {
      claim = (o) => claimEvents(db, { now, leaseMs: 60_000, perUserOrder: true, ...o });
    }
  });
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await db.close();
    await testDb.drop();
  });

  /** Stores events for the users in this order; returns their ids by `${user}${n}` (a1, a2, b1...). */
  async function store(users: string[]): Promise<Map<string, string>> {
    const counts = new Map<string, number>();
    const names = users.map((u) => {
      const n = (counts.get(u) ?? 0) + 1;
      counts.set(u, n);
      return `${u}${n}`;
    });
    // 'n' stands for no user (a filtered-stream match, news).
    const inputs = users.map((u, i) => eventInput({ forUserId: u === 'n' ? null : u, dedupeKey: `claims:${names[i]}:${Date.now()}` }));
    await storeEvents(db, inputs);
    now = new Date(Date.now() + 1_000);
    const rows = await db.prisma.event.findMany({ select: { id: true, dedupeKey: true } });
    return new Map(rows.map((r) => [r.dedupeKey.split(':')[1]!, r.id]));
  }

  const names = (ids: Map<string, string>, events: QueuedEvent[]) => {
    const byId = new Map([...ids].map(([n, id]) => [id, n]));
    return events.map((e) => byId.get(e.id)).sort();
  };

  it("takes each user's head and as many of its followers as the room shares out", async () => {
    const ids = await store(['a', 'b', 'a', 'a', 'b', 'a', 'a']);
    // Room 8 over two heads: four events a user at most.
    expect(names(ids, await claim({ owner: 'me', limit: 8 }))).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    // The heads are leased and pending: nothing more of these users until they are done.
    expect(await claim({ owner: 'me', limit: 8 })).toEqual([]);
    expect(await claim({ owner: 'other', limit: 8 })).toEqual([]);
  });

  it('stops a user at the first event that is not due or is leased elsewhere', async () => {
    const ids = await store(['a', 'a', 'a', 'a', 'b', 'b', 'b']);
    await db.prisma.event.update({ where: { id: ids.get('a3')! }, data: { availableAt: new Date(now.getTime() + 60_000) } });
    await db.prisma.event.update({
      where: { id: ids.get('b2')! },
      data: { leaseOwner: 'other', leaseUntil: new Date(now.getTime() + 60_000) },
    });
    // a4 is due and free, but comes after a3, which is not due yet: taking it would run it first.
    expect(names(ids, await claim({ owner: 'me', limit: 8 }))).toEqual(['a1', 'a2', 'b1']);
  });

  it('takes no followers when every slot has a head of its own', async () => {
    const ids = await store(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(names(ids, await claim({ owner: 'me', limit: 3 }))).toEqual(['a1', 'b1', 'c1']);
  });

  it('shares a small room among the first heads', async () => {
    const ids = await store(['a', 'b', 'a', 'b', 'a', 'b']);
    // Room 3 over two heads: a user may have two, and the room ends after the third event; each
    // user's events are its first ones.
    const got = names(ids, await claim({ owner: 'me', limit: 3 }));
    expect(got).toHaveLength(3);
    expect([['a1', 'a2', 'b1'], ['a1', 'b1', 'b2']]).toContainEqual(got);
  });

  // A window of due events (twice the room, 32 at least) is read in due order; when it is full of
  // events that wait behind their user's head, the claim looks user by user instead of reading the
  // rest of the backlog.
  const busy = (n: number) => Array.from({ length: n }, () => 'a');
  async function holdElsewhere(id: string) {
    await db.prisma.event.update({ where: { id }, data: { leaseOwner: 'other', leaseUntil: new Date(now.getTime() + 60_000) } });
  }

  it("finds the heads of users whose events come after a window's worth of another user's", async () => {
    const ids = await store([...busy(40), 'b', 'c', 'c']);
    await holdElsewhere(ids.get('a1')!);
    expect(names(ids, await claim({ owner: 'me', limit: 4 }))).toEqual(['b1', 'c1', 'c2']);
  });

  it('beyond the window, takes events without a user in turn with the users\' heads', async () => {
    const ids = await store([...busy(40), 'b', 'n', 'c', 'n', 'n']);
    await holdElsewhere(ids.get('a1')!);
    expect(names(ids, await claim({ owner: 'me', limit: 3 }))).toEqual(['b1', 'c1', 'n1']);
    expect(names(ids, await claim({ owner: 'me', limit: 8 }))).toEqual(['n2', 'n3']);
  });

  it('beyond the window, users take turns from one claim to the next', async () => {
    const ids = await store([...busy(40), 'b', 'b', 'b', 'c', 'c', 'c', 'd', 'd', 'd']);
    await holdElsewhere(ids.get('a1')!);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const got = await claim({ owner: 'me', limit: 1 });
      expect(got).toHaveLength(1);
      order.push(...names(ids, got).map(String));
      await db.prisma.event.update({ where: { id: got[0]!.id }, data: { state: 'done', leaseOwner: null, leaseUntil: null } });
    }
    // In due order b's three would come first and c and d would wait for all of b's backlog.
    expect(order).toEqual(['b1', 'c1', 'd1', 'b2', 'c2', 'd2']);
  });

  // Prisma queue only: its read of the followers and their lease are two statements, and another
  // process (one claiming without per-user order, or `xaa events redispatch`) may lease one of
  // them in between. The real database and a real second write, made right after the read.
  it.runIf(kind === 'prisma')('ends a run before a follower leased elsewhere between the read and the lease', async () => {
    const ids = await store(['a', 'a', 'a', 'a', 'a']);
    let interposed = false;
    const prisma = new Proxy(db.prisma, {
      get(target, key, receiver) {
        if (key !== '$queryRaw') return Reflect.get(target, key, receiver);
        return async (query: { sql: string }) => {
          const rows = await target.$queryRaw(query as never);
          if (!interposed && /\bAS free\b/.test(query.sql)) {
            interposed = true;
            await holdElsewhere(ids.get('a3')!);
          }
          return rows;
        };
      },
    });
    const got = await claimEvents({ ...db, prisma }, { now, leaseMs: 60_000, perUserOrder: true, owner: 'me', limit: 8 });
    expect(interposed).toBe(true);
    expect(names(ids, got)).toEqual(['a1', 'a2']);
    // What was leased after the gap is given back, not left waiting out the lease.
    const leases = await db.prisma.event.findMany({ where: { id: { in: [ids.get('a4')!, ids.get('a5')!] } }, select: { leaseOwner: true } });
    expect(leases).toEqual([{ leaseOwner: null }, { leaseOwner: null }]);
  });
});
