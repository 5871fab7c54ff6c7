/**
 * Ids and keys that no X delivery carries but a signed body can: NUL characters (PostgreSQL text
 * rejects them), lone surrogates (not encodable as UTF-8: two different ids would collide), and
 * ids of many kilobytes (beyond a PostgreSQL b-tree entry). Each must be stored (200), stay
 * distinct from the others, and never turn into a 503 that X would retry forever. On every
 * provider under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { providersUnderTest } from '../support/databases.js';
import { postDelivery } from '../receiver/helpers.js';
import { expectCleanLogs } from './support.js';

/** JSON string-literal contents (escapes as X's JSON would carry them). */
const HOSTILE_IDS = [
  '\\u0000',
  '1\\u00002',
  '\\u0000\\u0000',
  '\\ud800',
  '\\ud801',
  '\\udfff',
  '\\ud83d\\ude00',
  'x'.repeat(10_000),
  'x'.repeat(10_001),
  `${'9'.repeat(5000)}\\u0000`,
];

describe.each(providersUnderTest())('unstorable ids on %s', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => app?.close());

  it('as activity ids: 200, one distinct event each', async () => {
    for (const id of HOSTILE_IDS) {
      const res = await postDelivery(app.handler, `{"for_user_id":"5","tweet_create_events":[{"id_str":"${id}"}]}`);
      expect(res.status, id.slice(0, 20)).toBe(200);
      expect(res.body).toMatchObject({ events: 1, duplicates: 0 });
    }
  });

  it('as subscribed-user ids, XAA event uuids and unknown keys: 200, one distinct event each', async () => {
    for (const id of HOSTILE_IDS) {
      for (const body of [
        `{"for_user_id":"${id}","tweet_create_events":[{"id_str":"1"}]}`,
        `{"data":{"event_type":"spaces.${id}","event_uuid":"${id}","filter":{"user_id":"${id}"},"payload":{}}}`,
        `{"for_user_id":"6","${id}":[{"a":1}]}`,
      ]) {
        const res = await postDelivery(app.handler, body);
        expect(res.status, body.slice(0, 60)).toBe(200);
        expect(res.body, body.slice(0, 80)).toMatchObject({ events: 1, duplicates: 0 });
      }
    }
    const events = await app.db.prisma.event.findMany({ select: { dedupeKey: true, forUserId: true, action: true } });
    for (const e of events) {
      for (const text of [e.dedupeKey, e.forUserId ?? '', e.action ?? '']) {
        expect(text).not.toContain('\u0000');
        expect(text.length).toBeLessThanOrEqual(200);
      }
    }
    expectCleanLogs(app.logs);
  });
});
