import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng';
import { InvalidJidError } from '../crypto/errors';
import { NoGatewayError } from './errors';
import { revokedGatewayWarnings } from './revocation';
import type { DirectoryDocument } from './schema';
import { contactsSharingGateway, endpointsFor, healthyGateways, pickGateway, secureRandomIndex, type GatewayHealth, type RandomIndex } from './spread';
import { gateway, makeDocument } from './testing/network';

const ONION = `${'b'.repeat(56)}.onion`;
const domains = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
const doc = makeDocument({ gateways: domains.map((d) => gateway(d)) });
const health = (entries: Record<string, GatewayHealth>): Map<string, GatewayHealth> => new Map(Object.entries(entries));
const names = (d: DirectoryDocument, h: Map<string, GatewayHealth>): string[] => healthyGateways(d, h).map((g) => g.domain);

describe('pickGateway', () => {
  it('picks among the gateways known up; down ones never', () => {
    expect(names(doc, health({ 'b.test': 'up', 'd.test': 'up', 'a.test': 'down' }))).toEqual(['b.test', 'd.test']);
  });

  it('counts unknown as healthy only when no gateway is known up', () => {
    expect(names(doc, health({ 'a.test': 'down', 'c.test': 'down' }))).toEqual(['b.test', 'd.test', 'e.test']);
    expect(names(doc, new Map())).toEqual(domains);
  });

  it('is not "the first one": the random source decides', () => {
    const last: RandomIndex = (n) => n - 1;
    expect(pickGateway(doc, new Map(), last).domain).toBe('e.test');
    expect(pickGateway(doc, health({ 'b.test': 'up', 'c.test': 'up' }), last).domain).toBe('c.test');
  });

  it('is uniform: 50 000 seeded picks fall within 3% of a fifth each', () => {
    const r = prng(42);
    const random: RandomIndex = (n) => Math.floor(r() * n);
    const counts = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const d = pickGateway(doc, new Map(), random).domain;
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    for (const d of domains) expect(Math.abs((counts.get(d) ?? 0) / 50_000 - 0.2), d).toBeLessThan(0.2 * 0.03);
  });

  it('uses a cryptographic random source by default, and reaches every gateway', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(pickGateway(doc, new Map()).domain);
    expect([...seen].sort()).toEqual(domains);
    expect(secureRandomIndex(1)).toBe(0);
  });

  it('never picks a revoked gateway, nor one unusable in the mode', () => {
    // A document the schema would refuse (listed AND revoked): the pick still leaves the revoked one out.
    const odd = { ...doc, revocations: { gateways: [{ domain: 'a.test', date: '2026-01-01', reason: 'x' }], signers: [] } };
    expect(names(odd, health({ 'a.test': 'up', 'b.test': 'up' }))).toEqual(['b.test']);
    const onionOnly = makeDocument({ gateways: [gateway('a.test'), gateway('o.test', { endpoints: [{ host: ONION, port: 5222, kind: 'onion' }] })] });
    expect(healthyGateways(onionOnly, new Map(), { mode: 'socks5' }).map((g) => g.domain)).toEqual(['a.test']);
    expect(healthyGateways(onionOnly, new Map(), { mode: 'tor' }).map((g) => g.domain)).toEqual(['a.test', 'o.test']);
  });

  it('throws a typed error when nothing can be picked, and refuses a broken random source', () => {
    expect(() => pickGateway(doc, health(Object.fromEntries(domains.map((d) => [d, 'down'])) as Record<string, GatewayHealth>))).toThrow(NoGatewayError);
    expect(() => pickGateway(makeDocument({ gateways: [] }), new Map())).toThrow(/lists no server/);
    expect(() => pickGateway(doc, new Map(), () => 5)).toThrow(RangeError);
    expect(() => pickGateway(doc, new Map(), () => 0.5)).toThrow(RangeError);
  });
});

describe('endpointsFor', () => {
  it('puts onion endpoints first under Tor and leaves them out elsewhere', () => {
    const g = gateway('a.test', { endpoints: [{ host: 'a.test', port: 5222, kind: 'clearnet' }, { host: ONION, port: 5222, kind: 'onion' }] });
    expect(endpointsFor(g, 'tor').map((e) => e.kind)).toEqual(['onion', 'clearnet']);
    expect(endpointsFor(g, 'direct').map((e) => e.kind)).toEqual(['clearnet']);
  });
});

describe('contactsSharingGateway', () => {
  it('counts distinct contacts on the account domain (case, resources and duplicates folded; junk and self skipped)', () => {
    const share = contactsSharingGateway('Me@A.test/laptop', ['bob@a.test', 'BOB@a.test/phone', 'carol@b.test', 'dave@a.test', 'me@a.test', 'not a jid@', 'eve@sub.a.test']);
    expect(share).toEqual({ domain: 'a.test', sharing: 2, total: 4 });
    expect(contactsSharingGateway('me@a.test', [])).toEqual({ domain: 'a.test', sharing: 0, total: 0 });
    expect(() => contactsSharingGateway('@', [])).toThrow(InvalidJidError);
  });
});

describe('revokedGatewayWarnings', () => {
  it('warns once for each account on a revoked gateway, with the date and the reason', () => {
    const d = makeDocument({ revocations: { gateways: [{ domain: 'c.test', date: '2026-02-03', reason: 'the operator lost control of the server' }], signers: [] } });
    const w = revokedGatewayWarnings(d, ['me@a.test', 'work@C.test', 'work@c.test/desk', 'junk@']);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ account: 'work@c.test', domain: 'c.test', revokedOn: '2026-02-03' });
    expect(w[0]?.message).toMatch(/c\.test was removed from the Cove network on 2026-02-03 \(the operator lost control of the server\).*move this account/);
    expect(revokedGatewayWarnings(d, ['me@a.test'])).toEqual([]);
  });
});
