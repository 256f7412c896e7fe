import { describe, expect, it } from 'vitest';
import { prng, int, type Rand } from '../../test/helpers/prng';
import { canonicalBytes, canonicalize, parseCanonical, type CanonicalValue } from './canonical';
import { DirectoryMalformedError } from './errors';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('canonicalize', () => {
  it('sorts keys, drops whitespace, keeps array order', () => {
    expect(canonicalize({ b: [3, 1, { z: null, a: true }], a: 'x', c: {} })).toBe('{"a":"x","b":[3,1,{"a":true,"z":null}],"c":{}}');
  });

  it('escapes strings as JCS does, and writes every other character as itself', () => {
    expect(canonicalize('"\\\b\t\n\f\r\u0000\u001f/é€😀\u2028')).toBe('"\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u001f/é€😀\u2028"');
  });

  it('orders keys by UTF-16 code units, not by code points (RFC 8785 §3.2.3)', () => {
    // U+1F600 is D83D DE00 in UTF-16: before U+FB33 by code units, after it by code points.
    expect(canonicalize({ '\uFB33': 1, '😀': 2, '€': 3, a: 4 })).toBe('{"a":4,"€":3,"😀":2,"\uFB33":1}');
  });

  it('refuses floats, unsafe integers, lone surrogates and values that are not JSON', () => {
    const bad: unknown[] = [1.5, Number.NaN, Infinity, 2 ** 53, -(2 ** 53), '\uD800x', { ['\uDC00']: 1 }, () => 1, new Date(0), 10n, undefined];
    for (const [i, v] of bad.entries()) expect(() => canonicalize(v), `case ${String(i)}`).toThrow(DirectoryMalformedError);
    expect(() => canonicalize(0.1)).toThrow(/floats are not allowed/);
  });

  it('writes -0 as 0 and keeps the largest safe integers exact', () => {
    expect(canonicalize([-0, 2 ** 53 - 1, -(2 ** 53 - 1)])).toBe('[0,9007199254740991,-9007199254740991]');
  });
});

describe('parseCanonical', () => {
  it('reads canonical bytes back to the same value', () => {
    const text = '{"a":[1,-2,{"":"é\\n"}],"b":false,"c":null}';
    expect(parseCanonical(enc(text))).toEqual({ a: [1, -2, { '': 'é\n' }], b: false, c: null });
  });

  it.each([
    ['a duplicate key', '{"a":1,"a":1}', /duplicate key "a"/],
    ['a duplicate key, nested', '{"a":{"b":1,"b":2}}', /duplicate key "b"/],
    ['a float', '{"a":1.0}', /floats are not allowed/],
    ['an exponent', '{"a":1e3}', /floats are not allowed/],
    ['an integer beyond 2^53', '{"a":9007199254740992}', /safe range/],
    ['whitespace', '{"a": 1}', /not in canonical form/],
    ['a trailing newline', '{"a":1}\n', /not in canonical form/],
    ['unsorted keys', '{"b":1,"a":1}', /not in canonical form/],
    ['a needless escape', '{"a":"\\u0041"}', /not in canonical form/],
    ['an escaped slash', '{"a":"\\/"}', /not in canonical form/],
    ['an upper-case \\u escape', '{"a":"\\u001F"}', /not in canonical form/],
    ['-0', '{"a":-0}', /not in canonical form/],
    ['a leading zero', '{"a":01}', /expected/],
    ['a lone surrogate', '{"a":"\\ud800"}', /lone surrogate/],
    ['a raw control character', '{"a":"\u0001"}', /bad string/],
    ['trailing text', '{"a":1}x', /after the JSON value/],
    ['truncation', '{"a":', /unexpected end/],
    ['single quotes', "{'a':1}", /expected a key/],
  ])('refuses %s', (_, text, why) => {
    expect(() => parseCanonical(enc(text))).toThrow(why);
  });

  it('refuses bytes that are not UTF-8, and a byte-order mark', () => {
    expect(() => parseCanonical(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => parseCanonical(enc('\uFEFF{"a":1}'))).toThrow(/byte-order mark/);
  });

  it('refuses nesting deeper than 32 levels', () => {
    expect(() => parseCanonical(enc(`${'['.repeat(40)}${']'.repeat(40)}`))).toThrow(/deeper than 32/);
  });

  it('reads "__proto__" as an ordinary key, never as the prototype', () => {
    const v = parseCanonical(enc('{"__proto__":{"polluted":1}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a 1 MiB string without trouble', () => {
    const text = `{"a":"${'x'.repeat(1024 * 1024)}"}`;
    expect((parseCanonical(enc(text)) as { a: string }).a).toHaveLength(1024 * 1024);
  });

  it('round-trips random values, and the canonical form is a fixed point (seeded, replayable)', () => {
    const r = prng(0xc0fe);
    for (let n = 0; n < 500; n++) {
      const v = randomValue(r, 0);
      const bytes = canonicalBytes(v);
      const back = parseCanonical(bytes);
      expect(back).toEqual(v);
      expect(canonicalize(back)).toBe(new TextDecoder().decode(bytes));
    }
  });
});

const ALPHABET = ['a', 'b', 'Z', '0', ' ', '"', '\\', '\n', '\u0001', 'é', '€', '😀', '\uFB33', '/'];

function randomString(r: Rand): string {
  return Array.from({ length: int(r, 6) }, () => ALPHABET[int(r, ALPHABET.length)] ?? '').join('');
}

function randomValue(r: Rand, depth: number): CanonicalValue {
  const kind = int(r, depth > 3 ? 4 : 6);
  if (kind === 0) return randomString(r);
  if (kind === 1) return (int(r, 2) === 0 ? -1 : 1) * int(r, 2 ** 31) * (int(r, 2) === 0 ? 1 : 4096);
  if (kind === 2) return [true, false, null][int(r, 3)] ?? null;
  if (kind === 3) return int(r, 1000);
  if (kind === 4) return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, CanonicalValue> = {};
  for (let i = int(r, 5); i > 0; i--) o[randomString(r)] = randomValue(r, depth + 1);
  return o;
}
