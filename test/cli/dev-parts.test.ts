// The parts of `xaa dev` that stand alone: the webhook URL from --url, the source watcher, the lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookUrlFrom } from '../../src/cli/dev/command.js';
import { deliveryLine, formatDelivery, formatHandler, handlerLine } from '../../src/cli/dev/lines.js';
import { watchSources, type SourceWatcher } from '../../src/cli/dev/watch.js';
import { until } from '../support/process.js';

describe('webhookUrlFrom (--url)', () => {
  it('appends WEBHOOK_PATH to a bare tunnel URL and keeps a URL whose path is WEBHOOK_PATH', () => {
    expect(webhookUrlFrom('https://abc123.ngrok.app', '/webhook')).toBe('https://abc123.ngrok.app/webhook');
    expect(webhookUrlFrom('https://abc123.ngrok.app/', '/x/hook')).toBe('https://abc123.ngrok.app/x/hook');
    expect(webhookUrlFrom('https://abc123.ngrok.app/webhook', '/webhook')).toBe('https://abc123.ngrok.app/webhook');
  });

  it('rejects a path the receiver does not answer on (a tunnel passes the path through)', () => {
    expect(() => webhookUrlFrom('https://tunnel.example/prefix/webhook', '/webhook')).toThrow(
      '--url "https://tunnel.example/prefix/webhook" has the path /prefix/webhook, but the receiver answers on WEBHOOK_PATH (/webhook): give the URL without a path, or set WEBHOOK_PATH=/prefix/webhook',
    );
  });

  it('rejects what is not an http(s) URL, saying what to give', () => {
    expect(() => webhookUrlFrom('abc123.ngrok.app', '/webhook')).toThrow('--url "abc123.ngrok.app" is not a URL: give the public URL of your tunnel, e.g. https://abc123.ngrok.app');
    expect(() => webhookUrlFrom('ftp://host/', '/webhook')).toThrow('--url "ftp://host/" is not an http(s) URL');
  });
});

describe('watchSources', () => {
  let dir: string | undefined;
  let watcher: SourceWatcher | undefined;
  afterEach(() => {
    watcher?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports changed source files under the roots, in folders created later too, and never under node_modules or hidden folders', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-watch-'));
    const root = dir;
    for (const sub of ['handlers/lib', 'node_modules/dep', '.git']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    fs.writeFileSync(path.join(root, 'handlers/crm.ts'), '1');
    const batches: string[][] = [];
    watcher = watchSources([path.join(root, 'handlers/crm.ts'), root], (files) => batches.push(files), { quietMs: 20 });
    expect(watcher.folders().sort()).toEqual([root, path.join(root, 'handlers'), path.join(root, 'handlers/lib')].sort());

    // Changes under node_modules and .git come first: were they watched, they would be reported before or with the next one.
    fs.writeFileSync(path.join(root, 'node_modules/dep/index.js'), 'x');
    fs.writeFileSync(path.join(root, '.git/hook.js'), 'x');
    fs.writeFileSync(path.join(root, 'data.db'), 'not a source');
    fs.writeFileSync(path.join(root, 'handlers/lib/util.ts'), '2');
    await until(() => batches.flat().some((f) => f.endsWith('util.ts')));
    expect(batches.flat().every((f) => f === path.join(root, 'handlers/lib/util.ts'))).toBe(true);

    // A folder made while watching is watched from then on.
    fs.mkdirSync(path.join(root, 'handlers/new'));
    await until(() => watcher!.folders().includes(path.join(root, 'handlers/new')));
    fs.writeFileSync(path.join(root, 'handlers/new/more.mjs'), '3');
    await until(() => batches.flat().some((f) => f.endsWith('more.mjs')));
  });
});

describe('dev lines', () => {
  it('describes a delivery by its events: type, format, user, new or duplicate, status, time', () => {
    const body = Buffer.from(JSON.stringify({ for_user_id: '42', favorite_events: [{ id: '7', created_at: 'Mon Dec 01 00:00:00 +0000 2026', favorited_status: { id_str: '9' }, user: { id_str: '5' } }] }));
    const fresh = deliveryLine({ body, reply: { status: 200, body: { status: 'accepted', events: 1, duplicates: 0 } }, ms: 3.14 });
    expect(fresh).toMatchObject({ types: ['like'], format: 'aaa', users: ['42'], outcome: 'new', status: 200, ms: 3.1 });
    expect(formatDelivery(fresh)).toBe('delivery  like  aaa  user 42  new  200  3.1 ms');
    const again = deliveryLine({ body, reply: { status: 200, body: { status: 'duplicate', events: 0, duplicates: 1 } }, ms: 1 });
    expect(formatDelivery(again)).toBe('delivery  like  aaa  user 42  duplicate  200  1 ms');
  });

  it('describes a failed handler run with its attempt, error and retry time', () => {
    const line = handlerLine({
      plugin: 'crm',
      ok: false,
      seconds: 0.0123,
      lagSeconds: 0.01,
      attempt: 2,
      event: { id: '42:follow:1', type: 'follow', format: 'xaa', forUserId: '42' },
      error: 'Error: boom',
      retryAt: new Date('2026-12-01T06:00:00.000Z'),
    });
    expect(formatHandler(line)).toBe('handler   crm  follow  xaa  user 42  failed  12.3 ms (attempt 2): Error: boom; retry at 2026-12-01T06:00:00.000Z');
    expect(handlerLine({ plugin: 'crm', ok: false, seconds: 1, lagSeconds: null, attempt: 8, event: { id: 'e', type: 'like', format: 'aaa', forUserId: null }, error: 'Error: boom', retryAt: null }).outcome).toBe('dead-lettered');
  });
});
