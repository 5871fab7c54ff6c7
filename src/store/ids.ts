import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then randomness.
 * Monotonic within a process (the counter orders ids made in the same millisecond), so sorting
 * by id gives the order rows were made in: the dispatcher relies on it for per-user order.
 */
export function newId(now = Date.now()): string {
  // Checked before the state below is touched: a NaN would stay in lastMs and zero the time of
  // every later id (they would no longer sort), a time past 48 bits would make every later call throw.
  if (!Number.isFinite(now) || now >= 2 ** 48) throw new RangeError(`not a time a UUIDv7 can hold: ${now}`);
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    counter++;
    if (counter > 0xfff) {
      ms = lastMs + 1;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
