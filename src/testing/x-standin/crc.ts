import { createHmac, randomBytes } from 'node:crypto';
import type { CrcOutcome } from './types.js';

export interface CrcResult {
  ok: boolean;
  outcome: CrcOutcome;
  reason: string;
  latencyMs: number;
}

/** Error codes of a failed TLS handshake or certificate check (X: invalid at once, like a wrong token). */
const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH$|EPROTO$)/;

/**
 * X's CRC: GET url?crc_token=..., within `timeoutMs`, no redirects; the response_token must be
 * the HMAC-SHA256 of the token with the consumer secret. The outcome is classed as X's webhook
 * docs class it (see CrcOutcome).
 */
export async function runCrc(url: string, consumerSecret: string, timeoutMs: number, log?: (line: string) => void): Promise<CrcResult> {
  const token = randomBytes(24).toString('base64url');
  const expected = `sha256=${createHmac('sha256', consumerSecret).update(token).digest('base64')}`;
  const started = performance.now();
  const target = new URL(url);
  target.searchParams.set('crc_token', token);
  const done = (outcome: CrcOutcome, reason: string): CrcResult => {
    const latencyMs = Math.round(performance.now() - started);
    log?.(`CRC ${url}: ${outcome} (${reason}, ${latencyMs} ms)`);
    return { ok: outcome === 'pass', outcome, reason, latencyMs };
  };
  try {
    const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'X-standin-CRC' } });
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) return done('invalid', `redirect ${res.status}`);
    if (res.status < 200 || res.status >= 300) return done('transient', `HTTP ${res.status}`);
    let answer: unknown;
    try {
      answer = (JSON.parse(text) as { response_token?: unknown }).response_token;
    } catch {
      return done('invalid', 'answer is not JSON');
    }
    return answer === expected ? done('pass', 'response token matches') : done('invalid', 'response token does not match');
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return done('transient', `no answer within ${timeoutMs} ms`);
    const code = e.cause?.code ?? '';
    if (TLS_ERROR.test(code)) return done('invalid', `TLS error ${code}`);
    return done('transient', code || e.cause?.message || e.message);
  }
}
