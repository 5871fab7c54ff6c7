// Filtered-stream webhook deliveries end to end: the X stand-in holds the app's rules and a link
// from its filtered stream to the webhook of a real receiver (`xaa serve`, a real database, HTTP
// over loopback); a post matching two rules is delivered once, signed, and reaches a plugin once
// as post.match with both rules; the same post delivered again, or by another delivery naming
// another rule, runs the handler no more; `xaa trigger post.match` sends one with its rules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XClient } from '../../src/management/index.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { runXaa } from '../cli/xaa-run.js';
import { filteredStreamBody, newActivity } from '../../src/testing/samples.js';
import { postSigned, TEST_SECRET } from '../support/app.js';
import { migratedDatabase, providersUnderTest, type TestDatabase } from '../support/databases.js';
import { lines, pluginEnv, spawnServe, stopSpawned, until, type Served } from '../support/process.js';

const AUTHOR = '1375036644';
const APP = { consumerKey: 'fs-consumer-key', consumerSecret: TEST_SECRET, bearerToken: 'fs-app-bearer-token' };

interface Handled {
  id: string;
  type: string;
  action: string | null;
  format: string;
  forUserId: string | null;
  source: string;
  data: { postId: string; text: string; authorId: string; authorUsername: string | null; role: null; rules: Array<{ id: string; tag: string | null }> } | null;
}

