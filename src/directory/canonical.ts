/**
 * The canonical form of the directory: the bytes that are signed, served and stored.
 *
 * It is RFC 8785 (JSON Canonicalization Scheme, JCS) restricted to a subset of JSON where JCS and plain
 * `JSON.stringify` agree, so that the rules are short and any JCS implementation gives the same bytes:
 *
 *   - Values: objects, arrays, strings, integers, true, false, null. NO floating-point numbers: a number is a
 *     safe integer (|n| <= 2^53 - 1), written in decimal with no sign for 0, no leading zeros, no fraction and no
 *     exponent. (JCS serialises numbers as ECMAScript does; for safe integers that is exactly plain decimal.)
 *   - Objects: members sorted by key, comparing keys as sequences of UTF-16 code units (JCS §3.2.3; for the ASCII
 *     keys of the schema that is byte order); a key appears at most once.
 *   - No whitespace at all outside strings: `{"a":[1,2]}`.
 *   - Strings: UTF-8, well-formed (no lone surrogates). Escaped as JCS says: `\"` and `\\`; U+0008, U+0009, U+000A,
 *     U+000C, U+000D as `\b \t \n \f \r`; other controls below U+0020 as `\u00xx` (lower-case hex); every other
 *     character as itself (no `\u` escape for `é` or `/`).
 *   - The text is the whole file: no byte-order mark, no trailing newline.
 *
 * Reading is strict: `parseCanonical` accepts a byte string only if it is valid UTF-8, parses as JSON with no
 * duplicate key and no non-integer number, AND re-serialises to exactly the same bytes. So there is one byte string
 * per document, and what was signed is what every reader sees (no parser differential on duplicate keys or number
 * formats).
 */
import { DirectoryMalformedError } from './errors';

export type CanonicalValue = string | number | boolean | null | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };

const MAX_DEPTH = 32;
// Sticky (`y`): they match at lastIndex only, so the parser never copies the rest of the text.
const NUMBER = /-?(0|[1-9]\d*)([.eE])?/y;
// eslint-disable-next-line no-control-regex -- control characters must be escaped inside JSON strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The canonical text of `value`. Throws DirectoryMalformedError for a float, an unsafe integer, a lone surrogate or a non-JSON value. */
export function canonicalize(value: unknown): string {
  return write(value, 0);
}

/** The canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new DirectoryMalformedError(`nested deeper than ${String(MAX_DEPTH)} levels`);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new DirectoryMalformedError(`${String(value)} is not an integer in the safe range: floats are not allowed`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (typeof value === 'string') return writeString(value);
  if (Array.isArray(value)) return `[${value.map((v: unknown) => write(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Array.prototype.sort compares strings by UTF-16 code units: the JCS order.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${writeString(k)}:${write(v, depth + 1)}`).join(',')}}`;
  }
  throw new DirectoryMalformedError(`a ${typeof value} cannot be written as JSON`);
}

function writeString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new DirectoryMalformedError('a string holds a lone surrogate (not well-formed Unicode)');
  // For well-formed strings JSON.stringify escapes exactly as JCS does (ECMA-262 QuoteJSONString).
  return JSON.stringify(s);
}

/**
 * Parses canonical bytes (see the file comment). Throws DirectoryMalformedError naming the first problem: not
 * UTF-8, a BOM, a JSON syntax error, a duplicate key, a float, or "not in canonical form" (whitespace, key order,
 * escapes, `-0`).
 */
export function parseCanonical(bytes: Uint8Array): CanonicalValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new DirectoryMalformedError('it is not valid UTF-8', { cause: err });
  }
  if (text.startsWith('\uFEFF')) throw new DirectoryMalformedError('it starts with a byte-order mark');
  const value = new StrictParser(text).parseDocument();
  if (canonicalize(value) !== text) {
    throw new DirectoryMalformedError('it is not in canonical form: keys sorted, no whitespace, minimal escapes, integers only');
  }
  return value;
}

/** RFC 8259 JSON, but with no duplicate keys and integers only. */
class StrictParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  parseDocument(): CanonicalValue {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new DirectoryMalformedError(`${what} at character ${String(this.pos)}`);
  }

  private ws(): void {
    while (this.pos < this.s.length && ' \t\n\r'.includes(this.s.charAt(this.pos))) this.pos++;
  }

  private value(depth: number): CanonicalValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${String(MAX_DEPTH)} levels`);
    const c = this.s.charAt(this.pos);
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === '' ? 'unexpected end of text' : 'unexpected character');
  }

  private object(depth: number): CanonicalValue {
    this.pos++;
    const out: Record<string, CanonicalValue> = {};
    const seen = new Set<string>();
    this.ws();
    if (this.s.charAt(this.pos) === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charAt(this.pos) !== '"') this.fail('expected a key');
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      seen.add(key);
      this.ws();
      if (this.s.charAt(this.pos) !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      // defineProperty: a key "__proto__" becomes an ordinary member, never the prototype.
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s.charAt(this.pos++);
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private array(depth: number): CanonicalValue {
    this.pos++;
    const out: CanonicalValue[] = [];
    this.ws();
    if (this.s.charAt(this.pos) === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charAt(this.pos++);
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (m === null) return this.fail('bad number');
    if (m[2] !== undefined) this.fail('a number with a fraction or an exponent: floats are not allowed');
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) this.fail('an integer outside the safe range (2^53 - 1)');
    this.pos += m[0].length;
    return n;
  }

  private string(): string {
    STRING.lastIndex = this.pos;
    const m = STRING.exec(this.s);
    if (m === null) return this.fail('bad string');
    this.pos += m[0].length;
    const v = JSON.parse(m[0]) as string;
    if (LONE_SURROGATE.test(v)) this.fail('a string with a lone surrogate');
    return v;
  }
}
