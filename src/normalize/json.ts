/**
 * JSON.parse that keeps integers beyond 2^53 exact by turning them into strings.
 *
 * X's numeric `id` fields exceed JavaScript's safe integers and JSON.parse silently rounds them.
 * Node 20 has no JSON.parse source-text access, so this rewrites the text: every integer literal
 * (outside strings) with 16 or more digits becomes a string literal. Text with no run of 16
 * digits anywhere is parsed directly.
 */
export function parseJsonLossless(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(quoteLongIntegers(text));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** JSON's four whitespace characters: space, tab, line feed, carriage return. */
function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Characters that can continue a number literal: digits, '.', 'e', 'E', '+', '-'. */
function isNumberPart(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;
}

/** The index just past the string literal whose opening quote is at `open` (the text's length if it never closes). */
function endOfString(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    // A quote preceded by an odd number of backslashes is escaped: the string goes on.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

export function quoteLongIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip a string literal, escapes included (most of an X payload: searched, not walked).
      i = endOfString(text, i);
      continue;
    }
    if (isDigit(c) || c === MINUS) {
      const start = i;
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const digits = i - start - (c === MINUS ? 1 : 0);
      const next = i < n ? text.charCodeAt(i) : 0;
      const isInteger = next !== 0x2e && next !== 0x65 && next !== 0x45; // not . e E
      if (isInteger && digits >= 16) {
        // A leading zero makes the literal invalid JSON: left as is, so that JSON.parse rejects it.
        const leadingZero = text.charCodeAt(c === MINUS ? start + 1 : start) === 0x30;
        // A number followed by ':' stands where a key must be: invalid JSON, left as is (quoted,
        // it would become a valid key and the invalid text would parse).
        let after = i;
        while (after < n && isJsonSpace(text.charCodeAt(after))) after++;
        const asKey = text.charCodeAt(after) === 0x3a;
        if (!leadingZero && !asKey) {
          out += text.slice(copiedUpTo, start) + '"' + text.slice(start, i) + '"';
          copiedUpTo = i;
          continue;
        }
      }
      // Skip the rest of a number that stays as it is.
      while (i < n && isNumberPart(text.charCodeAt(i))) i++;
      continue;
    }
    i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
