// The position moves over the lines of a connection in arrival order: never past a line still
// being stored (or never stored), whatever order the store finishes in.
import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../src/stream/arrival-order.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));

describe('ArrivalOrder', () => {
  it('moves to a line once it and every line before it are stored', () => {
    const reached: Date[] = [];
    const order = new ArrivalOrder((t) => reached.push(t));
    order.passed(at(1));
    const second = order.pending(at(2));
    const third = order.pending(at(3));
    order.passed(at(4));
    order.advance();
    expect(reached).toEqual([at(1)]);
    third();
    expect(reached).toEqual([at(1)]);
    second();
    expect(reached).toEqual([at(1), at(2), at(3), at(4)]);
  });

  it('stays before a line that is never stored, even as later lines are', () => {
    const reached: Date[] = [];
    const order = new ArrivalOrder((t) => reached.push(t));
    order.pending(at(1));
    for (let s = 2; s < 3000; s++) order.pending(at(s))();
    order.advance();
    expect(reached).toEqual([]);
  });

  it('keeps its place across many lines (the order is trimmed as it goes), reaching each line once, in order', () => {
    const reached: number[] = [];
    const order = new ArrivalOrder((t) => reached.push(t.getTime()));
    const done: Array<() => void> = [];
    for (let s = 0; s < 5000; s++) done.push(order.pending(at(s)));
    for (let s = 0; s < 3000; s++) done[s]!();
    expect(reached.at(-1)).toBe(at(2999).getTime());
    order.passed(at(5000));
    for (let s = 4999; s >= 3000; s--) done[s]!();
    order.advance();
    // Never back over a line already reached (a trim that kept one would move the position back).
    expect(reached).toEqual(Array.from({ length: 5001 }, (_, s) => at(s).getTime()));
  });
});
