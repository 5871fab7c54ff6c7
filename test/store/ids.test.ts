import { describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('makes RFC 9562 version-7 UUIDs carrying the given milliseconds', () => {
    const at = Date.UTC(2026, 11, 1, 12, 0, 0, 123);
    const id = newId(at + 10_000_000);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at + 10_000_000);
  });

  it('is unique and sorts in the order ids were made, within one millisecond and past the 4,096 counter', () => {
    const now = Date.now() + 20_000_000;
    const ids = Array.from({ length: 10_000 }, () => newId(now));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => UUID_V7.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it('stays monotonic when the clock steps back', () => {
    const a = newId(Date.now() + 30_000_000);
    const b = newId(Date.now());
    expect(b > a).toBe(true);
  });
});
