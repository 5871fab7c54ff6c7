import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, handlerOptionsVariable, loadConfig, parseDotEnv, requireReceiver, secretValues } from '../../src/config/index.js';

const cwd = '/srv/app';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has defaults: port 3000, /webhook, a SQLite file under ./data of the working directory', () => {
    const config = loadConfig({}, cwd);
    expect(config.port).toBe(3000);
    expect(config.webhookPath).toBe('/webhook');
    expect(config.logLevel).toBe('info');
    expect(config.database.provider).toBe('sqlite');
    expect(config.database.file).toBe(path.join(cwd, 'data', 'xaa.db'));
    expect(config.database.sqliteSynchronous).toBe('FULL');
  });

  it('reads per-user OAuth 2.0 tokens from X_OAUTH2_USER_TOKEN_<user id>, counts them as secrets, and names a malformed variable', () => {
    const config = loadConfig({ X_OAUTH2_USER_TOKEN: 'default-token', X_OAUTH2_USER_TOKEN_2244994945: 'alice-token', X_OAUTH2_USER_TOKEN_42: '' }, cwd);
    expect(config.x.oauth2UserToken).toBe('default-token');
    expect(config.x.oauth2UserTokens).toEqual({ '2244994945': 'alice-token' });
    expect(secretValues(config)).toContain('alice-token');
    const message = errorOf(() => loadConfig({ X_OAUTH2_USER_TOKEN_ALICE: 'a-token' }, cwd));
    expect(message).toMatch(/^X_OAUTH2_USER_TOKEN_ALICE is invalid: the name must end in the numeric X user id/);
    expect(message).not.toContain('a-token');
  });

  it('resolves file: paths relative to the working directory or as absolute', () => {
    expect(loadConfig({ DATABASE_URL: 'file:db/x.sqlite' }, cwd).database.file).toBe('/srv/app/db/x.sqlite');
    expect(loadConfig({ DATABASE_URL: 'file:/var/lib/xaa/x.db' }, cwd).database.file).toBe('/var/lib/xaa/x.db');
  });

  it('switches to PostgreSQL on a postgresql:// URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://u:p@db.example:5432/xaa' }, cwd);
    expect(config.database.provider).toBe('postgresql');
    expect(config.database.url).toBe('postgresql://u:p@db.example:5432/xaa');
  });

  it('names the variable and the expectation, never the value', () => {
    const bad = errorOf(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@x/db' }, cwd));
    expect(bad).toMatch(/^DATABASE_URL /);
    expect(bad).not.toContain('hunter2');
    expect(errorOf(() => loadConfig({ PORT: 'eighty' }, cwd))).toMatch(/^PORT is invalid: expected a TCP port/);
    expect(errorOf(() => loadConfig({ LOG_LEVEL: 'loud' }, cwd))).toMatch(/^LOG_LEVEL is invalid/);
    expect(errorOf(() => loadConfig({ WEBHOOK_PATH: 'webhook' }, cwd))).toMatch(/^WEBHOOK_PATH is invalid/);
    // Of the URL's shape but not a URL (the stream consumer would stop on it at its first connection).
    expect(errorOf(() => loadConfig({ X_API_BASE_URL: 'http://[bad' }, cwd))).toMatch(/^X_API_BASE_URL is invalid: expected an http\(s\) URL/);
    for (const message of [bad]) expect(message.split('\n')).toHaveLength(1);
  });

  it('takes a number setting only as digits: a blank is not 0, nor are signs, exponents or hex numbers', () => {
    // Number(" ") is 0: a blank limit would turn it off, a blank PORT pick a random port.
    for (const [key, value] of [
      ['PORT', ' '],
      ['HTTP_MAX_CONNECTIONS_PER_CLIENT', '  '],
      ['RATE_LIMIT_PER_MINUTE', '\t'],
      ['SHUTDOWN_TIMEOUT_MS', '1e3'],
      ['DISPATCH_CONCURRENCY', '0x10'],
      ['RETENTION_DAYS', '+7'],
    ] as const) {
      expect(errorOf(() => loadConfig({ [key]: value }, cwd)), `${key}=${JSON.stringify(value)}`).toMatch(new RegExp(`^${key} is invalid: expected `));
    }
    expect(loadConfig({ PORT: ' 8080 ', RETENTION_DAYS: '0.5' }, cwd)).toMatchObject({ port: 8080 });
  });

  it('limits a handler attempt to a minute by default; DISPATCH_HANDLER_TIMEOUT_MS=0 lifts the limit', () => {
    expect(loadConfig({}, cwd).dispatch.handlerTimeoutMs).toBe(60_000);
    expect(loadConfig({ DISPATCH_HANDLER_TIMEOUT_MS: '0' }, cwd).dispatch.handlerTimeoutMs).toBe(0);
    expect(loadConfig({ DISPATCH_HANDLER_TIMEOUT_MS: '5000' }, cwd).dispatch.handlerTimeoutMs).toBe(5_000);
    for (const value of ['-1', '2147483648']) {
      expect(errorOf(() => loadConfig({ DISPATCH_HANDLER_TIMEOUT_MS: value }, cwd))).toMatch(/^DISPATCH_HANDLER_TIMEOUT_MS is invalid: expected milliseconds up to 2147483647/);
    }
  });

  it('requires X_CONSUMER_SECRET to receive', () => {
    const message = errorOf(() => requireReceiver(loadConfig({ X_CONSUMER_SECRET: '' }, cwd)));
    expect(message).toMatch(/^X_CONSUMER_SECRET is required/);
    expect(requireReceiver(loadConfig({ X_CONSUMER_SECRET: 's3cret-value' }, cwd)).consumerSecret).toBe('s3cret-value');
  });

  it('reads .env syntax: comments, quotes, export', () => {
    expect(
      parseDotEnv('# c\nexport A=1\nB="two words"\nC=\'x#y\'\nD=plain # trailing\n\nbad line\n'),
    ).toEqual({ A: '1', B: 'two words', C: 'x#y', D: 'plain' });
  });

  it('reads HANDLER_OPTIONS_<NAME> variables as JSON, naming a malformed one without its value', () => {
    const config = loadConfig(
      {
        HANDLER_OPTIONS_FORWARDER: '{"url":"https://hooks.example/in","secret":"fwd-secret-value","nested":{"api_token":"tok-value"}}',
        HANDLER_OPTIONS_DM_AUTO_REPLY: '{"text":"thanks"}',
        HANDLER_OPTIONS_EMPTY: '',
      },
      cwd,
    );
    expect(config.dispatch.handlerOptions).toEqual({
      HANDLER_OPTIONS_FORWARDER: { url: 'https://hooks.example/in', secret: 'fwd-secret-value', nested: { api_token: 'tok-value' } },
      HANDLER_OPTIONS_DM_AUTO_REPLY: { text: 'thanks' },
    });
    // Option values under secret-looking keys are scrubbed from logs like the X credentials.
    const secrets = secretValues(config);
    expect(secrets).toContain('fwd-secret-value');
    expect(secrets).toContain('tok-value');
    expect(secrets).not.toContain('thanks');
    expect(secrets).not.toContain('https://hooks.example/in');

    const bad = errorOf(() => loadConfig({ HANDLER_OPTIONS_CRM: "{url: 'https://crm.example', token: 'hunter2'}" }, cwd));
    expect(bad).toMatch(/^HANDLER_OPTIONS_CRM is invalid: expected JSON/);
    expect(bad).not.toContain('hunter2');
  });

  it("maps a plugin's name to its options variable", () => {
    expect(handlerOptionsVariable('forwarder')).toBe('HANDLER_OPTIONS_FORWARDER');
    expect(handlerOptionsVariable('dm-auto-reply')).toBe('HANDLER_OPTIONS_DM_AUTO_REPLY');
    expect(handlerOptionsVariable('@acme/crm.v2')).toBe('HANDLER_OPTIONS_ACME_CRM_V2');
  });

  it('limits: a body budget for a 512 MB container by default, shares that can hold one largest body, connection limits', () => {
    const MIB = 1024 * 1024;
    expect(loadConfig({}, cwd).limits).toEqual({
      bodyBudgetBytes: 64 * MIB,
      bodyBudgetPerClientBytes: 16 * MIB,
      minUploadBytesPerSecond: 16384,
      maxConnections: 1024,
      maxConnectionsPerClient: 256,
      keepAliveTimeoutMs: 5000,
    });
    // Unset, the share grows to hold one largest body, and the total to hold one share.
    const large = loadConfig({ WEBHOOK_MAX_BODY_BYTES: String(100 * MIB) }, cwd).limits;
    expect(large.bodyBudgetPerClientBytes).toBe(100 * MIB);
    expect(large.bodyBudgetBytes).toBe(100 * MIB);
    const set = loadConfig(
      {
        WEBHOOK_BODY_BUDGET_BYTES: String(32 * MIB),
        WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES: String(32 * MIB),
        WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND: '0',
        HTTP_MAX_CONNECTIONS: '64',
        HTTP_MAX_CONNECTIONS_PER_CLIENT: '0',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '0',
      },
      cwd,
    ).limits;
    expect(set).toEqual({ bodyBudgetBytes: 32 * MIB, bodyBudgetPerClientBytes: 32 * MIB, minUploadBytesPerSecond: 0, maxConnections: 64, maxConnectionsPerClient: 0, keepAliveTimeoutMs: 0 });

    expect(errorOf(() => loadConfig({ WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES: String(4 * MIB) }, cwd))).toMatch(
      /^WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES is invalid: expected at least WEBHOOK_MAX_BODY_BYTES/,
    );
    expect(errorOf(() => loadConfig({ WEBHOOK_BODY_BUDGET_BYTES: String(8 * MIB) }, cwd))).toMatch(
      /^WEBHOOK_BODY_BUDGET_BYTES is invalid: expected at least WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES/,
    );
    expect(errorOf(() => loadConfig({ HTTP_MAX_CONNECTIONS: '0' }, cwd))).toMatch(/^HTTP_MAX_CONNECTIONS is invalid/);
    expect(errorOf(() => loadConfig({ HTTP_MAX_CONNECTIONS_PER_CLIENT: '-1' }, cwd))).toMatch(/^HTTP_MAX_CONNECTIONS_PER_CLIENT is invalid/);
    expect(errorOf(() => loadConfig({ WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND: 'fast' }, cwd))).toMatch(/^WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND is invalid/);
  });
});
