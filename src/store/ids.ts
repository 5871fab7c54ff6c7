import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// Random bytes are drawn from the CSPRNG in blocks: one call per 512 ids instead of one per id
// (a call costs several microseconds, and the writer makes three ids per delivery).
const RANDOM_PER_ID = 8;
const pool = Buffer.alloc(RANDOM_PER_ID * 512);
let poolOffset = pool.length;

function randomBlock(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += RANDOM_PER_ID;
  return at;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then 62 random bits.
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
  const at = randomBlock();
  const time = ms.toString(16).padStart(12, '0');
  const r = (i: number) => HEX[pool[at + i]!]!;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${HEX[counter >> 8]!.slice(1)}${HEX[counter & 0xff]}-` +
    `${HEX[(pool[at]! & 0x3f) | 0x80]}${r(1)}-${r(2)}${r(3)}${r(4)}${r(5)}${r(6)}${r(7)}`
  );
}
