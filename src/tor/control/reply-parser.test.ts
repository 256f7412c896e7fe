import { describe, expect, it } from 'vitest';
import { TorArgumentError, TorProtocolError } from './errors';
import { ReplyParser, type Reply } from './reply-parser';
import { parseKeywordArgs, parseQuotedList, quoteString, readQuoted, token, unquote } from './syntax';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

function parseAll(chunks: readonly Buffer[], limits?: { maxLineBytes?: number; maxReplyBytes?: number }): Reply[] {
  const p = new ReplyParser(limits);
  return chunks.flatMap((c) => p.push(c));
}

// A stream with everything at once: a mid/end reply, an event before and between replies, a data block with
// dot-stuffing and an empty line, a multi-line event with a data block, an error reply.
const STREAM = [
  '650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"\r\n',
  '250-version=0.4.9.11\r\n',
  '250+config-text=\r\n',
  'Log notice stdout\r\n',
  '..starts with a dot\r\n',
  '\r\n',
  '...\r\n',
  '.\r\n',
  '250 OK\r\n',
  '650+WARN\r\nline one\r\nline two\r\n.\r\n650 OK\r\n',
  '552 Unrecognized key "foo"\r\n',
].join('');

const EXPECTED: Reply[] = [
  { status: 650, lines: [{ status: 650, sep: ' ', text: 'STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"' }] },
  {
    status: 250,
    lines: [
      { status: 250, sep: '-', text: 'version=0.4.9.11' },
      { status: 250, sep: '+', text: 'config-text=', data: 'Log notice stdout\n.starts with a dot\n\n..' },
      { status: 250, sep: ' ', text: 'OK' },
    ],
  },
  {
    status: 650,
    lines: [
      { status: 650, sep: '+', text: 'WARN', data: 'line one\nline two' },
      { status: 650, sep: ' ', text: 'OK' },
    ],
  },
  { status: 552, lines: [{ status: 552, sep: ' ', text: 'Unrecognized key "foo"' }] },
];

