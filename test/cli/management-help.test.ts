import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerManagementCommands } from '../../src/cli/management.js';
import { repoRoot } from '../support/databases.js';
import { freePort, spawnXaa } from '../support/process.js';
import { runXaa, waitUntil } from './xaa-run.js';

function leaves(cmd: Command, prefix: string[] = []): Array<{ path: string[]; cmd: Command }> {
  const here = [...prefix, cmd.name()];
  if (cmd.commands.length === 0) return [{ path: here, cmd }];
  return cmd.commands.flatMap((c) => leaves(c, here));
}

describe('xaa management commands: --help and --json', () => {
  const program = registerManagementCommands(new Command('xaa'));
  const all = leaves(program).map((l) => ({ ...l, path: l.path.slice(1) }));

  it('every command has a description and help; every command but emulate has --json', () => {
    expect(all.length).toBeGreaterThanOrEqual(25);
    for (const { path, cmd } of all) {
      const help = cmd.helpInformation();
      expect(cmd.description(), path.join(' ')).not.toBe('');
      expect(help, path.join(' ')).toContain(`Usage: xaa ${path.join(' ')}`);
      if (path[0] !== 'emulate') expect(help, path.join(' ')).toContain('--json');
    }
  });

  it('--help exits 0 from the real binary, for groups and leaves', async () => {
    const samples = [['webhooks'], ['stream-links', 'add'], ['stream-rules'], ['subscriptions', 'add'], ['replay', 'run'], ['activity', 'create'], ['doctor'], ['dead-letters', 'redrive'], ['emulate']];
    const runs = await Promise.all(samples.map((s) => runXaa([...s, '--help'], {})));
    runs.forEach((r, i) => {
      expect(r.code, samples[i]!.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: xaa ${samples[i]!.join(' ')}`);
    });
  });

  it('--version (and -V) prints the package version, exit 0', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runXaa([flag], {});
      expect(r.code, flag).toBe(0);
      expect(r.stdout, flag).toBe(`${version}\n`);
    }
  });

  it('options with a fixed set of values reject others, listing the allowed values, before doing anything', async () => {
    const cases: Array<{ args: string[]; message: string }> = [
      { args: ['events', 'list', '--state', 'dead-lettered'], message: "option '--state <state>' argument 'dead-lettered' is invalid. Allowed choices are pending, failing, dead, done, stale." },
      { args: ['events', 'list', '--type', 'tweet'], message: "option '--type <type>' argument 'tweet' is invalid. Allowed choices are post.create, post.delete, like, follow," },
      { args: ['replay', 'run', '--from', '2h', '--api', 'v1'], message: "option '--api <api>' argument 'v1' is invalid. Allowed choices are xaa, aaa." },
      { args: ['trigger', 'follow', '--format', 'json'], message: "option '--format <format>' argument 'json' is invalid. Allowed choices are aaa, xaa, filtered_stream." },
      { args: ['trigger', 'retweet'], message: "command-argument value 'retweet' is invalid for argument 'type'. Allowed choices are post.create, post.delete, like, follow, unfollow," },
    ];
    // DATABASE_URL points nowhere usable: the value is refused before any database or X call.
    const runs = await Promise.all(cases.map((c) => runXaa(c.args, { DATABASE_URL: 'postgresql://u@127.0.0.1:1/db', X_CONSUMER_SECRET: 'choices-secret' })));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(cases[i]!.message);
      expect(r.stderr).not.toMatch(/database|cannot reach/);
    });
  });

  it('emulate runs the stand-in with the credentials of the environment, in test mode on request', async () => {
    const port = await freePort();
    const run = spawnXaa(['emulate', '--port', String(port), '--allow-loopback-http'], { X_BEARER_TOKEN: 'emulate-bearer', X_CONSUMER_SECRET: 'emulate-secret' });
    try {
      await waitUntil('the stand-in to listen', () => run.output().includes('listening'));
      expect(run.output()).toContain(`X_API_BASE_URL=http://127.0.0.1:${port}`);
      expect(run.output()).not.toContain('emulate-secret');
      const res = await fetch(`http://127.0.0.1:${port}/2/webhooks`, { headers: { authorization: 'Bearer emulate-bearer' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
      const denied = await fetch(`http://127.0.0.1:${port}/2/webhooks`, { headers: { authorization: 'Bearer wrong' } });
      expect(denied.status).toBe(401);
      expect(await denied.json()).toMatchObject({ title: 'Unauthorized' });
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
  });

  it('emulate refuses to run with NODE_ENV=production unless told to', async () => {
    const port = await freePort();
    const refused = spawnXaa(['emulate', '--port', String(port)], { NODE_ENV: 'production', X_CONSUMER_SECRET: 'a-production-secret' });
    expect((await refused.exited).code).toBe(1);
    expect(refused.output()).toContain('xaa: emulate is a development tool and does not run with NODE_ENV=production');
    expect(refused.output()).not.toContain('a-production-secret');
    const allowed = spawnXaa(['emulate', '--port', String(port), '--allow-production'], { NODE_ENV: 'production' });
    try {
      await waitUntil('the stand-in to listen', () => allowed.output().includes('listening'));
    } finally {
      allowed.child.kill('SIGTERM');
    }
    expect((await allowed.exited).code).toBe(0);
  });
});
