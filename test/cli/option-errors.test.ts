import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runXaa } from './xaa-run.js';

/** A port nothing listens on: one the system gave and took back. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What a user sees on a mistake: one line on stderr, exit 1, no stack trace. */
function expectOneLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('xaa: the mistakes of a first hour get one clear line', () => {
  it('trigger with no receiver listening names the URL and what to check (fetch said only "fetch failed")', async () => {
    const port = await closedPort();
    const result = await runXaa(['trigger', 'follow'], { X_CONSUMER_SECRET: 'a-consumer-secret-for-tests', PORT: String(port) });
    expectOneLine(result, new RegExp(`^xaa: cannot post to http://127\\.0\\.0\\.1:${port}/webhook: connection refused: is the receiver running there`));
    expect(result.stderr).not.toContain('a-consumer-secret-for-tests');
  });

  it('emulate refuses a port that is not a number, or out of range, naming the option (Node said "options.port should be >= 0")', async () => {
    expectOneLine(await runXaa(['emulate', '--port', 'abc'], {}), /^error: option '--port <port>' argument 'abc' is invalid\. expected a whole number from 0 to 65535\.$/);
    expectOneLine(await runXaa(['emulate', '--port', '70000'], {}), /^error: option '--port <port>' argument '70000' is invalid\./);
    expectOneLine(await runXaa(['emulate', '--max-webhooks', 'two'], {}), /^error: option '--max-webhooks <n>' argument 'two' is invalid\. expected a whole number of at least 1\.$/);
  });

  it('dev --emulate-port and migrate --max-subscriptions go through the same check (99999 reached Node as "options.port should be < 65536"; "" was a cap of 0, "1e3" one of 1000)', async () => {
    expectOneLine(await runXaa(['dev', '--emulate', '--emulate-port', '99999'], {}), /^error: option '--emulate-port <port>' argument '99999' is invalid\. expected a whole number from 0 to 65535\.$/);
    expectOneLine(await runXaa(['dev', '--emulate', '--emulate-port', 'abc'], {}), /^error: option '--emulate-port <port>' argument 'abc' is invalid\./);
    for (const cap of ['', '1e3', '-1']) {
      expectOneLine(await runXaa(['migrate', 'plan', '--max-subscriptions', cap], {}), new RegExp(`^error: option '--max-subscriptions <n>' argument '${cap}' is invalid\\. expected a whole number of at least 0\\.$`));
    }
    expectOneLine(await runXaa(['migrate', 'apply', '--max-subscriptions', 'ten'], {}), /^error: option '--max-subscriptions <n>' argument 'ten' is invalid\./);
  });

  it('replay run and replay status refuse a --timeout that is not a duration, naming the option, before opening anything (status opened the database first)', async () => {
    expectOneLine(await runXaa(['replay', 'run', '--from', '2h', '--wait', '--timeout', 'soon'], {}), /^error: option '--timeout <duration>' argument 'soon' is invalid\. expected a duration such as 90s or 5m\.$/);
    expectOneLine(await runXaa(['replay', 'status', '1', '--timeout', '5 minutes'], { DATABASE_URL: 'postgresql://127.0.0.1:1/none' }), /^error: option '--timeout <duration>' argument '5 minutes' is invalid\./);
  });

  it('emulate on a port in use says so and how to move it (was "listen EADDRINUSE: address already in use")', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expectOneLine(await runXaa(['emulate', '--port', String(port)], {}), new RegExp(`^xaa: port ${port} is in use: run the X stand-in on another with --port <port>$`));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('events list and dead-letters list refuse a --limit that is not a whole number of at least 1 (it was silently 50, or taken as negative)', async () => {
    for (const limit of ['abc', '-5', '0', '2.5']) {
      expectOneLine(await runXaa(['events', 'list', '--limit', limit], {}), new RegExp(`^error: option '--limit <n>' argument '${limit.replace('.', '\\.')}' is invalid\\. expected a whole number of at least 1\\.$`));
    }
    expectOneLine(await runXaa(['dead-letters', 'list', '--limit', 'abc'], {}), /^error: option '--limit <n>' argument 'abc' is invalid\./);
  });
});