describe('ReplyParser', () => {
  it('parses mid, data and end lines, events and errors from one chunk', () => {
    expect(parseAll([enc(STREAM)])).toEqual(EXPECTED);
  });

  it('gives the same replies however the bytes are split (every boundary, every pair of boundaries, byte by byte)', () => {
    const bytes = enc(STREAM);
    for (let i = 0; i <= bytes.length; i++) {
      expect(parseAll([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(EXPECTED);
    }
    for (let i = 0; i <= bytes.length; i += 7) {
      for (let j = i; j <= bytes.length; j += 5) {
        expect(parseAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(EXPECTED);
      }
    }
    expect(parseAll([...bytes].map((b) => Buffer.from([b])))).toEqual(EXPECTED);
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = enc('650 NOTICE caf\u00e9 \u2713\r\n');
    for (let i = 0; i <= bytes.length; i++) {
      expect(parseAll([bytes.subarray(0, i), bytes.subarray(i)])[0]?.lines[0]?.text).toBe('NOTICE caf\u00e9 \u2713');
    }
  });

  it('reports a reply in progress, so that a close in the middle is noticed', () => {
    const p = new ReplyParser();
    expect(p.inReply).toBe(false);
    p.push(enc('250-a=b\r\n'));
    expect(p.inReply).toBe(true);
    p.push(enc('250 OK\r\n25'));
    expect(p.inReply).toBe(true);
    p.push(enc('0 OK\r\n'));
    expect(p.inReply).toBe(false);
  });

  it.each([
    ['a bare LF', '250 OK\n'],
    ['a bare LF after a CRLF', '250-a\r\n\n'],
    ['a bare LF in a data block', '250+a=\r\nx\n.\r\n250 OK\r\n'],
    ['letters as status', 'abc OK\r\n'],
    ['a 1xx status', '150 OK\r\n'],
    ['a 3xx status', '350 OK\r\n'],
    ['a 4-digit status', '2500 OK\r\n'],
    ['no separator', '250\r\n'],
    ['a wrong separator', '250=OK\r\n'],
    ['mixed status codes', '250-a=b\r\n251 OK\r\n'],
    ['an event inside a reply', '250-a=b\r\n650 NOTICE x\r\n250 OK\r\n'],
    ['an empty line outside a data block', '\r\n'],
    ['a bare CR in a status line', '250 O\rK\r\n'],
    ['a NUL in a status line', '250 O\0K\r\n'],
    ['a lone dot outside a data block', '.\r\n'],
  ])('refuses %s', (_what, input) => {
    const p = new ReplyParser();
    expect(() => p.push(enc(input))).toThrow(TorProtocolError);
    // and stays broken
    expect(() => p.push(enc('250 OK\r\n'))).toThrow(TorProtocolError);
    expect(p.error).toBeInstanceOf(TorProtocolError);
  });

  it('caps a line before its end has arrived, and a complete one', () => {
    const p = new ReplyParser({ maxLineBytes: 100 });
    p.push(enc(`250 ${'x'.repeat(96)}\r\n`)); // exactly 100 bytes: fine
    expect(() => p.push(enc(`250 ${'x'.repeat(97)}`))).toThrow(/longer than 100 bytes/);
    const q = new ReplyParser({ maxLineBytes: 100 });
    expect(() => q.push(enc(`250 ${'x'.repeat(97)}\r\n`))).toThrow(/longer than 100 bytes/);
    const big = new ReplyParser();
    expect(() => big.push(Buffer.alloc(70 * 1024, 0x41))).toThrow(/longer than 65536 bytes/);
  });

  it('caps a reply with its data blocks', () => {
    const p = new ReplyParser({ maxReplyBytes: 1000 });
    p.push(enc('250+ns/all=\r\n'));
    let threw: unknown;
    try {
      for (let i = 0; i < 100; i++) p.push(enc('r relay line of some length\r\n'));
    } catch (err) {
      threw = err;
    }
    expect(threw).toBeInstanceOf(TorProtocolError);
    expect(String(threw)).toMatch(/larger than 1000 bytes/);
    // but the count starts over with each reply
    const q = new ReplyParser({ maxReplyBytes: 1000 });
    for (let i = 0; i < 100; i++) expect(q.push(enc(`250 ${'y'.repeat(50)}\r\n`))).toHaveLength(1);
  });
});

describe('control-protocol syntax', () => {
  it('reads QuotedStrings with every escape tor writes', () => {
    expect(unquote('"a\\"b\\\\c\\n\\r\\t\\\'"')).toBe('a"b\\c\n\r\t\'');
    expect(unquote('"\\x41\\101\\303\\251"')).toBe('AA\u00e9');
    expect(readQuoted('"x" rest', 0)).toEqual({ value: 'x', end: 3 });
    for (const bad of ['"abc', '"\\q"', '"\\x4"', '"\\12"', '"\\400"', 'abc', '"a"b']) {
      expect(() => unquote(bad), bad).toThrow(TorProtocolError);
    }
  });

  it('splits keyword=value pairs from positional words', () => {
    const args = parseKeywordArgs('STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"');
    expect(args.positional).toEqual(['STATUS_CLIENT', 'NOTICE', 'BOOTSTRAP']);
    expect(Object.fromEntries(args.values)).toEqual({ PROGRESS: '10', TAG: 'conn_done', SUMMARY: 'Connected to a relay' });
    const circ = parseKeywordArgs('1 BUILT $AAAA~a,$BBBB=b PURPOSE=GENERAL SOCKS_USERNAME="cove:x y" EMPTY= X="" "quoted word"');
    expect(circ.positional).toEqual(['1', 'BUILT', '$AAAA~a,$BBBB=b', 'quoted word']);
    expect(circ.values.get('SOCKS_USERNAME')).toBe('cove:x y');
    expect(circ.values.get('EMPTY')).toBe('');
    expect(circ.values.get('X')).toBe('');
    expect(() => parseKeywordArgs('A="unterminated')).toThrow(TorProtocolError);
    expect(() => parseKeywordArgs('A="x"y')).toThrow(TorProtocolError);
    expect(parseQuotedList('"127.0.0.1:9050" "unix:/a b"')).toEqual(['127.0.0.1:9050', 'unix:/a b']);
    expect(parseQuotedList('')).toEqual([]);
  });

  it('quotes values so that tor reads them back unchanged', () => {
    const samples = ['plain', 'with space', 'a"b', 'back\\slash', '"\\"', 'tab\there', 'bell\u0007', 'caf\u00e9', ''];
    for (const s of samples) expect(unquote(quoteString(s))).toBe(s);
    expect(quoteString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('refuses CR, LF and NUL in arguments: no command injection', () => {
    for (const bad of ['x\r\nSIGNAL SHUTDOWN', 'x\nSIGNAL SHUTDOWN', 'x\rY', 'nul\0']) {
      expect(() => quoteString(bad)).toThrow(TorArgumentError);
      expect(() => token(bad)).toThrow(TorArgumentError);
    }
    for (const bad of ['', 'two words', 'q"uote', 'back\\slash', 'caf\u00e9']) expect(() => token(bad)).toThrow(TorArgumentError);
    expect(token('net/listeners/socks')).toBe('net/listeners/socks');
  });
});
