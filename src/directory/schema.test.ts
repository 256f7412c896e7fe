import { describe, expect, it } from 'vitest';
import { createDirectory, gatewayFromSpec, parseDirectoryInput } from './create';
import { DirectoryMalformedError } from './errors';
import { parseDirectory, serializeDirectory, validateDirectory, type DirectoryDocument } from './schema';
import { gateway, makeDocument } from './testing/network';

const ONION = `${'a'.repeat(56)}.onion`;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('the directory schema', () => {
  it('accepts a full document and round-trips it through its canonical bytes', () => {
    const doc = makeDocument({
      gateways: [gateway('a.test', { endpoints: [{ host: 'a.test', port: 5222, kind: 'clearnet' }, { host: ONION, port: 5222, kind: 'onion' }, { host: '127.0.0.2', port: 5223, kind: 'clearnet' }] })],
      revocations: { gateways: [{ domain: 'c.test', date: '2026-02-01', reason: 'operator gone' }], signers: [{ fingerprint: 'A'.repeat(40), date: '2026-02-01' }] },
    });
    const bytes = serializeDirectory(doc);
    expect(parseDirectory(bytes)).toEqual(doc);
    const text = new TextDecoder().decode(bytes);
    expect(text).toMatch(/^\{"expires":"[^"]+","gateways":\[\{"added":"2026-01-01","domain":"a.test","endpoints":\[\{"host":"a.test","kind":"clearnet","port":5222\}/);
    expect(text).not.toMatch(/\s(?=(?:[^"]*"[^"]*")*[^"]*$)/); // no whitespace outside strings
  });

  const cases: [string, (d: DirectoryDocument) => unknown, RegExp][] = [
    ['an unknown key', (d) => ({ ...d, extra: 1 }), /Unrecognized key/],
    ['another version', (d) => ({ ...d, version: 2 }), /version/],
    ['serial 0', (d) => ({ ...d, serial: 0 }), /serial/],
    ['a float serial', (d) => ({ ...d, serial: 1.5 }), /serial/],
    ['threshold 0', (d) => ({ ...d, threshold: 0 }), /threshold/],
    ['a date that does not exist', (d) => ({ ...d, issued: '2026-02-30T00:00:00Z' }), /issued: not a real date/],
    ['a time with milliseconds', (d) => ({ ...d, issued: '2026-02-01T00:00:00.000Z' }), /issued/],
    ['expiry before issue', (d) => ({ ...d, expires: d.issued }), /expires must be after issued/],
    ['a duplicate gateway', (d) => ({ ...d, gateways: [gateway('a.test'), gateway('a.test')] }), /gateway a.test is listed twice/],
    ['a gateway listed and revoked', (d) => ({ ...d, revocations: { gateways: [{ domain: 'a.test', date: '2026-01-02', reason: 'x' }], signers: [] } }), /both listed and revoked/],
    ['an upper-case domain', (d) => ({ ...d, gateways: [gateway('A.test')] }), /gateways\.0\.domain/],
    ['an onion as gateway domain', (d) => ({ ...d, gateways: [gateway(ONION)] }), /onion/],
    ['an onion endpoint that is no onion', (d) => ({ ...d, gateways: [gateway('a.test', { endpoints: [{ host: 'a.test', port: 1, kind: 'onion' }] })] }), /v3 .onion/],
    ['a clearnet endpoint that is an onion', (d) => ({ ...d, gateways: [gateway('a.test', { endpoints: [{ host: ONION, port: 1, kind: 'clearnet' }] })] }), /clearnet endpoint/],
    ['port 0', (d) => ({ ...d, gateways: [gateway('a.test', { endpoints: [{ host: 'a.test', port: 0, kind: 'clearnet' }] })] }), /port/],
    ['no endpoint', (d) => ({ ...d, gateways: [gateway('a.test', { endpoints: [] })] }), /endpoints/],
    ['a duplicate endpoint', (d) => ({ ...d, gateways: [gateway('a.test', { endpoints: [{ host: 'a.test', port: 1, kind: 'clearnet' }, { host: 'a.test', port: 1, kind: 'clearnet' }] })] }), /listed twice/],
    ['a contact that is no URI', (d) => ({ ...d, gateways: [gateway('a.test', { operator: { name: 'x', contact: 'call me' } })] }), /mailto:, https: or xmpp:/],
    ['a lower-case fingerprint', (d) => ({ ...d, revocations: { gateways: [], signers: [{ fingerprint: 'a'.repeat(40), date: '2026-01-01' }] } }), /fingerprint/],
    ['a revocation without a reason', (d) => ({ ...d, revocations: { gateways: [{ domain: 'c.test', date: '2026-01-01' }], signers: [] } }), /reason/],
  ];

  it.each(cases)('refuses %s, naming where', (_, change, why) => {
    const bad = change(makeDocument());
    expect(() => validateDirectory(bad)).toThrow(DirectoryMalformedError);
    expect(() => validateDirectory(bad)).toThrow(why);
  });

  it('refuses canonical JSON that is not a directory, and a directory that is not canonical', () => {
    expect(() => parseDirectory(enc('{"a":1}'))).toThrow(/malformed/);
    const text = new TextDecoder().decode(serializeDirectory(makeDocument()));
    expect(() => parseDirectory(enc(text.replace('"serial":1', '"serial":1.0')))).toThrow(/floats are not allowed/);
    expect(() => parseDirectory(enc(text.replace('{"expires"', '{"serial":2,"expires"')))).toThrow(/duplicate key "serial"/);
    expect(() => parseDirectory(enc(JSON.stringify(JSON.parse(text), null, 1)))).toThrow(/canonical form/);
    expect(() => parseDirectory(new Uint8Array(1024 * 1024 + 1))).toThrow(/larger than/);
  });
});

describe('creating a directory', () => {
  const now = new Date('2026-03-01T12:00:00.500Z');

  it('bumps the serial, sets fresh dates and sorts gateways', () => {
    const previous = makeDocument({ serial: 7, gateways: [gateway('b.test')] });
    const doc = createDirectory({ previous, addGateways: [gateway('a.test')], now, validDays: 30 });
    expect(doc.serial).toBe(8);
    expect(doc.issued).toBe('2026-03-01T12:00:00Z');
    expect(doc.expires).toBe('2026-03-31T12:00:00Z');
    expect(doc.gateways.map((g) => g.domain)).toEqual(['a.test', 'b.test']);
    expect(() => createDirectory({ previous, serial: 7, now })).toThrow(/not greater than the previous/);
  });

  it('revoking a gateway takes it off the list; revoking a signer records the day', () => {
    const previous = makeDocument({ serial: 1 });
    const doc = createDirectory({ previous, revokeGateways: [{ domain: 'b.test', reason: 'seized' }], revokeSigners: [{ fingerprint: 'B'.repeat(40) }], now });
    expect(doc.gateways.map((g) => g.domain)).toEqual(['a.test']);
    expect(doc.revocations.gateways).toEqual([{ domain: 'b.test', date: '2026-03-01', reason: 'seized' }]);
    expect(doc.revocations.signers).toEqual([{ fingerprint: 'B'.repeat(40), date: '2026-03-01' }]);
  });

  it('reads a hand-written input (any layout) and gateway specs from flags', () => {
    const input = parseDirectoryInput(JSON.stringify({ gateways: [gateway('c.test')], threshold: 3 }, null, 2));
    const doc = createDirectory({ input, now });
    expect([doc.serial, doc.threshold, doc.gateways.length]).toEqual([1, 3, 1]);
    expect(() => parseDirectoryInput('{"gateways": [], "serial": 4}')).toThrow(/serial|Unrecognized/);
    const op = { name: 'Ops', contact: 'https://ops.example' };
    expect(gatewayFromSpec(`d.test=d.test:5222,${ONION}:5269`, op, '2026-03-01').endpoints).toEqual([
      { host: 'd.test', port: 5222, kind: 'clearnet' },
      { host: ONION, port: 5269, kind: 'onion' },
    ]);
    expect(gatewayFromSpec('e.test', op, '2026-03-01').endpoints).toEqual([{ host: 'e.test', port: 5222, kind: 'clearnet' }]);
    expect(() => gatewayFromSpec('f.test=f.test', op, '2026-03-01')).toThrow(/not host:port/);
  });
});
