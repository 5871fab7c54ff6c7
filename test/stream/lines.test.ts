// The stream's line framing: events split across chunks in any place, LF / CR / CRLF (a CRLF
// split between chunks too), X's `\r\n` keep-alives as empty lines, oversized lines dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/stream/lines.js';

const text = (lines: Buffer[]) => lines.map((l) => l.toString('utf8'));

function feed(splitter: LineSplitter, ...chunks: string[]): string[] {
  return chunks.flatMap((c) => text(splitter.push(Buffer.from(c, 'utf8'))));
}

describe('LineSplitter', () => {
  it('splits lines ended by CRLF, LF or CR, keep-alives as empty lines', () => {
    const s = new LineSplitter(1024);
    expect(feed(s, '{"data":1}\r\n\r\n{"data":2}\n{"data":3}\r\r\n')).toEqual(['{"data":1}', '', '{"data":2}', '{"data":3}', '']);
    expect(s.pending).toBe(0);
  });

  it('joins a line that arrives in pieces, and holds an unfinished one', () => {
    const s = new LineSplitter(1024);
    expect(feed(s, '{"da', 'ta":', '1}')).toEqual([]);
    expect(s.pending).toBe(10);
    expect(feed(s, '\r\n{"data":2', '}\r\n')).toEqual(['{"data":1}', '{"data":2}']);
  });

  it('takes a CRLF split between two chunks as one line end (no extra keep-alive)', () => {
    const s = new LineSplitter(1024);
    expect(feed(s, '{"data":1}\r', '\n{"data":2}\r', '\n', '\r', '\n')).toEqual(['{"data":1}', '{"data":2}', '']);
  });

  it('keeps multi-byte UTF-8 characters split between chunks whole', () => {
    const s = new LineSplitter(1024);
    const bytes = Buffer.from('{"data":"héllo 🌍"}\r\n', 'utf8');
    const out = [...bytes].flatMap((b) => s.push(Buffer.from([b])));
    expect(text(out)).toEqual(['{"data":"héllo 🌍"}']);
  });

  it('drops a line longer than the limit up to its end, counts it, and goes on', () => {
    const s = new LineSplitter(16);
    expect(feed(s, '{"data":"0123456', '789abcdef"}', '\r\n{"data":1}\r\n')).toEqual(['{"data":1}']);
    expect(s.oversized).toBe(1);
    expect(feed(s, `${'x'.repeat(40)}\n{"data":2}\n`)).toEqual(['{"data":2}']);
    expect(s.oversized).toBe(2);
  });

  it('forgets an unfinished line on reset (a connection cut mid-line), and starts clean', () => {
    const s = new LineSplitter(1024);
    feed(s, '{"data":1}\r\n{"data":2,"cut');
    expect(s.reset()).toBe(14);
    expect(feed(s, '\n{"data":3}\r\n')).toEqual(['', '{"data":3}']);
  });

  it('gives the same lines however the bytes are chunked (property)', () => {
    const line = fc.stringMatching(/^[^\r\n]{0,40}$/);
    const ending = fc.constantFrom('\r\n', '\n'); // a lone CR then an empty LF line would read as one CRLF
    fc.assert(
      fc.property(fc.array(fc.tuple(line, ending), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (parts, sizes) => {
        const whole = Buffer.from(parts.map(([l, e]) => l + e).join(''), 'utf8');
        const s = new LineSplitter(1 << 20);
        const out: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < whole.length; i++) {
          const size = sizes[i % sizes.length]!;
          out.push(...s.push(whole.subarray(at, at + size)));
          at += size;
        }
        expect(text(out)).toEqual(parts.map(([l]) => l));
      }),
    );
  });
});
