import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { crcResponseToken } from '../receiver/crc.js';
import { jsonAction } from './context.js';

export const CRC_LIMIT_MS = 3_000;

export interface CrcResult {
  url: string;
  pass: boolean;
  status: number | null;
  latencyMs: number;
  withinLimit: boolean;
  problem: string | null;
}

/** A CRC as X runs it: GET url?crc_token=..., no redirects, the answer must be X_CONSUMER_SECRET's token, within 3 s. */
export async function runCrc(url: string, consumerSecret: string, limitMs = CRC_LIMIT_MS): Promise<CrcResult> {
  const token = randomBytes(24).toString('base64url');
  const target = new URL(url);
  target.searchParams.set('crc_token', token);
  const started = performance.now();
  const result = (pass: boolean, status: number | null, problem: string | null): CrcResult => {
    const latencyMs = Math.round(performance.now() - started);
    return { url, pass: pass && latencyMs <= limitMs, status, latencyMs, withinLimit: latencyMs <= limitMs, problem: problem ?? (latencyMs > limitMs ? `answered after ${latencyMs} ms, over X's ${limitMs} ms` : null) };
  };
  try {
    const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(limitMs + 2_000) });
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) return result(false, res.status, `redirected (${res.status}); X marks the webhook invalid on any 3xx`);
    if (res.status !== 200) return result(false, res.status, `HTTP ${res.status}: ${text.slice(0, 200)}`);
    let answer: unknown;
    try {
      answer = (JSON.parse(text) as { response_token?: unknown }).response_token;
    } catch {
      return result(false, 200, 'the answer is not JSON with a response_token');
    }
    if (answer !== crcResponseToken(consumerSecret, token)) {
      return result(false, 200, 'response_token does not match: the receiver signs with a different consumer secret than X_CONSUMER_SECRET');
    }
    return result(true, 200, null);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return result(false, null, e.name === 'TimeoutError' ? `no answer within ${limitMs + 2_000} ms` : `cannot connect: ${e.cause?.code ?? e.message}`);
  }
}

export function crcCommand(): Command {
  return jsonAction(
    new Command('crc').argument('<url>', 'the webhook URL').description("run a CRC as X does and report pass/fail and latency against X's 3 s"),
    async (ctx, url: string) => {
      const secret = ctx.config.consumerSecret;
      if (!secret) throw new Error("crc needs X_CONSUMER_SECRET (the app's consumer secret) to check the answer");
      const r = await runCrc(url, secret);
      ctx.print(r, () => `CRC ${r.pass ? 'PASS' : 'FAIL'} ${url}: ${r.latencyMs} ms (limit ${CRC_LIMIT_MS} ms)${r.problem ? ` — ${r.problem}` : ''}`);
      return r.pass ? 0 : 1;
    },
  );
}
