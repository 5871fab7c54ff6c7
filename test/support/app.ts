import fs from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createApp, type ReceiverApp } from '../../src/http/index.js';
import { createLogger } from '../../src/log/index.js';
import { loadActivities, openDatabase, type Database } from '../../src/store/index.js';
import { migratedDatabase, type Provider, type TestDatabase } from './databases.js';

export const TEST_SECRET = 'test-consumer-secret-0123456789abcdef';

/**
 * The fixtures' activities carry fixed times (November 2026): with the default 5-day dedupe
 * window they would arrive stale (never dispatched). Test apps take a window of a century unless a
 * test sets DEDUPE_WINDOW_DAYS itself (the staleness tests do).
 */
export const FIXTURE_WINDOW_DAYS = '36500';
export const samplesDir = path.resolve(import.meta.dirname, '../fixtures/deliveries');

/** X's signature, computed here independently of src/: sha256= + base64 HMAC-SHA256(secret, bytes). */
export function xSignature(body: Buffer | string, secret = TEST_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;
}

/** POSTs `body` to a webhook `url` as X does: JSON, signed with the test secret (or `secret`). */
export function postSigned(url: string, body: Buffer | string, secret = TEST_SECRET): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': xSignature(body, secret) }, body });
}

export function sample(name: string): Buffer {
  return fs.readFileSync(path.join(samplesDir, name));
}

export function sampleNames(): string[] {
  return fs.readdirSync(samplesDir).filter((f) => f.endsWith('.json')).sort();
}

/**
 * Stored event rows with their payload and side objects read as the dispatcher reads them (events
 * normalized from a delivery keep them by reference into its body).
 */
export async function withPayloads<
  T extends { payload: string | null; sideObjects: string | null; deliveryId: string; activityIndex: number | null },
>(db: Database, rows: T[]): Promise<Array<T & { payload: string; sideObjects: string | null }>> {
  const activities = await loadActivities(db.prisma, rows);
  return rows.map((r, i) => ({ ...r, payload: activities[i]!.payload, sideObjects: activities[i]!.sideObjects }));
}

export interface TestApp extends ReceiverApp {
  config: Config;
  db: Database;
  testDb: TestDatabase;
  /** Every log line the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

/** A receiver app on a freshly migrated real database, logging into memory. */
export async function startTestApp(
  provider: Provider = 'sqlite',
  env: Record<string, string> = {},
  testDb?: TestDatabase,
): Promise<TestApp> {
  const database = testDb ?? (await migratedDatabase(provider));
  const config = loadConfig({ X_CONSUMER_SECRET: TEST_SECRET, DATABASE_URL: database.url, LOG_LEVEL: 'info', DEDUPE_WINDOW_DAYS: FIXTURE_WINDOW_DAYS, ...env });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, env: 'test', secrets: [config.consumerSecret], destination });
  const db = await openDatabase(config.database);
  const receiver = createApp({ config: { ...config, consumerSecret: config.consumerSecret! }, db, logger });
  return {
    ...receiver,
    config,
    db,
    testDb: database,
    logs,
    async close() {
      await receiver.inbox.close();
      await db.close();
      if (!testDb) await database.drop();
    },
  };
}
