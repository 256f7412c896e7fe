/**
 * The small grammar of control-protocol arguments (control-spec 2.1 and 2.4), both ways:
 *   - reading: keyword=value pairs whose values are bare or QuotedStrings with C-style escapes, as in
 *     `STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"`;
 *   - writing: quoting values and checking bare tokens, so that no argument can smuggle a CR or LF into the stream
 *     and start a second command (command injection): such arguments throw TorArgumentError before anything is sent.
 */
import { TorArgumentError, TorProtocolError } from './errors';

/** Positional words and keyword=value pairs of one line, in order. Values are unquoted and unescaped. */
export interface KeywordArgs {
  readonly positional: readonly string[];
  /** The first value of each keyword. */
  readonly values: ReadonlyMap<string, string>;
  readonly pairs: readonly (readonly [string, string])[];
}

const KEYWORD = /^[A-Za-z0-9_]+=/;

/**
 * Reads a QuotedString starting at `text[start]` (which must be `"`): returns its unescaped value and the index just
 * past the closing quote. Escapes follow tor's unescape_string: \n \r \t \\ \" \' \xHH and 3-digit octal \ooo; the
 * bytes they make are decoded as UTF-8. Anything else throws TorProtocolError.
 */
export function readQuoted(text: string, start: number): { value: string; end: number } {
  if (text[start] !== '"') throw new TorProtocolError('a quoted string does not start with a quote');
  const bytes: number[] = [];
  let i = start + 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) throw new TorProtocolError('a quoted string is not terminated');
    if (ch === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (ch !== '\\') {
      const cp = text.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
      i += s.length;
      continue;
    }
    const e = text[i + 1];
    const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (e === 'x' || e === 'X') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new TorProtocolError('a \\x escape is not followed by two hex digits');
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = text.slice(i + 1, i + 4);
      const v = /^[0-7]{3}$/.test(oct) ? parseInt(oct, 8) : 256;
      if (v > 255) throw new TorProtocolError('an octal escape is not 3 digits up to \\377');
      bytes.push(v);
      i += 4;
    } else {
      throw new TorProtocolError('a quoted string holds an unknown escape');
    }
  }
}

const SIMPLE_ESCAPES: ReadonlyMap<string, number> = new Map([
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['\\', 0x5c],
  ['"', 0x22],
  ["'", 0x27],
]);

/** Unquotes a whole string that must be exactly one QuotedString. */
export function unquote(text: string): string {
  const { value, end } = readQuoted(text, 0);
  if (end !== text.length) throw new TorProtocolError('text follows a quoted string');
  return value;
}

/**
 * Splits `text` into positional words and keyword=value pairs. A token is a pair when it starts with a keyword
 * (letters, digits, `_`) and `=`; its value is a QuotedString or runs to the next space. A quoted value must be
 * followed by a space or the end. Positional words may be QuotedStrings too.
 */
export function parseKeywordArgs(text: string): KeywordArgs {
  const positional: string[] = [];
  const pairs: [string, string][] = [];
  const values = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    const kw = KEYWORD.exec(text.slice(i, i + 256));
    const keyword = kw === null ? undefined : kw[0].slice(0, -1);
    if (keyword !== undefined) i += keyword.length + 1;
    let value: string;
    if (text[i] === '"') {
      const q = readQuoted(text, i);
      value = q.value;
      i = q.end;
      if (i < text.length && text[i] !== ' ') throw new TorProtocolError('a quoted value is not followed by a space');
    } else {
      const sp = text.indexOf(' ', i);
      const end = sp < 0 ? text.length : sp;
      value = text.slice(i, end);
      i = end;
    }
    if (keyword === undefined) {
      positional.push(value);
    } else {
      pairs.push([keyword, value]);
      if (!values.has(keyword)) values.set(keyword, value);
    }
  }
  return { positional, values, pairs };
}

/** Splits a space-separated list of QuotedStrings (as in `net/listeners/socks`). */
export function parseQuotedList(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    const q = readQuoted(text, i);
    out.push(q.value);
    i = q.end;
    if (i < text.length && text[i] !== ' ') throw new TorProtocolError('a quoted list item is not followed by a space');
  }
  return out;
}

/** Refuses what could end a command line early or be cut by tor's C strings. */
function assertSendable(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) throw new TorArgumentError(`${what} contains a CR, LF or NUL`);
}

/**
 * A QuotedString for a command: backslash and double quote escaped, other control characters as 3-digit octal.
 * CR, LF and NUL are refused (TorArgumentError) rather than escaped: no argument of ours needs them, and refusing them
 * keeps every command on exactly one line.
 */
export function quoteString(value: string, what = 'a value'): string {
  assertSendable(value, what);
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A bare token (keyword, config key, event or signal name, service id...): printable ASCII without space or quote. */
export function token(value: string, what = 'a token'): string {
  assertSendable(value, what);
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('"') || value.includes('\\')) {
    throw new TorArgumentError(`${what} is empty or holds a space, quote, backslash or non-ASCII character`);
  }
  return value;
}

/** A configuration or GETINFO key: a token without `=`. */
export function key(value: string, what = 'a key'): string {
  token(value, what);
  if (value.includes('=')) throw new TorArgumentError(`${what} contains "="`);
  return value;
}

/** Checks a whole command line before it is written (the last guard against injection). */
export function assertCommandLine(line: string): void {
  assertSendable(line, 'a command');
  if (line.length === 0) throw new TorArgumentError('a command is empty');
}
