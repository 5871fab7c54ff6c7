import { describe, expect, it } from 'vitest';
import { sqliteTime } from '../../src/store/sqlite-writer/connection.js';

const reference = (date: Date) => date.toISOString().replace('Z', '+00:00');

describe('sqliteTime', () => {
  it('is toISOString with +00:00 for Z, for times across minutes, days, years and before 1970', () => {
    const fixed = [
      Date.UTC(2026, 11, 1, 9, 59, 59, 999),
      Date.UTC(2026, 11, 1, 10, 0, 0, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 5),
      Date.UTC(2027, 0, 1, 0, 0, 0, 50),
      0,
      -1,
      -60_001,
      Date.UTC(1969, 11, 31, 23, 59, 0, 7),
      Date.UTC(10_000, 0, 1, 0, 0, 1, 1),
    ];
    for (const ms of fixed) expect(sqliteTime(new Date(ms))).toBe(reference(new Date(ms)));
    // Alternating between minutes (a receipt and a lease deadline) and back again.
    let ms = Date.UTC(2026, 11, 1, 12, 0, 0, 0);
    for (let i = 0; i < 5_000; i++) {
      ms += Math.floor(Math.random() * 40_000) - 10_000;
      const other = ms + 30_000 + Math.floor(Math.random() * 1000);
      for (const at of [ms, other, ms - 1]) expect(sqliteTime(new Date(at))).toBe(reference(new Date(at)));
    }
  });

  it('throws for an invalid date, as toISOString does', () => {
    expect(() => sqliteTime(new Date(NaN))).toThrow(RangeError);
  });
});
