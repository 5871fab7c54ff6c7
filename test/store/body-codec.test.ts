import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../src/store/index.js';
import { sample, sampleNames } from '../support/app.js';

describe('delivery body codec', () => {
  it('stores X deliveries compressed and gives back the exact bytes', () => {
    for (const name of sampleNames()) {
      const body = sample(name);
      const stored = encodeBody(body);
      expect(decodeBody(stored.body, stored.encoding).equals(body), name).toBe(true);
      if (body.length >= 1024) {
        expect(stored.encoding, name).toBe('br');
        expect(stored.body.length, name).toBeLessThan(body.length * 0.7);
      }
    }
  });

  it('keeps small and incompressible bodies as received', () => {
    const small = Buffer.from('{"for_user_id":"1"}');
    expect(encodeBody(small)).toEqual({ body: small, encoding: null });
    const noise = randomBytes(4096);
    const stored = encodeBody(noise);
    expect(stored.encoding).toBeNull();
    expect(stored.body.equals(noise)).toBe(true);
  });

  it('keeps invalid UTF-8 byte-exact and refuses an unknown encoding', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(2000, 0xff), Buffer.from([0, 0xfe]), Buffer.from('"}')]);
    const stored = encodeBody(bytes);
    expect(stored.encoding).toBe('br');
    expect(decodeBody(stored.body, stored.encoding).equals(bytes)).toBe(true);
    expect(() => decodeBody(stored.body, 'zstd')).toThrow(/unknown delivery body encoding "zstd"/);
  });
});
