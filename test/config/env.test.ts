import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/index.js';

describe('readEnvironment: the process environment over the working directory .env', () => {
  const saved = { XAA_TEST_EMPTY: process.env.XAA_TEST_EMPTY, XAA_TEST_SET: process.env.XAA_TEST_SET };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-env-'));
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('lets a value set in the environment win, and an empty one leave the file value in place', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'XAA_TEST_EMPTY=/from-file\nXAA_TEST_SET=from-file\nXAA_TEST_ONLY_FILE=only\n');
    process.env.XAA_TEST_EMPTY = ''; // as `XAA_TEST_EMPTY: ${XAA_TEST_EMPTY}` in a compose file, unset on the host
    process.env.XAA_TEST_SET = 'from-environment';
    const env = readEnvironment(dir);
    expect(env.XAA_TEST_EMPTY).toBe('/from-file');
    expect(env.XAA_TEST_SET).toBe('from-environment');
    expect(env.XAA_TEST_ONLY_FILE).toBe('only');
    expect(env.PATH).toBe(process.env.PATH);
  });
});
