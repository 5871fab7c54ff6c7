import { createHmac, randomBytes } from 'node:crypto';

export interface CrcResult {
  ok: boolean;
  reason: string;
  latencyMs: number;
}

/** X's CRC: GET url?crc_token=..., within `timeoutMs`, no redirects; the response_token must match. */
export async function runCrc(url: string, consumerSecret: string, timeoutMs: number, log?: (line: string) => void): Promise<CrcResult> {
  const token = randomBytes(24).toString('base64url');
  const expected = `sha256=${createHmac('sha256', consumerSecret).update(token).digest('base64')}`;
  const started = performance.now();
  const target = new URL(url);
  target.searchParams.set('crc_token', token);
  const done = (ok: boolean, reason: string): CrcResult => {
    const latencyMs = Math.round(performance.now() - started);
    log?.(`CRC ${url}: ${ok ? 'pass' : 'fail'} (${reason}, ${latencyMs} ms)`);
    return { ok, reason, latencyMs };
  };
  try {
    const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'X-standin-CRC' } });
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) return done(false, `redirect ${res.status}`);
    if (res.status !== 200) return done(false, `HTTP ${res.status}`);
    let answer: unknown;
    try {
      answer = (JSON.parse(text) as { response_token?: unknown }).response_token;
    } catch {
      return done(false, 'answer is not JSON');
    }
    return answer === expected ? done(true, 'response token matches') : done(false, 'response token does not match');
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return done(false, e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message));
  }
}
