import { describe, expect, it } from 'vitest';
import { ChurnMap } from '../../src/runtime/churn-map.js';

describe('ChurnMap', () => {
  it('keeps entries like a Map with string keys', () => {
    const m = new ChurnMap<{ n: number }>();
    expect(m.size).toBe(0);
    const one = { n: 1 };
    m.set('a', one).set('b', { n: 2 }).set('a', { n: 3 });
    expect(m.size).toBe(2);
    expect(m.get('a')).toEqual({ n: 3 });
    expect(m.has('b')).toBe(true);
    expect(m.has('c')).toBe(false);
    expect(m.get('c')).toBeUndefined();
    expect(m.keys()).toEqual(['a', 'b']);
    expect(m.values()).toEqual([{ n: 3 }, { n: 2 }]);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.size).toBe(1);
  });

  it('takes any string as a key, inherited names included', () => {
    const m = new ChurnMap<number>();
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '0', 'a']) m.set(key, key.length);
    expect(m.size).toBe(7);
    expect(m.get('__proto__')).toBe(9);
    expect(m.has('valueOf')).toBe(false);
    for (const key of m.keys()) m.delete(key);
    expect(m.size).toBe(0);
    expect(m.values()).toEqual([]);
  });

  it('stays right through many entries coming and going', () => {
    const m = new ChurnMap<number>();
    const live = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      m.set(`e${i}`, i);
      live.add(`e${i}`);
      if (i >= 32) {
        expect(m.delete(`e${i - 32}`)).toBe(true);
        live.delete(`e${i - 32}`);
      }
    }
    expect(m.size).toBe(live.size);
    expect(m.keys().sort()).toEqual([...live].sort());
  });
});
