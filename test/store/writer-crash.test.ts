// The SQLite writer thread dies (killed here; in life a crash or an out-of-memory thread) while an
// in-server dispatcher works through it. Deliveries restart it when they come, but a quiet
// receiver gets none: the writer comes back on its own for a linked dispatcher, and a dispatcher
// stopping while no writer comes back waits for one only up to its stop's limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDispatchThread, type DispatchThread } from '../../src/dispatch/index.js';
import { createLogger } from '../../src/log/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { prepareDelivery } from '../../src/normalize/prepare.js';
import { openInbox, recordDeliveries, type Database, type DeliveryInbox } from '../../src/store/index.js';
import { closeAndDrop, openMigratedDatabase, type TestDatabase } from '../support/databases.js';
import { followDelivery } from '../support/events.js';
import { lines, until } from '../support/process.js';

const raw = (i: number) => ({ receivedAt: new Date(), body: followDelivery(i), contentType: 'application/json', userAgent: null, remoteAddr: null });

describe('the SQLite writer thread dying under an in-server dispatcher', () => {
  let testDb: TestDatabase;
  let db: Database;
  let dir: string;
  let inbox: DeliveryInbox;
  let thread: DispatchThread | undefined;

  beforeEach(async () => {
    ({ testDb, db } = await openMigratedDatabase('sqlite'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-writer-crash-'));
    inbox = openInbox(db);
    const env = {
      ...process.env,
      DATABASE_URL: testDb.url,
      HANDLERS: './test/fixtures/plugins/recorder.ts',
      RECORDER_DIR: dir,
      DISPATCH_POLL_MS: '50',
      LOG_LEVEL: 'silent',
    };
    thread = await startDispatchThread(createMetrics(), createLogger({ level: 'silent', env: 'test' }), { viaWriter: true }, env);
    await inbox.writer!.linkDispatcher((port) => thread!.connectWriter(port));
  });
  afterEach(async () => {
    await thread?.stop(0);
    await inbox.close();
    await closeAndDrop(db, testDb);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const finished = () => lines(path.join(dir, 'finishes.log'));

  it('comes back without a delivery, and the dispatcher handles what another process stored meanwhile', async () => {
    await inbox.write(raw(1));
    await until(() => finished().length === 1, 20_000);
    const dead = inbox.writer!.thread!;
    await dead.terminate();
    // Stored by another connection (as `xaa` or a second process would): no write reaches the writer.
    await recordDeliveries(db.prisma, [prepareDelivery(raw(2))]);
    await until(() => finished().length === 2, 20_000);
    expect(inbox.writer!.thread).toBeDefined();
    expect(inbox.writer!.thread).not.toBe(dead);
    expect(await db.prisma.event.count({ where: { state: 'done' } })).toBe(2);
  });

  it('lets the dispatcher stop while no writer comes back', async () => {
    await inbox.write(raw(3));
    await until(() => finished().length === 1, 20_000);
    await inbox.writer!.thread!.terminate();
    // Nothing starts it again: closed, as at the end of a shutdown.
    await inbox.writer!.close();
    // The poll keeps claiming, and each claim waits for a writer; the stop waits for one only up
    // to its limit (it waited for ever before).
    await new Promise((r) => setTimeout(r, 300));
    await thread!.stop(1_000);
    thread = undefined;
  }, 20_000);
});

describe('a crashed SQLite writer thread', () => {
  it("fails only its own writes: its late 'exit' leaves the writes sent to the thread started since", async () => {
    const { testDb, db } = await openMigratedDatabase('sqlite');
    const inbox = openInbox(db);
    try {
      const writer = inbox.writer!;
      await writer.write([raw(10)]);
      const crashed = writer.thread!;
      // As Node reports a thread's uncaught error: 'error' first, its 'exit' a turn or more later.
      crashed.emit('error', new Error('crashed'));
      // A write in between starts the next thread...
      expect(await writer.write([raw(11)])).toHaveLength(1);
      expect(writer.thread).not.toBe(crashed);
      const pending = writer.write([raw(12)]);
      for (let i = 0; i < 5; i++) await Promise.resolve();
      // ...and the crashed thread's exit comes while a write to the new one awaits its commit.
      crashed.emit('exit', 1);
      const [recorded] = await pending;
      expect(recorded!.newEventIds).toHaveLength(1);
      expect(await db.prisma.delivery.count()).toBe(3);
      await crashed.terminate();
    } finally {
      await inbox.close();
      await closeAndDrop(db, testDb);
    }
  });
});