describe.each(providersUnderTest())('filtered-stream deliveries to a plugin on %s', (provider) => {
  let testDb: TestDatabase;
  let dir: string;
  let proc: Served;
  let port: number;
  let standin: XStandIn;
  let client: XClient;
  let webhookId: string;
  const handled = () => (fs.existsSync(path.join(dir, 'handled.log')) ? lines(path.join(dir, 'handled.log')).map((l) => JSON.parse(l) as Handled) : []);

  /** Waits until `n` events were handled in all, then a little more: a second run would show. */
  async function handledCount(n: number): Promise<Handled[]> {
    await until(() => handled().length >= n, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    return handled();
  }

  /** A stored event by its dedupe key, read from the receiver's database through the CLI. */
  async function storedEvent(key: string): Promise<{ type: string; format: string; duplicateCount: number; sideObjects: { matchingRules: unknown[] } }> {
    const r = await runXaa(['events', 'show', '--json', '--', key], { DATABASE_URL: testDb.url, X_CONSUMER_SECRET: TEST_SECRET });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { type: string; format: string; duplicateCount: number; sideObjects: { matchingRules: unknown[] } };
  }

  beforeAll(async () => {
    testDb = await migratedDatabase(provider);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-filtered-stream-'));
    proc = await spawnServe(testDb.url, { ...pluginEnv('./test/fixtures/plugins/normalized.ts', dir), DISPATCH_POLL_MS: '50' });
    port = proc.port;
    standin = new XStandIn({ ...APP, allowLoopbackHttp: true });
    await standin.start();
    client = new XClient({ baseUrl: standin.url, credentials: { bearerToken: APP.bearerToken }, retries: 0 });
    webhookId = (await client.createWebhook(`http://127.0.0.1:${port}/webhook`)).id;
    expect(await client.linkStream(webhookId, { expansions: 'author_id', 'user.fields': 'username' })).toEqual({ provisioned: true, problems: [] });
  }, 120_000);

  afterAll(async () => {
    await stopSpawned(proc, 'SIGKILL');
    await standin?.stop();
    await testDb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a post matching two rules reaches the handler once, as post.match with both rules', async () => {
    const added = await client.addStreamRules([{ value: 'coffee', tag: 'drinks' }, { value: 'from:1375036644 -is:retweet', tag: 'author watch' }, { value: 'tea OR juice', tag: 'other drinks' }]);
    expect(added.problems).toEqual([]);
    const [coffee, author] = added.rules;
    const { activity, rules, deliveries } = await standin.emitPost({ text: 'Morning coffee with the team', authorId: AUTHOR });
    expect(rules).toEqual([
      { id: coffee!.id, tag: 'drinks' },
      { id: author!.id, tag: 'author watch' },
    ]);
    // One delivery naming both rules, answered 200 by the receiver.
    expect(deliveries.map((d) => [d.format, d.status])).toEqual([['filtered_stream', 200]]);

    const got = await handledCount(1);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      type: 'post.match',
      action: null,
      format: 'filtered_stream',
      forUserId: null,
      source: 'filtered_stream',
      data: { postId: activity.id, text: 'Morning coffee with the team', authorId: AUTHOR, authorUsername: `user${AUTHOR}`, role: null },
    });
    expect(got[0]!.data!.rules).toEqual([
      { id: coffee!.id, tag: 'drinks' },
      { id: author!.id, tag: 'author watch' },
    ]);
  });

  it('the same post redelivered, and delivered again naming another rule, runs the handler once', async () => {
    const before = handled().length;
    const { activity, rules } = await standin.emitPost({ text: 'Green tea, please', authorId: '783214' });
    expect(rules.map((r) => r.tag)).toEqual(['other drinks']);
    await handledCount(before + 1);
    // X's retry (the same bytes' content, the same rules) and a second delivery with another rule.
    const again = await standin.deliverMatch(activity);
    const other = await standin.deliverMatch(activity, [{ id: '1166916266197536769', tag: 'late rule' }]);
    expect([...again, ...other].map((d) => d.status)).toEqual([200, 200]);
    const got = (await handledCount(before + 1)).slice(before);
    expect(got).toHaveLength(1);
    // The handler saw the rules of the delivery that arrived first.
    expect(got[0]!.data!.rules).toEqual([{ id: rules[0]!.id, tag: 'other drinks' }]);
    const stored = await storedEvent(`-:post.match:${activity.id}`);
    expect(stored).toMatchObject({ type: 'post.match', format: 'filtered_stream', duplicateCount: 2, sideObjects: { matchingRules: [{ id: rules[0]!.id, tag: 'other drinks' }] } });
  });

  it('two deliveries of one post naming different rules, arriving at once, run the handler once', async () => {
    const before = handled().length;
    const a = newActivity('post.match', '', { otherUserId: AUTHOR, text: 'both at once' });
    const bodies = [filteredStreamBody(a, [{ id: '11', tag: 'first' }]), filteredStreamBody(a, [{ id: '12', tag: 'second' }])];
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const res = await postSigned(`http://127.0.0.1:${port}/webhook`, body);
        expect(res.status).toBe(200);
        return ((await res.json()) as { status: string }).status;
      }),
    );
    expect(answers.sort()).toEqual(['accepted', 'duplicate']);
    const got = (await handledCount(before + 1)).slice(before);
    expect(got).toHaveLength(1);
    expect([[{ id: '11', tag: 'first' }], [{ id: '12', tag: 'second' }]]).toContainEqual(got[0]!.data!.rules);
  });

  it('a post matching no rule is not delivered; unlinked, the webhook gets no more posts', async () => {
    const before = handled().length;
    expect((await standin.emitPost({ text: 'nothing to see here', authorId: '999' })).deliveries).toEqual([]);
    expect(await client.unlinkStream(webhookId)).toEqual({ deleted: true, problems: [] });
    expect((await standin.emitPost({ text: 'more coffee' })).deliveries).toEqual([]);
    expect(await client.listStreamLinks()).toEqual([]);
    expect(await client.linkStream(webhookId)).toEqual({ provisioned: true, problems: [] });
    await new Promise((r) => setTimeout(r, 300));
    expect(handled()).toHaveLength(before);
  });

  it('xaa trigger post.match sends a filtered-stream delivery with the rules given', async () => {
    const before = handled().length;
    const env = { X_CONSUMER_SECRET: TEST_SECRET, PORT: String(port), DATABASE_URL: testDb.url, LOG_LEVEL: 'warn' };
    const r = await runXaa(['trigger', 'post.match', '--rule', 'news', '--rule', '1234567890:launch', '--text', 'launch news', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { type: string; format: string; status: number; rules: Array<{ id: string; tag: string }>; activityId: string };
    expect(out).toMatchObject({ type: 'post.match', format: 'filtered_stream', status: 200 });
    expect(out.rules[1]).toEqual({ id: '1234567890', tag: 'launch' });
    const got = (await handledCount(before + 1)).slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'post.match', data: { postId: out.activityId, text: 'launch news', rules: out.rules } });

    const wrong = await runXaa(['trigger', 'follow', '--rule', 'x'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--rule applies to post.match only/);
    const noAaa = await runXaa(['trigger', 'post.match', '--format', 'aaa'], env);
    expect(noAaa.code).toBe(1);
    expect(noAaa.stderr).toMatch(/post\.match has no AAA form: X delivers it by a filtered-stream webhook only/);
  }, 120_000);
});
