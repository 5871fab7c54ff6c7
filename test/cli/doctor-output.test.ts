import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { runXaa } from './xaa-run.js';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: string; detail: string }>;
  credentials: Array<{ operation: string; needs: string; ok: boolean; missing: string[] }>;
}

/** doctor's output through a pipe (not a terminal): every sentence whole, wrapped, nothing cut. */
describe('xaa doctor: piped output is wrapped, never cut', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await migratedDatabase('sqlite');
  });
  afterAll(async () => testDb?.drop());

  // No X credentials at all: the long "what to set" details.
  const env = () => ({ DATABASE_URL: testDb.url });
  const squash = (s: string) => s.replace(/\s+/g, ' ');

  it('prints every detail in full, wrapped at 100 columns, and all of it arrives before the exit', async () => {
    const json = await runXaa(['doctor', '--json'], env());
    const report = JSON.parse(json.stdout) as Report;
    const long = report.checks.filter((c) => c.detail.length > 80);
    expect(long.length).toBeGreaterThanOrEqual(2);

    const human = await runXaa(['doctor'], env());
    expect(human.code).toBe(1);
    expect(human.stdout).not.toContain('…');
    const text = squash(human.stdout);
    for (const c of report.checks) expect(text).toContain(squash(c.detail));
    expect(text).toContain("X_CONSUMER_SECRET is not set: the receiver cannot answer CRCs or verify deliveries (set it to the app's consumer secret)");
    // Wrapped: no line over 100 columns, unless it is one word too long to break (a URL).
    for (const line of human.stdout.split('\n')) {
      if (line.length > 100) expect(line.trim(), line).not.toContain(' ');
    }
    // The credentials table, the last thing printed, arrived to its end.
    const last = report.credentials[report.credentials.length - 1]!;
    expect(text).toContain(last.operation.split(' ').slice(0, 2).join(' '));
    expect(human.stdout.endsWith('\n')).toBe(true);
  });
});
