/**
 * The body budget's accounting alone: totals, shares, growth, release (once, whatever the order
 * of calls), and never a negative count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBodyBudget, type Reservation } from '../../src/http/body-budget.js';
import { clientKey } from '../../src/http/client-address.js';

describe('the body budget', () => {
  it('holds reservations up to the total and up to each client share, and says which one refused', () => {
    const budget = createBodyBudget({ totalBytes: 100, perClientBytes: 40 });
    const a1 = budget.reserve('a', 30) as Reservation;
    expect(a1.bytes).toBe(30);
    expect(budget.reserve('a', 11)).toBe('client');
    const a2 = budget.reserve('a', 10) as Reservation;
    expect(budget.heldBy('a')).toBe(40);
    const b = budget.reserve('b', 40) as Reservation;
    expect(budget.reserve('c', 21)).toBe('total');
    const c = budget.reserve('c', 20) as Reservation;
    expect(budget.inFlight).toBe(100);
    expect(budget.reserve('d', 1)).toBe('total');
    // A zero-byte reservation (a body without Content-Length, before its first byte) always fits.
    const d = budget.reserve('d', 0) as Reservation;
    expect(typeof d).toBe('object');
    for (const r of [a1, a2, b, c, d]) r.release();
    expect(budget.inFlight).toBe(0);
    expect(budget.clients).toBe(0);
  });

  it('grows a reservation while bytes fit, and leaves it as it was when they do not', () => {
    const budget = createBodyBudget({ totalBytes: 90, perClientBytes: 50 });
    const r = budget.reserve('a', 0) as Reservation;
    expect(r.grow(30)).toBeNull();
    expect(r.grow(21)).toBe('client');
    expect(r.bytes).toBe(30);
    const other = budget.reserve('b', 50) as Reservation;
    expect(r.grow(20)).toBe('total');
    expect(budget.inFlight).toBe(80);
    other.release();
    expect(r.grow(20)).toBeNull();
    expect(budget.heldBy('a')).toBe(50);
    r.release();
    expect(budget.inFlight).toBe(0);
  });

  it('releases once: a second release, or a grow after it, changes nothing', () => {
    const budget = createBodyBudget({ totalBytes: 100, perClientBytes: 100 });
    const r = budget.reserve('a', 60) as Reservation;
    const s = budget.reserve('a', 10) as Reservation;
    r.release();
    r.release();
    expect(r.grow(50)).toBeNull();
    expect(r.bytes).toBe(0);
    expect(budget.inFlight).toBe(10);
    expect(budget.heldBy('a')).toBe(10);
    s.release();
    s.release();
    expect(budget.inFlight).toBe(0);
    expect(budget.heldBy('a')).toBe(0);
    expect(budget.clients).toBe(0);
  });

  it('refuses settings that could never hold anything, and sizes that are not whole numbers', () => {
    expect(() => createBodyBudget({ totalBytes: 10, perClientBytes: 11 })).toThrow(RangeError);
    expect(() => createBodyBudget({ totalBytes: 0, perClientBytes: 0 })).toThrow(RangeError);
    const budget = createBodyBudget({ totalBytes: 10, perClientBytes: 10 });
    expect(() => budget.reserve('a', -1)).toThrow(RangeError);
    expect(() => budget.reserve('a', 1.5)).toThrow(RangeError);
    expect(() => (budget.reserve('a', 1) as Reservation).grow(-1)).toThrow(RangeError);
  });

  it('any sequence of reserves, grows and releases (repeated, in any order): the counts add up, stay within bounds, end at zero', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), client: fc.constantFrom('a', 'b', 'c'), bytes: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('grow' as const), index: fc.nat(), bytes: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const budget = createBodyBudget({ totalBytes: 100, perClientBytes: 45 });
        const made: Array<{ client: string; r: Reservation }> = [];
        const check = () => {
          const live = made.filter((m) => m.r.bytes > 0);
          expect(budget.inFlight).toBe(live.reduce((n, m) => n + m.r.bytes, 0));
          expect(budget.inFlight).toBeGreaterThanOrEqual(0);
          expect(budget.inFlight).toBeLessThanOrEqual(100);
          for (const client of ['a', 'b', 'c']) {
            const held = budget.heldBy(client);
            expect(held).toBe(live.filter((m) => m.client === client).reduce((n, m) => n + m.r.bytes, 0));
            expect(held).toBeGreaterThanOrEqual(0);
            expect(held).toBeLessThanOrEqual(45);
          }
        };
        for (const o of ops) {
          if (o.kind === 'reserve') {
            const r = budget.reserve(o.client, o.bytes);
            if (typeof r !== 'string') made.push({ client: o.client, r });
          } else if (made.length) {
            const m = made[o.index % made.length]!;
            if (o.kind === 'grow') m.r.grow(o.bytes);
            else m.r.release();
          }
          check();
        }
        for (const m of made) m.r.release();
        expect(budget.inFlight).toBe(0);
        expect(budget.clients).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the client a body is counted against', () => {
  it('is the peer address; IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(clientKey('127.0.0.2')).toBe('127.0.0.2');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('64:ff9b::1.2.3.4')).toBe('64:ff9b:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});
