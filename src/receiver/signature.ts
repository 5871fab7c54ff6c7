import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

/** `sha256=` + base64 HMAC-SHA256 of the raw body with the consumer secret: what X sends. */
export function sign(consumerSecret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', consumerSecret).update(body).digest('base64')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

const SIGNATURE_PATTERN = /^sha256=([A-Za-z0-9+/]{43}=)$/;

/**
 * The 32-byte digest a signature header carries, or why it carries none. Needs no body: the
 * webhook refuses a delivery whose header is missing or malformed before reading its body.
 */
export function signatureDigest(header: string | string[] | undefined): Buffer | 'missing' | 'malformed' {
  if (header === undefined || header === '') return 'missing';
  if (Array.isArray(header)) return 'malformed';
  const match = SIGNATURE_PATTERN.exec(header.trim());
  if (!match) return 'malformed';
  const given = Buffer.from(match[1]!, 'base64');
  return given.length === 32 ? given : 'malformed';
}

/**
 * Verifies a signature header against the exact body bytes, in constant time, with the current
 * secret and then any previous one (secret rotation).
 */
export function verifySignature(
  header: string | string[] | undefined,
  body: Uint8Array,
  secrets: readonly string[],
): SignatureCheck {
  const given = signatureDigest(header);
  if (!Buffer.isBuffer(given)) return { ok: false, reason: given };
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is compared, so timing does not reveal which one matched.
    ok = timingSafeEqual(expected, given) || ok;
  }
  return ok ? { ok: true } : { ok: false, reason: 'mismatch' };
}
