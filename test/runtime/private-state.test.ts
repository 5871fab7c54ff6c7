import { describe, expect, it } from 'vitest';
import { privateState } from '../../src/runtime/private-state.js';

describe('privateState', () => {
  it('keeps state on an object without changing its keys or prototype', () => {
    const s = privateState<{ n: number }>('not a thing');
    const o = s.attach({ a: 1 }, { n: 42 });
    expect(s.read(o)).toEqual({ n: 42 });
    expect(Reflect.ownKeys(o)).toEqual(['a']);
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(structuredClone(o)).toEqual({ a: 1 });
    expect(JSON.stringify(o)).toBe('{"a":1}');
  });

  it('finds the state on the prototype chain, and refuses objects without one', () => {
    const s = privateState<string>('not a thing');
    const other = privateState<string>('not another thing');
    const o = s.attach({}, 'mine');
    const heir = Object.create(o) as object;
    expect(s.read(heir)).toBe('mine');
    expect(s.owner(heir)).toBe(o);
    expect(() => s.read({})).toThrow(/not a thing/);
    expect(() => other.read(o)).toThrow(/not another thing/);
    expect(() => s.read(undefined as unknown as object)).toThrow(TypeError);
    expect(() => s.read(new Proxy(o, {}))).toThrow(/not a thing/);
  });

  it('works on a frozen object once attached', () => {
    const s = privateState<number>('not a thing');
    const o = Object.freeze(s.attach({ a: 1 }, 7));
    expect(s.read(o)).toBe(7);
  });
});
