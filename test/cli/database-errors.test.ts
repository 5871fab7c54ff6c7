import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresUrl, type TestDatabase } from '../support/databases.js';
import { freePort } from '../support/process.js';
import { runXaa } from './xaa-run.js';

/** Every database problem is one line on stderr, says where, and never prints a password. */
describe('xaa: database errors are one line', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-db-errors-'));
  const dropLater: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dropLater.map((d) => d.drop()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const oneLine = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    return lines[0]!;
  };

  it('an unreachable PostgreSQL server: "cannot reach the database server at host:port (DATABASE_URL)"', async () => {
    const port = await freePort();
    const r = await runXaa(['events', 'list'], { DATABASE_URL: `postgresql://u:N0tPrinted-pw@127.0.0.1:${port}/db` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`xaa: cannot reach the database server at 127.0.0.1:${port} (DATABASE_URL)`);
    expect(r.stdout + r.stderr).not.toContain('N0tPrinted-pw');
  });

  it('a SQLite path under a regular file: names the file and the system error', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const r = await runXaa(['events', 'list'], { DATABASE_URL: `file:${file}/data/xaa.db` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^xaa: cannot create the folder of the SQLite database file ${file}/data/xaa\\.db \\(DATABASE_URL\\): (ENOTDIR|EEXIST) \\(`));
  });

  it('a file that is not a SQLite database', async () => {
    const file = path.join(tmp, 'garbage.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 'x'));
    const r = await runXaa(['dead-letters', 'list'], { DATABASE_URL: `file:${file}` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`xaa: ${file} (DATABASE_URL) is not a SQLite database`);
  });

  it('doctor notes the problem in one line and reports the database check failed', async () => {
    const port = await freePort();
    const r = await runXaa(['doctor'], { DATABASE_URL: `postgresql://u:N0tPrinted-pw@127.0.0.1:${port}/db`, X_CONSUMER_SECRET: 'doctor-secret' });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`note: cannot reach the database server at 127.0.0.1:${port} (DATABASE_URL); continuing without local records`);
    expect(r.stdout).toMatch(/fail\s+database/);
    expect(r.stdout + r.stderr).not.toContain('N0tPrinted-pw');
  });

  it.runIf(Boolean(postgresUrl()))('PostgreSQL: an unknown role and a missing database, without the password', async () => {
    const server = new URL(postgresUrl()!);
    const role = new URL(server);
    role.username = 'no_such_role';
    role.password = 'Role-pw-N0tPrinted';
    const denied = await runXaa(['events', 'list'], { DATABASE_URL: role.toString() });
    expect(denied.code).toBe(1);
    expect(oneLine(denied.stderr)).toMatch(new RegExp(`^xaa: the database server at ${server.hostname}:${server.port} .*no_such_role`));
    expect(denied.stderr).not.toContain('Role-pw-N0tPrinted');

    const missing = new URL(server);
    missing.pathname = '/xaa_no_such_database';
    missing.password = 'Db-pw-N0tPrinted';
    const r = await runXaa(['events', 'list'], { DATABASE_URL: missing.toString() });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      `xaa: the database "xaa_no_such_database" does not exist on the server at ${server.hostname}:${server.port} (DATABASE_URL): create it, then run \`xaa db migrate\``,
    );
    expect(r.stderr).not.toContain('Db-pw-N0tPrinted');
  });

  it('a database without migrations: one line naming xaa db migrate', async () => {
    const db = await freshDatabase('sqlite');
    dropLater.push(db);
    const r = await runXaa(['events', 'list'], { DATABASE_URL: db.url });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^xaa: the database at DATABASE_URL \(sqlite .*\) has \d+ pending migration\(s\): run `xaa db migrate`$/);
  });
});
