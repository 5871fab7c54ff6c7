// End to end through the real server (`xaa serve`, a real database, HTTP over loopback) with a
// plugin written once against the normalized fields: every documented XAA event type reaches it
// with its canonical type and fields (read back from the stored delivery body); the same activity
// delivered by AAA and by XAA, in either order, is handled once; a redelivery with a new
// event_uuid is handled once; `xaa trigger` sends every canonical type in every format it has.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XAA_DELIVERED_ONLY_TYPES, XAA_EVENT_TYPES } from '../../src/events/xaa-catalog.generated.js';
import { activityForXaaType, newActivity, SAMPLE_FORMATS, SAMPLE_TYPES, sampleBody, xaaBody, type Activity } from '../../src/testing/samples.js';
import { runXaa } from '../cli/xaa-run.js';
import { postSigned, TEST_SECRET } from '../support/app.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { lines, pluginEnv, spawnServe, stopSpawned, until, type Served } from '../support/process.js';

const U = '2244994945';
const OTHER = '1375036644';

interface Handled {
  id: string;
  type: string;
  action: string | null;
  format: 'aaa' | 'xaa';
  forUserId: string | null;
  source: string;
  data: Record<string, unknown> | null;
}

describe('one plugin, both formats, through the real server', () => {
  let testDb: TestDatabase;
  let dir: string;
  let proc: Served;
  let port: number;
  const handled = () => lines(path.join(dir, 'handled.log')).map((l) => JSON.parse(l) as Handled);

  async function post(body: string): Promise<{ status: string }> {
    const res = await postSigned(`http://127.0.0.1:${port}/webhook`, body);
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string };
  }

  /** Waits until `n` events were handled in all, then a little more: a second run would show. */
  async function handledCount(n: number): Promise<Handled[]> {
    await until(() => fs.existsSync(path.join(dir, 'handled.log')) && handled().length >= n, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    return handled();
  }

  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-both-formats-'));
    proc = await spawnServe(testDb.url, { ...pluginEnv('./test/fixtures/plugins/normalized.ts', dir), DISPATCH_POLL_MS: '50' });
    port = proc.port;
  });
  afterAll(async () => {
    await stopSpawned(proc, 'SIGKILL');
    await testDb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands every documented XAA event type to the plugin with its canonical type and normalized fields', async () => {
    const types = [...XAA_EVENT_TYPES, ...XAA_DELIVERED_ONLY_TYPES];
    const sent = new Map<string, Activity>();
    for (const eventType of types) {
      const a = activityForXaaType(eventType, U, { otherUserId: OTHER });
      sent.set(eventType, a);
      expect(await post(xaaBody(a, { eventType }))).toMatchObject({ status: 'accepted' });
    }
    const got = await handledCount(types.length);
    expect(got).toHaveLength(types.length);
    const bySource = new Map(got.map((h) => [h.source, h]));
    expect([...bySource.keys()].sort()).toEqual([...types].sort());
    for (const h of got) {
      expect(h.type, h.source).not.toBe('unknown');
      expect(h.format).toBe('xaa');
      expect(h.data, h.source).not.toBeNull();
    }
    // A few fields, as the handler saw them (read back from the stored delivery body).
    expect(bySource.get('post.reply.create')!.data).toMatchObject({ role: 'replied_to', authorId: OTHER, inReplyToUserId: U, inReplyToPostId: sent.get('post.reply.create')!.referencedPostId });
    expect(bySource.get('like.create')!.data).toMatchObject({ postAuthorId: U, likerId: OTHER, direction: 'inbound' });
    expect(bySource.get('chat.received')!).toMatchObject({ type: 'chat.message', action: 'received', data: { encrypted: true, senderId: OTHER } });
    expect(bySource.get('chat.received')!.data).not.toHaveProperty('text');
    expect(bySource.get('oauth.revoke')!).toMatchObject({ type: 'app.revoke', forUserId: U, data: { userId: U } });
    expect(bySource.get('news.new')!).toMatchObject({ type: 'news', forUserId: null, data: { keyword: 'sample' } });
  });

  const overlap: Array<[string, (at: Date) => Activity]> = [
    ['own post', (at) => newActivity('post.create', U, { at, otherUserId: OTHER, variant: 'author', text: 'hello' })],
    ['mention', (at) => newActivity('post.create', U, { at, otherUserId: OTHER, variant: 'mentioned', text: 'hello' })],
    ['reply', (at) => newActivity('post.create', U, { at, otherUserId: OTHER, variant: 'replied_to', text: 'hello' })],
    ['DM', (at) => newActivity('dm.message', U, { at, otherUserId: OTHER, text: 'hello' })],
    ['like', (at) => newActivity('like', U, { at, otherUserId: OTHER, text: 'hello' })],
  ];

  it.each(overlap)('%s delivered by AAA and by XAA is handled once, in both orders, with the same fields', async (_name, make) => {
    const before = handled().length;
    const first = make(new Date(Date.now() - 60_000));
    const second = make(new Date(Date.now() - 30_000));
    expect(await post(sampleBody(first, 'aaa'))).toMatchObject({ status: 'accepted' });
    expect(await post(sampleBody(first, 'xaa'))).toMatchObject({ status: 'duplicate' });
    expect(await post(sampleBody(second, 'xaa'))).toMatchObject({ status: 'accepted' });
    expect(await post(sampleBody(second, 'aaa'))).toMatchObject({ status: 'duplicate' });
    const got = (await handledCount(before + 2)).slice(before);
    expect(got).toHaveLength(2);
    expect(got.map((h) => h.format)).toEqual(['aaa', 'xaa']);
    expect(got[0]!.type).toBe(got[1]!.type);
    const perActivity = ['conversationId', 'createdAt', 'postId', 'messageId', 'likeId', 'likedAt', 'inReplyToPostId'];
    const keys = Object.keys(got[0]!.data!).filter((k) => !perActivity.includes(k));
    const pick = (h: Handled) => Object.fromEntries(keys.map((k) => [k, h.data![k]]));
    // The same handler code sees the same fields (ids and times are those of each activity).
    expect(pick(got[1]!)).toEqual(pick(got[0]!));
  });

  it('handles a redelivery with a new event_uuid once, and keeps distinct activities of one type apart', async () => {
    const before = handled().length;
    const typing = newActivity('dm.typing', U, { otherUserId: OTHER });
    const later = newActivity('dm.typing', U, { otherUserId: OTHER, at: new Date(typing.at.getTime() + 1_000) });
    const revokeA = newActivity('app.revoke', U, { at: typing.at });
    const revokeB = newActivity('app.revoke', OTHER, { at: typing.at });
    const bodies = [xaaBody(typing), xaaBody(typing), xaaBody(later), xaaBody(revokeA), xaaBody(revokeA), xaaBody(revokeB)];
    expect(new Set(bodies.map((b) => JSON.parse(b).data.event_uuid)).size).toBe(bodies.length);
    const answers = [];
    for (const b of bodies) answers.push((await post(b)).status);
    expect(answers).toEqual(['accepted', 'duplicate', 'accepted', 'accepted', 'duplicate', 'accepted']);
    const got = (await handledCount(before + 4)).slice(before);
    expect(got.map((h) => [h.type, h.forUserId])).toEqual([
      ['dm.typing', U],
      ['dm.typing', U],
      ['app.revoke', U],
      ['app.revoke', OTHER],
    ]);
  });

  it('takes every canonical type in every format X delivers it in, as xaa trigger builds them', async () => {
    const before = handled().length;
    const pairs = SAMPLE_TYPES.flatMap((t) => SAMPLE_FORMATS[t].map((f) => [t, f] as const));
    // trigger's own steps (newActivity, sampleBody, sign, post), for a user no other test uses, a
    // second apart (an AAA and an XAA revoke of the same second are the same activity).
    const start = Date.now() - 3_600_000;
    for (const [i, [type, format]] of pairs.entries()) {
      const a = newActivity(type, '783214', { otherUserId: OTHER, at: new Date(start + i * 1_000) });
      expect(await post(sampleBody(a, format)), `${type} ${format}`).toMatchObject({ status: 'accepted' });
    }
    const got = (await handledCount(before + pairs.length)).slice(before);
    expect(got.map((h) => [h.type === 'unknown' ? h.source : h.type, h.format])).toEqual(
      pairs.map(([t, f]) => [t === 'unfollow' ? 'follow' : t === 'unblock' ? 'block' : t === 'unmute' ? 'mute' : t, f]),
    );
  });

  it('xaa trigger: the format defaults to one X delivers the type in, a variant picks the XAA type, others are refused', async () => {
    const before = handled().length;
    const env = { X_CONSUMER_SECRET: TEST_SECRET, PORT: String(port), DATABASE_URL: testDb.url, LOG_LEVEL: 'warn' };
    const user = ['--user-id', '6253282'];
    const chat = await runXaa(['trigger', 'chat.message', ...user, '--json'], env);
    expect(chat.code, chat.stderr).toBe(0);
    expect(JSON.parse(chat.stdout)).toMatchObject({ type: 'chat.message', format: 'xaa', eventType: 'chat.received', status: 200 });
    const quote = await runXaa(['trigger', 'post.create', '--format', 'xaa', '--variant', 'quoted', ...user, '--json'], env);
    expect(JSON.parse(quote.stdout)).toMatchObject({ eventType: 'post.quote.create', variant: 'quoted', status: 200 });
    const dm = await runXaa(['trigger', 'dm.typing', ...user, '--json'], env);
    expect(JSON.parse(dm.stdout)).toMatchObject({ type: 'dm.typing', format: 'aaa', status: 200 });
    const got = (await handledCount(before + 3)).slice(before);
    expect(got.map((h) => [h.type, h.source])).toEqual([
      ['chat.message', 'chat.received'],
      ['post.create', 'post.quote.create'],
      ['dm.typing', 'direct_message_indicate_typing_events'],
    ]);
    const refused = await runXaa(['trigger', 'chat.message', '--format', 'aaa'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/chat\.message has no AAA form: X delivers it by XAA only/);
    const badVariant = await runXaa(['trigger', 'space', '--variant', 'pause'], env);
    expect(badVariant.code).toBe(1);
    expect(badVariant.stderr).toMatch(/space has the variants start, end, not "pause"/);
  }, 120_000);
});
