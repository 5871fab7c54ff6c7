// Events reach handlers in two ways through the SQLite writer of `xaa serve`: pushed from the
// commit that stored them, or claimed from the store (a backlog: events stored while no plugin was
// loaded, after a restart, or while the dispatcher had too many in hand). A claimed event that is
// its delivery's only activity goes with the delivery's body, as a pushed one does, and is parsed
// when a handler reads it; one of several goes as text. Either way a plugin must see exactly the
// same event: this runs the same deliveries both ways through the real server and compares.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aaaBody, newActivity, sampleBody, SAMPLE_FORMATS, SAMPLE_TYPES, type Activity } from '../../src/testing/samples.js';
import { postSigned } from '../support/app.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { lines, pluginEnv, spawnServe, stopSpawned, until, type Served } from '../support/process.js';

const U = '2244994945';
const OTHER = '1375036644';

/** One AAA delivery carrying two posts (X batches activities of one kind per delivery). */
function twoPosts(a: Activity, b: Activity): string {
  const head = '"tweet_create_events":[';
  const first = aaaBody(a);
  const second = aaaBody(b);
  const inner = second.slice(second.indexOf(head) + head.length, second.lastIndexOf(']}'));
  return `${first.slice(0, first.lastIndexOf(']}'))},${inner}]}`;
}

/** Every canonical type in every format, a second apart, and two deliveries of two posts each. */
function deliveries(): string[] {
  const start = Date.now() - 3_600_000;
  const bodies = SAMPLE_TYPES.flatMap((t, i) =>
    SAMPLE_FORMATS[t].map((f, j) => sampleBody(newActivity(t, U, { otherUserId: OTHER, at: new Date(start + (i * 4 + j) * 1_000) }), f)),
  );
  for (const k of [0, 1]) {
    const at = start - (k + 1) * 60_000;
    bodies.push(
      twoPosts(
        newActivity('post.create', U, { otherUserId: OTHER, at: new Date(at), variant: 'mentioned', text: `first ${k}` }),
        newActivity('post.create', U, { otherUserId: OTHER, at: new Date(at + 1_000), variant: 'author', text: `second ${k}` }),
      ),
    );
  }
  return bodies;
}

describe('events claimed from the store and events pushed from the commit', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function serve(env: Record<string, string>): Promise<Served> {
    const testDb = await migratedDatabase('sqlite');
    cleanup.push(() => testDb.drop());
    const proc = await spawnServe(testDb.url, env);
    cleanup.push(() => stopSpawned(proc, 'SIGKILL'));
    return proc;
  }

  async function postAll(url: string, bodies: string[]): Promise<void> {
    for (const body of bodies) {
      const res = await postSigned(url, body);
      expect(res.status, body.slice(0, 200)).toBe(200);
    }
  }

  function recorderDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-claimed-'));
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** The handled lines of the normalized plugin, once `n` arrived, by event id. */
  async function handled(dir: string, n: number): Promise<Map<string, unknown>> {
    const file = path.join(dir, 'handled.log');
    await until(() => fs.existsSync(file) && lines(file).length >= n, 60_000);
    return new Map(lines(file).map((l) => [(JSON.parse(l) as { id: string }).id, JSON.parse(l) as unknown]));
  }

  it('reach a plugin as the same events, single- and multi-activity deliveries alike', async () => {
    const bodies = deliveries();

    // Pushed: the plugin is loaded when the deliveries arrive.
    const pushedDir = recorderDir();
    const pushed = await serve({ ...pluginEnv('./test/fixtures/plugins/normalized.ts', pushedDir) });
    await postAll(`http://127.0.0.1:${pushed.port}/webhook`, bodies);
    const events = bodies.length + 2;
    const viaPush = await handled(pushedDir, events);

    // Claimed: stored by a receiver without plugins, then handled by one started with the plugin.
    const claimedDir = recorderDir();
    const testDb = await migratedDatabase('sqlite');
    cleanup.push(() => testDb.drop());
    const storing = await spawnServe(testDb.url, { LOG_LEVEL: 'warn' });
    await postAll(`http://127.0.0.1:${storing.port}/webhook`, bodies);
    await stopSpawned(storing, 'SIGTERM');
    const handling = await spawnServe(testDb.url, { ...pluginEnv('./test/fixtures/plugins/normalized.ts', claimedDir), DISPATCH_POLL_MS: '50' });
    cleanup.push(() => stopSpawned(handling, 'SIGKILL'));
    const viaClaim = await handled(claimedDir, events);

    expect(viaPush.size).toBe(events);
    expect(viaClaim.size).toBe(events);
    expect([...viaClaim.keys()].sort()).toEqual([...viaPush.keys()].sort());
    for (const [id, line] of viaPush) expect(viaClaim.get(id), id).toStrictEqual(line);
    // The two-post deliveries gave two events each, with their own text.
    const texts = [...viaClaim.values()].map((l) => JSON.stringify(l));
    for (const text of ['first 0', 'second 0', 'first 1', 'second 1']) expect(texts.filter((t) => t.includes(text)), text).toHaveLength(1);
  });
});
