import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestReceiver, type TestReceiver } from 'x-activity-receiver/testing';

// A real receiver (a temporary SQLite file, the handler loaded as `xaa serve` loads it, HTTP on
// 127.0.0.1): signed sample deliveries go in, the mentions file comes out.
let receiver: TestReceiver;
let dir: string;
let file: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mentions-test-'));
  file = path.join(dir, 'mentions.jsonl');
  receiver = await startTestReceiver({ handlers: ['./src/handlers/mentions.ts'], options: { mentions: { file } } });
});

after(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

test("a post that mentions the user is saved once; the user's own post and a follow are not mentions", async () => {
  const mention = await receiver.deliver('post.create', { text: 'hello from a test' });
  await receiver.deliver('post.create', { variant: 'author', text: 'my own post' });
  await receiver.deliver('follow');

  const events = await receiver.waitForHandlers();
  assert.deepEqual(
    events.map((e) => [e.type, e.status]),
    [
      ['post.create', 'done'],
      ['post.create', 'done'],
      ['follow', 'done'],
    ],
  );
  const saved = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { id: string; text: string });
  assert.equal(saved.length, 1);
  assert.equal(saved[0]!.id, mention.activity.id);
  assert.match(saved[0]!.text, /hello from a test/);
});

test('the same post delivered in the XAA format is saved too', async () => {
  const mention = await receiver.deliver('post.create', { format: 'xaa', text: 'hello over XAA' });
  await receiver.waitForHandlers();
  const saved = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { id: string });
  assert.equal(saved.at(-1)!.id, mention.activity.id);
});
