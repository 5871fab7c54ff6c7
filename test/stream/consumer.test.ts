// The stream consumer in process, against the X stand-in over loopback and a real SQLite inbox:
// the idle timeout, X's 429 with its reset time, a refused token, keep-alives moving the
// position, and a stop that leaves the position saved.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openDatabase, openInbox, recordStreamGap, saveStreamLastSeen, streamLastSeen, type Database, type DeliveryInbox } from '../../src/store/index.js';
import { StreamConsumer, startStreamConsumer } from '../../src/stream/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { capturingLogger } from '../support/logs.js';
import { until } from '../support/process.js';

const USER = '2244994945';
const BEARER = 'consumer-test-app-bearer-token-0123456789';

describe('StreamConsumer', () => {
  let testDb: TestDatabase;
  let db: Database;
  let inbox: DeliveryInbox;
  let x: XStandIn;
  let consumer: StreamConsumer | undefined;
  let metrics: ReturnType<typeof createMetrics>;
  const logs: string[] = [];

  async function standIn(keepAliveMs: number): Promise<void> {
    x = new XStandIn({ consumerKey: 'k', consumerSecret: 'consumer-test-secret', bearerToken: BEARER, users: [{ id: USER }], streamKeepAliveMs: keepAliveMs });
    await x.start();
    x.activitySubs.set('1', { subscription_id: '1', event_type: 'post.create', filter: { user_id: USER }, created_at: '', updated_at: '' });
  }

  function consume(env: Record<string, string> = {}, extra: { random?: () => number } = {}): StreamConsumer {
    const config = loadConfig({
      DATABASE_URL: testDb.url,
      X_API_BASE_URL: x.url,
      X_BEARER_TOKEN: BEARER,
      XAA_STREAM_IDLE_TIMEOUT_MS: '5000',
      XAA_STREAM_BACKOFF_INITIAL_MS: '20',
      XAA_STREAM_BACKOFF_MAX_MS: '200',
      XAA_STREAM_RATE_LIMIT_MIN_WAIT_MS: '10',
      ...env,
    });
    consumer = startStreamConsumer({ config, db, inbox, metrics, logger: capturingLogger(logs, { level: 'info', secrets: [BEARER] }) }, extra);
    return consumer;
  }

  async function metric(name: string): Promise<string> {
    return (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith(name)).join('\n');
  }

  beforeEach(async () => {
    logs.length = 0;
    metrics = createMetrics();
    testDb = await migratedDatabase('sqlite');
    db = await openDatabase(testDb.config);
    inbox = openInbox(db);
  });

  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await x.stop();
    await inbox.close();
    await db.close();
    await testDb.drop();
  });

  it('drops a connection that sends no byte for the idle timeout and reconnects, asking for backfill', async () => {
    await standIn(60_000);
    const c = consume({ XAA_STREAM_IDLE_TIMEOUT_MS: '300' });
    await until(() => x.streamRequests.length >= 2, 20_000);
    expect(await metric('xaa_stream_reconnects_total{reason="idle"}')).toMatch(/ [1-9]\d*$/);
    expect(x.streamRequests[0]!.backfillMinutes).toBe(0);
    expect(x.streamRequests[1]!.backfillMinutes).toBe(1);
    expect(c.status().attempts).toBeGreaterThanOrEqual(2);
  });

  it('keeps a quiet connection open on keep-alives, which move the saved position forward', async () => {
    await standIn(50);
    const c = consume({ XAA_STREAM_IDLE_TIMEOUT_MS: '2000' });
    // Connected once the consumer has handled X's answer (the stand-in counts it at its headers).
    await until(() => c.status().connected, 20_000);
    const first = await streamLastSeen(db.prisma);
    expect(first).not.toBeNull();
    await until(async () => ((await streamLastSeen(db.prisma))?.getTime() ?? 0) > first!.getTime(), 20_000);
    expect(x.streamRequests).toHaveLength(1);
    expect(c.status().connected).toBe(true);
    expect(await metric('xaa_stream_connected')).toMatch(/xaa_stream_connected 1$/m);
  });

  /** The waits the consumer chose, in order, from its reconnection log lines. */
  function retryWaits(): number[] {
    return logs
      .map((l) => JSON.parse(l) as { msg: string; retryInMs?: number })
      .filter((l) => l.msg === 'stream: disconnected; reconnecting')
      .map((l) => l.retryInMs!);
  }

  it("retries a dropped connection at once, then backs off HTTP errors exponentially (X's handling of disconnections)", async () => {
    await standIn(60_000);
    consume({ XAA_STREAM_BACKOFF_INITIAL_MS: '20', XAA_STREAM_BACKOFF_MAX_MS: '60000' }, { random: () => 0 });
    await until(() => x.stream.connections === 1, 20_000);
    x.failNext('GET /2/activity/stream', { status: 503, times: 3 });
    x.stream.drop();
    await until(() => x.streamRequests.length === 2 && x.stream.connections === 1, 20_000);
    expect(retryWaits()).toEqual([0, 20, 40, 80]);
    expect(x.requests.filter((r) => r.route === 'GET /2/activity/stream').map((r) => r.status)).toEqual([200, 503, 503, 503, 200]);
  });

  it('backs off network errors linearly, 250 ms more each attempt, with no immediate retry of a connection never opened', async () => {
    await standIn(60_000);
    // Nothing listens on port 1: every attempt is refused.
    consume({ X_API_BASE_URL: 'http://127.0.0.1:1' }, { random: () => 0 });
    expect((await consumer!.firstAnswer()).reason).toBe('network');
    await until(() => retryWaits().length >= 3, 20_000);
    expect(retryWaits().slice(0, 3)).toEqual([250, 500, 750]);
  });

  it('does not connect before the saved position can be read, then asks the backfill from it', async () => {
    await standIn(60_000);
    const lastSeen = new Date(Date.now() - 150_000);
    await saveStreamLastSeen(db.prisma, lastSeen);
    // The store fails to read the position (its table gone), then recovers.
    await db.prisma.$executeRawUnsafe('ALTER TABLE "stream_state" RENAME TO "stream_state_away"');
    consume({ XAA_STREAM_BACKOFF_INITIAL_MS: '20', XAA_STREAM_BACKOFF_MAX_MS: '100' });
    expect(await consumer!.firstAnswer()).toMatchObject({ reason: 'store' });
    await until(() => logs.filter((l) => l.includes('could not read the saved position')).length >= 3, 20_000);
    expect(x.streamRequests).toHaveLength(0);
    await db.prisma.$executeRawUnsafe('ALTER TABLE "stream_state_away" RENAME TO "stream_state"');
    await until(() => x.stream.connections === 1, 20_000);
    expect(x.streamRequests).toEqual([expect.objectContaining({ backfillMinutes: 3 })]);
    await consumer!.stop();
    // Nothing received since: the saved position is still the old one (not the time of connection).
    expect((await streamLastSeen(db.prisma))!.getTime()).toBe(lastSeen.getTime());
  });

  // X replays a backfill's window first, with no marker where it ends. Keep-alives and events of a
  // connection that asked for 4 minutes used to move the position to their arrival time at once:
  // cut during the replay, the next connection asked for about a minute and the rest of the
  // window was never asked for again. The position moves no faster than the replay surely went.
  it('keeps the position behind a backfill that is being replayed (keep-alives included)', async () => {
    await standIn(50);
    const lastSeen = new Date(Date.now() - 3 * 60_000);
    await saveStreamLastSeen(db.prisma, lastSeen);
    const c = consume({ XAA_STREAM_IDLE_TIMEOUT_MS: '2000' });
    await until(() => c.status().connected, 20_000);
    expect(x.streamRequests).toEqual([expect.objectContaining({ backfillMinutes: 4 })]);
    await new Promise((r) => setTimeout(r, 1_000)); // ~20 keep-alives
    await c.stop();
    expect((await streamLastSeen(db.prisma))!.getTime()).toBe(lastSeen.getTime());
  });

  it('waits for x-rate-limit-reset after a 429, then connects', async () => {
    await standIn(50);
    // The stand-in answers x-rate-limit-reset: this time in whole seconds, rounded up.
    const resetAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    x.setRateLimit('GET /2/activity/stream', { limit: 1, remaining: 0, resetInSeconds: 1 });
    const c = consume();
    await until(() => c.status().connected, 20_000);
    expect(x.requests.filter((r) => r.route === 'GET /2/activity/stream').map((r) => r.status)).toEqual([429, 200]);
    expect(x.streamRequests[0]!.at.getTime()).toBeGreaterThanOrEqual(resetAt - 5);
    expect(await metric('xaa_stream_reconnects_total{reason="rate_limited"}')).toMatch(/ 1$/);
    expect(c.status().connected).toBe(true);
  });

  it('reports a gap past the backfill once, when a connection opens, however many attempts failed before', async () => {
    await standIn(50);
    const lastSeen = new Date(Date.now() - 12 * 60_000);
    await saveStreamLastSeen(db.prisma, lastSeen);
    x.failNext('GET /2/activity/stream', { status: 503, times: 3 });
    const c = consume();
    // Connected is set after the gap is recorded, counted and logged.
    await until(() => c.status().connected, 20_000);
    expect(c.status().attempts).toBe(4);
    expect(x.streamRequests).toEqual([expect.objectContaining({ backfillMinutes: 5 })]);
    const gaps = await db.prisma.streamGap.findMany();
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.fromAt.getTime()).toBe(lastSeen.getTime());
    const total = Number(/ (\S+)$/.exec(await metric('xaa_stream_uncovered_gap_seconds_total'))![1]);
    expect(total).toBe(gaps[0]!.seconds);
    expect(total).toBeGreaterThanOrEqual(420);
    expect(await metric('xaa_stream_reconnects_total{reason="http_error"}')).toMatch(/ 3$/);
    expect(logs.filter((l) => l.includes('may be missing'))).toHaveLength(1);
  });

  it('says which variable to fix when X refuses the token, backs off long, and never logs the token', async () => {
    await standIn(50);
    const c = consume({ X_BEARER_TOKEN: 'wrong-bearer-token-0123456789', XAA_STREAM_AUTH_RETRY_MS: '600000' });
    expect(await c.firstAnswer()).toMatchObject({ reason: 'unauthorized', status: 401 });
    await until(() => logs.some((l) => l.includes('X refused the bearer token')), 5_000);
    const line = JSON.parse(logs.find((l) => l.includes('X refused the bearer token'))!) as { level: number; msg: string; retryInMs: number };
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(/check X_BEARER_TOKEN/);
    expect(line.retryInMs).toBe(600_000);
    expect(logs.join('')).not.toContain('wrong-bearer-token-0123456789');
    expect(x.requests.filter((r) => r.route === 'GET /2/activity/stream')).toHaveLength(1);
  });

  it('keeps a token that fetch refuses as a header out of the error detail and the log (the logger scrubbing nothing)', async () => {
    await standIn(50);
    const token = 'stream-token-with-a-newline-0123456789\nrest';
    const config = loadConfig({ DATABASE_URL: testDb.url, XAA_STREAM_AUTH_RETRY_MS: '600000' });
    const { enabled: _enabled, ...streamConfig } = config.stream;
    consumer = new StreamConsumer({
      baseUrl: x.url,
      bearerToken: token,
      inbox,
      position: {
        lastSeen: () => streamLastSeen(db.prisma),
        saveLastSeen: (at) => saveStreamLastSeen(db.prisma, at),
        recordGap: (gap) => recordStreamGap(db.prisma, { stream: 'activity', ...gap }),
      },
      config: { ...streamConfig, backoffInitialMs: 600_000, backoffMaxMs: 600_000 },
      metrics,
      logger: capturingLogger(logs, { level: 'info' }),
      maxLineBytes: 4096,
    });
    consumer.start();
    const first = await consumer.firstAnswer();
    expect(first.reason).toBe('network');
    expect(first.detail).toMatch(/invalid header value/);
    expect(first.detail).toContain('[redacted]');
    await until(() => logs.some((l) => l.includes('stream: disconnected')), 5_000);
    const all = logs.join('\n') + JSON.stringify(consumer.status());
    expect(all).not.toContain('stream-token-with-a-newline');
    expect(all).not.toContain('0123456789');
  });

  it('answers firstAnswer and failed() when its loop stops on an unexpected error, instead of leaving callers waiting', async () => {
    const config = loadConfig({ DATABASE_URL: testDb.url });
    const { enabled: _enabled, ...streamConfig } = config.stream;
    consumer = new StreamConsumer({
      // Not a URL (the configuration refuses it; the consumer is given it directly here): the
      // request cannot be built, an error no reconnection would cure.
      baseUrl: 'http://[bad',
      bearerToken: 'stream-token-0123456789',
      inbox,
      position: {
        lastSeen: () => streamLastSeen(db.prisma),
        saveLastSeen: (at) => saveStreamLastSeen(db.prisma, at),
        recordGap: (gap) => recordStreamGap(db.prisma, { stream: 'activity', ...gap }),
      },
      config: streamConfig,
      metrics,
      logger: capturingLogger(logs, { level: 'info' }),
      maxLineBytes: 4096,
    });
    consumer.start();
    expect(await consumer.firstAnswer()).toMatchObject({ reason: 'stopped' });
    expect((await consumer.failed()).message).toMatch(/URL/i);
    expect(logs.some((l) => l.includes('stream consumer stopped on an unexpected error'))).toBe(true);
  });

  it("logs X's in-stream system messages without storing them, keeps a line that is not JSON as unparseable, drops an oversized line", async () => {
    await standIn(60_000);
    consume({ WEBHOOK_MAX_BODY_BYTES: '4096' });
    await until(() => x.stream.connections === 1, 20_000);
    x.stream.publish(
      JSON.stringify({ errors: [{ title: 'operational-disconnect', disconnect_type: 'UpstreamOperationalDisconnect', detail: 'This stream has been disconnected upstream for operational reasons.', type: 'https://api.x.com/2/problems/operational-disconnect' }] }),
    );
    x.stream.publish('{"data": not json at all');
    x.stream.publish(`{"data":"${'x'.repeat(5000)}"}`);
    await x.emit('post.create', USER, { variant: 'author' });
    await until(async () => (await db.prisma.event.count()) === 1, 20_000);
    await until(() => logs.some((l) => l.includes('dropped lines longer than')), 5_000);
    // Lines are stored concurrently: the accepted line's commit can be seen before the
    // unparseable one's answer has reached the consumer (which then counts it).
    await until(() => logs.some((l) => l.includes('kept as an unparseable delivery')), 5_000);
    const deliveries = await db.prisma.delivery.findMany({ select: { status: true, source: true } });
    expect(deliveries.map((d) => d.status).sort()).toEqual(['accepted', 'unparseable']);
    expect(deliveries.every((d) => d.source === 'stream')).toBe(true);
    const system = JSON.parse(logs.find((l) => l.includes('X system message'))!) as { message: string };
    expect(system.message).toMatch(/operational-disconnect: UpstreamOperationalDisconnect/);
    expect(await metric('xaa_stream_events_total{outcome="unparseable"}')).toMatch(/ 1$/);
    expect(x.streamRequests).toHaveLength(1);
  });

  it('stores events as stream deliveries and, once stopped, has saved the position of the last one', async () => {
    await standIn(60_000);
    const c = consume();
    await until(() => x.stream.connections === 1, 20_000);
    for (let i = 0; i < 20; i++) await x.emit('post.create', USER, { variant: 'author' });
    await until(async () => (await db.prisma.event.count()) === 20, 20_000);
    await c.stop();
    const seen = c.status().lastSeen!;
    expect((await streamLastSeen(db.prisma))!.getTime()).toBe(seen.getTime());
    expect(await db.prisma.delivery.count({ where: { source: 'stream' } })).toBe(20);
    expect(await metric('xaa_stream_events_total{outcome="new"}')).toMatch(/ 20$/);
    expect(await metric('xaa_stream_connected')).toMatch(/xaa_stream_connected 0$/m);
  });
});
