import { sign } from './signature.js';

/**
 * The shape of a CRC token we are willing to sign. The CRC signs attacker-chosen input with the
 * same key and algorithm as event signatures, so only opaque base64/URL-safe tokens of a bounded
 * length are answered: never anything that could be a JSON body.
 */
export const CRC_TOKEN_PATTERN = /^[A-Za-z0-9+/=_-]{16,128}$/;

export type CrcCheck = { ok: true; token: string } | { ok: false; reason: 'missing' | 'malformed' };

export function checkCrcToken(value: unknown): CrcCheck {
  if (value === undefined || value === '') return { ok: false, reason: 'missing' };
  if (typeof value !== 'string' || !CRC_TOKEN_PATTERN.test(value)) return { ok: false, reason: 'malformed' };
  return { ok: true, token: value };
}

/** `sha256=` + base64 HMAC-SHA256(key = consumer secret, message = crc_token). */
export function crcResponseToken(consumerSecret: string, token: string): string {
  // The same HMAC as a delivery signature: which is why ingest refuses token-shaped bodies.
  return sign(consumerSecret, token);
}
