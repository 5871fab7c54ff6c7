// `xaa stream-links` and `xaa stream-rules` from the real binary against the X stand-in: link the
// filtered stream to a webhook (with the fields the deliveries carry), list, unlink; X's errors
// (an unknown webhook) and the CLI's own (a malformed id, no bearer token) in one line, exit 1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crcResponseToken } from '../../src/receiver/crc.js';
import { XStandIn } from '../../src/testing/x-standin/index.js';
import { standinEnv } from '../support/standin.js';
import { runXaa } from './xaa-run.js';

const APP = { consumerKey: 'links-consumer-key', consumerSecret: 'links-consumer-secret-0123456789', bearerToken: 'links-app-bearer-token' };

describe('xaa stream-links and stream-rules through the CLI, against the X stand-in', { timeout: 180_000 }, () => {
  let standin: XStandIn;
  let endpoint: http.Server;
  let webhookId: string;
  const received: string[] = [];
  const env = (over: Record<string, string | undefined> = {}) => ({
    ...standinEnv(standin.url, APP),
    // No database needed: stream links are not mirrored locally.
    DATABASE_URL: 'postgresql://u@127.0.0.1:1/db',
    X_API_RETRIES: '0',
    ...over,
  });

  beforeAll(async () => {
    endpoint = http.createServer((req, res) => {
      const token = new URL(req.url!, 'http://x').searchParams.get('crc_token') ?? '';
      if (req.method === 'GET') return void res.writeHead(200).end(JSON.stringify({ response_token: crcResponseToken(APP.consumerSecret, token) }));
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    standin = new XStandIn({ ...APP, allowLoopbackHttp: true });
    await standin.start();
    webhookId = (await standin.createWebhook(`http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/webhook`)).id;
  });

  afterAll(async () => {
    await standin?.stop();
    await new Promise((r) => endpoint.close(r));
  });

  it('add links the only webhook (with the fields asked for), list shows it, remove unlinks it', async () => {
    const add = await runXaa(['stream-links', 'add', '--expansions', 'author_id', '--user-fields', 'username, name'], env());
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout.trim()).toBe(`linked the filtered stream to webhook ${webhookId}: Posts matching the app's rules are delivered to it (post.match events)`);
    expect(standin.requests.filter((r) => r.route.startsWith('POST /2/tweets/search/webhooks'))).toEqual([{ route: 'POST /2/tweets/search/webhooks/:webhook_id', status: 200, auth: 'bearer' }]);

    const list = await runXaa(['stream-links', 'list', '--json'], env());
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ webhook_id: webhookId, fields: ['expansions=author_id', 'user.fields=username', 'name'] })]);
    const human = await runXaa(['stream-links', 'list'], env());
    expect(human.stdout).toMatch(new RegExp(`^WEBHOOK_ID\\s+FIELDS.*\\n${webhookId}\\s+expansions=author_id user.fields=username,name`));

    // Linked: a matching post reaches the webhook, signed, in the filtered-stream shape.
    const rule = await runXaa(['stream-rules', 'add', 'launch', '--tag', 'launches', '--json'], env());
    expect(rule.code, rule.stderr).toBe(0);
    const ruleId = (JSON.parse(rule.stdout) as { rules: Array<{ id: string }> }).rules[0]!.id;
    const sent = await standin.emitPost({ text: 'the launch is today' });
    expect(sent.deliveries.map((d) => d.status)).toEqual([200]);
    expect(JSON.parse(received.at(-1)!)).toMatchObject({ data: { id: sent.activity.id, text: 'the launch is today' }, matching_rules: [{ id: ruleId, tag: 'launches' }], includes: { users: [{ id: '1375036644' }] } });

    const remove = await runXaa(['stream-links', 'remove', webhookId, '--json'], env());
    expect(remove.code, remove.stderr).toBe(0);
    expect(JSON.parse(remove.stdout)).toEqual({ webhook_id: webhookId, deleted: true, problems: [] });
    expect(JSON.parse((await runXaa(['stream-links', 'list', '--json'], env())).stdout)).toEqual([]);
    expect((await runXaa(['stream-links', 'list'], env())).stdout.trim()).toBe('no webhook is linked to the filtered stream');
    // Not linked any more: removing again says X deleted nothing, exit 1.
    const again = await runXaa(['stream-links', 'remove', webhookId], env());
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/X answered without deleted: true/);
  });

  it('an unknown webhook id is X\'s error in one line; a malformed one and a missing bearer token fail before calling X', async () => {
    const calls = () => standin.requests.filter((r) => r.route.includes('/2/tweets/search/webhooks')).length;
    const unknown = await runXaa(['stream-links', 'add', '123456789'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^xaa: .*link the filtered stream to webhook 123456789 .*WebhookIdInvalid.*123456789/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);

    const before = calls();
    const malformed = await runXaa(['stream-links', 'remove', 'abc'], env());
    expect(malformed.code).toBe(1);
    expect(malformed.stderr.trim()).toBe('xaa: not a webhook id: "abc" (webhook ids are numbers of up to 19 digits, see `xaa webhooks list`)');
    const noToken = await runXaa(['stream-links', 'list'], env({ X_BEARER_TOKEN: undefined }));
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/X_BEARER_TOKEN/);
    expect(noToken.stderr).not.toContain(APP.consumerSecret);
    expect(calls()).toBe(before);
  });

  it('stream-rules: add (a duplicate reported per rule), list, remove', async () => {
    const add = await runXaa(['stream-rules', 'add', 'coffee -is:retweet', '--tag', 'coffee'], env());
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^added rule \d+: coffee -is:retweet \[coffee\]/);
    const dup = await runXaa(['stream-rules', 'add', 'coffee -is:retweet'], env());
    expect(dup.code).toBe(1);
    expect(dup.stdout).toMatch(/not added: coffee -is:retweet: DuplicateRule/);
    const list = JSON.parse((await runXaa(['stream-rules', 'list', '--json'], env())).stdout) as Array<{ id: string; value: string; tag?: string }>;
    expect(list.map((r) => [r.value, r.tag])).toEqual([
      ['launch', 'launches'],
      ['coffee -is:retweet', 'coffee'],
    ]);
    const remove = await runXaa(['stream-rules', 'remove', ...list.map((r) => r.id)], env());
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stdout).toMatch(/deleted rule\(s\) .* \(deleted 2, not deleted 0\)/);
    expect(standin.streamRules.size).toBe(0);
    const bad = await runXaa(['stream-rules', 'remove', 'x1'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a rule id: x1/);
  });
});

describe('xaa stream-links when X answers 200 without doing it', { timeout: 120_000 }, () => {
  // X's spec allows `errors` beside `data` in these answers: a server over loopback answering so.
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const data = req.method === 'POST' ? { provisioned: false } : { deleted: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, errors: [{ title: 'Forbidden', detail: 'The stream instance is not provisioned for this app' }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each([
    ['add', 'provisioned'],
    ['remove', 'deleted'],
  ])('%s says what X said, exit 1', async (sub, flag) => {
    const env = { X_API_BASE_URL: base, X_BEARER_TOKEN: APP.bearerToken, DATABASE_URL: 'postgresql://u@127.0.0.1:1/db', X_API_RETRIES: '0' };
    const human = await runXaa(['stream-links', sub, '1800000000000000003'], env);
    expect(human.code).toBe(1);
    expect(human.stdout.trim()).toBe(
      `webhook 1800000000000000003: X answered without ${flag}: true (Forbidden: The stream instance is not provisioned for this app); check it with \`xaa stream-links list\``,
    );
    const json = await runXaa(['stream-links', sub, '1800000000000000003', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ [flag]: false, problems: ['Forbidden: The stream instance is not provisioned for this app'] });
  });
});
