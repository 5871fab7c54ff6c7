// The stream's settings: defaults, XAA_STREAM's values, and the bearer token it needs.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { requireStreamCredentials } from '../../src/stream/index.js';

describe('stream configuration', () => {
  it("is off by default, with X's keep-alive margin and backoff defaults", () => {
    expect(loadConfig({}).stream).toEqual({
      enabled: false,
      idleTimeoutMs: 30_000,
      backoffInitialMs: 5_000,
      backoffMaxMs: 320_000,
      rateLimitMinWaitMs: 60_000,
      authRetryMs: 900_000,
    });
  });

  it('takes XAA_STREAM on/off (or true/false) and names a wrong value without echoing it', () => {
    expect(loadConfig({ XAA_STREAM: 'on' }).stream.enabled).toBe(true);
    expect(loadConfig({ XAA_STREAM: 'true' }).stream.enabled).toBe(true);
    expect(loadConfig({ XAA_STREAM: 'off' }).stream.enabled).toBe(false);
    expect(() => loadConfig({ XAA_STREAM: 'yes-please' })).toThrow(/^XAA_STREAM is invalid: expected on .* or off$/);
    expect(() => loadConfig({ XAA_STREAM_IDLE_TIMEOUT_MS: '5' })).toThrow(/XAA_STREAM_IDLE_TIMEOUT_MS is invalid/);
  });

  it('keeps the backoff cap at least the initial delay', () => {
    expect(loadConfig({ XAA_STREAM_BACKOFF_INITIAL_MS: '5000', XAA_STREAM_BACKOFF_MAX_MS: '100' }).stream.backoffMaxMs).toBe(5000);
  });

  it('needs the app bearer token, and says which variable', () => {
    expect(() => requireStreamCredentials(loadConfig({}))).toThrow(ConfigError);
    expect(() => requireStreamCredentials(loadConfig({}))).toThrow(/X_BEARER_TOKEN is required to consume the XAA persistent stream/);
    expect(requireStreamCredentials(loadConfig({ X_BEARER_TOKEN: 'abc' }))).toBe('abc');
  });

  it('refuses a bearer token that is not a valid header value, without quoting it', () => {
    for (const token of ['AAAA-stream-secret-token\n', 'AAAA-stream\u0000secret', 'AAAA-stream-sécret-token']) {
      let message = '';
      try {
        requireStreamCredentials(loadConfig({ X_BEARER_TOKEN: token }));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^X_BEARER_TOKEN is not a valid HTTP header value/);
      expect(message).not.toContain('secret');
    }
  });
});
