// Events without a subscribed user have dedupe keys starting with "-:" (`-:post.match:<post id>`,
// `-:news:...`): `xaa events show` and `events redispatch` take them as they are printed, without
// `--`, from the real binary against a real database; a mistyped option still fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDelivery } from '../../src/normalize/prepare.js';
import { openDatabase, recordDeliveries, type Database } from '../../src/store/index.js';
import { filteredStreamBody, newActivity } from '../../src/testing/samples.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { runXaa } from './xaa-run.js';

describe('xaa events show / redispatch with a "-:" dedupe key', { timeout: 120_000 }, () => {
  let testDb: TestDatabase;
  let db: Database;
  const keys: string[] = [];

  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
    db = await openDatabase(testDb.config);
    for (const tag of ['coffee', 'tea']) {
      const body = filteredStreamBody(newActivity('post.match', '', { text: `${tag} time`, rules: [{ tag }] }));
      const delivery = prepareDelivery({ body: Buffer.from(body), receivedAt: new Date(), contentType: 'application/json', userAgent: null, remoteAddr: null });
      await recordDeliveries(db.prisma, [delivery]);
      keys.push(delivery.events[0]!.dedupeKey);
    }
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });
  const env = () => ({ DATABASE_URL: testDb.url });

  it('show takes the key as printed, before or after --json', async () => {
    expect(keys[0]).toMatch(/^-:post\.match:\d+$/);
    for (const args of [['events', 'show', keys[0]!, '--json'], ['events', 'show', '--json', keys[0]!], ['events', 'show', '--json', '--', keys[0]!]]) {
      const shown = await runXaa(args, env());
      expect(shown.code, `${args.join(' ')}: ${shown.stderr}`).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ dedupeKey: keys[0], type: 'post.match', format: 'filtered_stream' });
    }
    const human = await runXaa(['events', 'show', keys[1]!], env());
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`dedupe key: ${keys[1]}`);
  });

  it('an unknown "-:" key is a missing event, not an unknown option', async () => {
    const r = await runXaa(['events', 'show', '-:post.match:1'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no event -:post.match:1');
    expect(r.stderr).not.toContain('unknown option');
  });

  it('redispatch takes several "-:" keys', async () => {
    const r = await runXaa(['events', 'redispatch', keys[0]!, keys[1]!, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ missing: [], busy: [] });
    expect((JSON.parse(r.stdout) as { requeued: string[] }).requeued).toHaveLength(2);
  });

  it('a mistyped option is still an unknown option', async () => {
    const r = await runXaa(['events', 'show', keys[0]!, '--jsno'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--jsno'");
  });
});
