// X's signature carries no timestamp: a captured delivery can be posted again at any time. Once
// retention has pruned its event, the same signed body must still never be dispatched as new:
// older than the dedupe window it is acknowledged and kept as stale; without a time of its own its
// dedupe key outlives its event and raw body.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyXEvent } from '../../src/events/index.js';
import { Dispatcher } from '../../src/dispatch/index.js';
import { createLogger } from '../../src/log/index.js';
import { registerPlugin } from '../../src/plugins/registry.js';
import { listEvents, prune, retentionPolicy } from '../../src/store/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { counterValue, postDelivery } from './helpers.js';

const DAY = 86_400_000;
const SUBSCRIBED = '2244994945';
let serial = 0;

/** An AAA mention of the subscribed user whose activity time is `at`. */
function postAt(at: number): { body: Buffer; key: string } {
  const id = String(1985234567891000000n + BigInt(process.pid % 1000) * 1000n + BigInt(serial++));
  const body = Buffer.from(
    `{"for_user_id":"${SUBSCRIBED}","tweet_create_events":[{"id":${id},"id_str":"${id}","text":"@XDevelopers hi",` +
      `"user":{"id":1375036644,"id_str":"1375036644"},"timestamp_ms":"${at}"}]}`,
  );
  return { body, key: `${SUBSCRIBED}:post:${id}` };
}

describe.each(providersUnderTest())('a delivery posted again after pruning, on %s', (provider) => {
  let app: TestApp;
  const handled: string[] = [];
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    // The defaults: 7 days of raw deliveries, a 5-day dedupe window.
    app = await startTestApp(provider, { RETENTION_DAYS: '7', DEDUPE_WINDOW_DAYS: '5' });
    const plugin = await registerPlugin('recorder', (hooks) => hooks.onAny((event: AnyXEvent) => void handled.push(event.id)));
    dispatcher = new Dispatcher({ db: app.db, plugins: [plugin], logger: createLogger({ level: 'silent', env: 'test' }), retrySchedule: [1000] });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Runs the dispatcher until it finds nothing to do. */
  async function dispatchAll(): Promise<void> {
    while ((await dispatcher.runOnce()) > 0);
  }

  /** Stores `body` as X delivered it `daysAgo` (through the receiver's own inbox), handled and done. */
  async function deliveredLongAgo(body: Buffer, daysAgo: number): Promise<void> {
    const first = await app.inbox.write({ receivedAt: new Date(Date.now() - daysAgo * DAY), body, contentType: 'application/json', userAgent: null, remoteAddr: null });
    expect(first).toMatchObject({ status: 'accepted', stale: 0 });
    await dispatchAll();
  }

  function pruneNow() {
    return prune(app.db, retentionPolicy(app.config.retention));
  }

  it('acknowledges an activity older than the dedupe window, keeps it as stale and never dispatches it again', async () => {
    const activity = postAt(Date.now() - 10 * DAY);
    await deliveredLongAgo(activity.body, 10);
    expect(handled.filter((k) => k === activity.key)).toHaveLength(1);

    await pruneNow();
    expect(await app.db.prisma.event.count({ where: { dedupeKey: activity.key } })).toBe(0);

    const staleBefore = await counterValue(app.metrics.events, { outcome: 'stale' });
    const replayed = await postDelivery(app.handler, activity.body);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ status: 'stale', events: 0, duplicates: 0, stale: 1 });
    await dispatchAll();
    expect(handled.filter((k) => k === activity.key)).toHaveLength(1);
    expect((await counterValue(app.metrics.events, { outcome: 'stale' })) - staleBefore).toBe(1);

    // Kept for inspection: `xaa events list --state stale` shows it, with no handler run.
    const stale = await listEvents(app.db.prisma, { state: 'stale' });
    expect(stale.map((e) => e.dedupeKey)).toContain(activity.key);
    expect(await app.db.prisma.handlerRun.count({ where: { event: { dedupeKey: activity.key } } })).toBe(0);
    // And posted a third time it is a duplicate of that stale event.
    expect((await postDelivery(app.handler, activity.body)).body).toMatchObject({ status: 'duplicate', duplicates: 1 });
  });

  it('absorbs as a duplicate an activity without a time of its own, after its event and raw body are pruned', async () => {
    const jobId = String(1915510368169844736n + BigInt(serial++));
    const body = Buffer.from(`{"replay_job_status":{"webhook_id":"1190023344556677889","job_id":"${jobId}","job_state":"Complete"}}`);
    await deliveredLongAgo(body, 10);
    const key = handled.find((k) => k.includes(jobId))!;
    expect(key).toBeDefined();

    await pruneNow();
    expect(await app.db.prisma.event.count({ where: { dedupeKey: key } })).toBe(0);
    expect(await app.db.prisma.delivery.count({ where: { body: { equals: body } } })).toBe(0);

    const replayed = await postDelivery(app.handler, body);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ status: 'duplicate', events: 0, duplicates: 1 });
    await dispatchAll();
    expect(handled.filter((k) => k === key)).toHaveLength(1);
  });

  // PostgreSQL runs a repost and a prune at once: the repost's look-up of kept keys can come
  // before the prune commits, and its insert after (no conflict left by then).
  it.runIf(provider === 'postgresql')('absorbs a repost that races the prune of its event', async () => {
    const jobId = String(1915510368169844736n + BigInt(serial++));
    const body = Buffer.from(`{"replay_job_status":{"webhook_id":"1190023344556677889","job_id":"${jobId}","job_state":"Complete"}}`);
    await deliveredLongAgo(body, 10);
    const key = handled.find((k) => k.includes(jobId))!;
    expect(key).toBeDefined();

    // The prune's transaction, as retention.ts writes it, held open.
    const prune = new pg.Client({ connectionString: app.testDb.url });
    await prune.connect();
    try {
      await prune.query('BEGIN');
      await prune.query(`INSERT INTO dedupe_keys (key, pruned_at, expires_at) VALUES ($1, now(), now() + interval '365 days')`, [key]);
      await prune.query('DELETE FROM events WHERE dedupe_key = $1', [key]);
      // The repost reads no kept key (the prune has not committed), then waits on the event's row...
      // (then(): supertest sends only once the request is awaited.)
      const reposted = postDelivery(app.handler, body).then((r) => r);
      await new Promise((r) => setTimeout(r, 500));
      // ...which the prune's commit deletes.
      await prune.query('COMMIT');
      const replayed = await reposted;
      expect(replayed.status).toBe(200);
      expect(replayed.body).toEqual({ status: 'duplicate', events: 0, duplicates: 1 });
    } finally {
      await prune.end();
    }
    await dispatchAll();
    expect(handled.filter((k) => k === key)).toHaveLength(1);
    expect(await app.db.prisma.event.count({ where: { dedupeKey: key } })).toBe(0);
  });

  it('absorbs as a duplicate a recent activity whose delivery is past retention: its event is kept', async () => {
    // Received 10 days ago with an activity time of yesterday (X's clock ahead of ours): past
    // RETENTION_DAYS, but a repost would not be stale, so retention keeps the event and its key.
    const activity = postAt(Date.now() - DAY);
    await deliveredLongAgo(activity.body, 10);
    await pruneNow();
    const replayed = await postDelivery(app.handler, activity.body);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ status: 'duplicate', events: 0, duplicates: 1 });
    await dispatchAll();
    expect(handled.filter((k) => k === activity.key)).toHaveLength(1);
  });
});
