import type { CrcResult } from './crc.js';
import type { StandInWebhook } from './types.js';

/**
 * X's rules for a webhook's validity (X's V2 Webhooks page, "Webhook validation"):
 * - a CRC runs on creation, on PUT /2/webhooks/:id, and every 30 minutes while the webhook has
 *   not validated in the past 24 hours;
 * - it is marked invalid at once by a wrong response_token on a 2xx, a 3xx or a TLS error;
 * - transient failures (4xx, 5xx, timeouts, closed connections) mark it invalid only when it has
 *   not validated for more than 28 hours (24 hours plus a 4-hour grace).
 * An invalid webhook receives nothing until a PUT re-validates it; the periodic checks leave it
 * alone (X's page describes PUT as the way to re-enable one).
 */
export const REVALIDATE_AFTER_MS = 24 * 3_600_000;
export const CHECK_EVERY_MS = 30 * 60_000;
export const INVALID_AFTER_MS = 28 * 3_600_000;

/** Applies one CRC's outcome at `now`. */
export function applyCrc(w: StandInWebhook, crc: CrcResult, now: Date): void {
  w.lastCrc = { ok: crc.ok, outcome: crc.outcome, reason: crc.reason, latencyMs: crc.latencyMs, at: now.toISOString() };
  if (crc.outcome === 'pass') {
    w.valid = true;
    w.lastValidatedAt = now.toISOString();
    delete w.invalidReason;
  } else if (crc.outcome === 'invalid') {
    w.valid = false;
    w.invalidReason = crc.reason;
  } else if (w.valid && sinceValidated(w, now) > INVALID_AFTER_MS) {
    w.valid = false;
    w.invalidReason = `no passing CRC for more than 28 hours (last: ${crc.reason})`;
  }
}

/** Whether X's periodic check runs for this webhook at `now`. */
export function crcDue(w: StandInWebhook, now: Date): boolean {
  if (!w.valid) return false;
  if (sinceValidated(w, now) < REVALIDATE_AFTER_MS) return false;
  return !w.lastCrc || now.getTime() - Date.parse(w.lastCrc.at) >= CHECK_EVERY_MS;
}

function sinceValidated(w: StandInWebhook, now: Date): number {
  return w.lastValidatedAt ? now.getTime() - Date.parse(w.lastValidatedAt) : Number.POSITIVE_INFINITY;
}
