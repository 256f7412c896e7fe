// Checks the who-sees-what model against the seed text, one test per seed statement, and its invariants.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FactIdSchema,
  PartyIdSchema,
  PrivacyModeIdSchema,
  SEED_STATEMENTS,
  SeedStatementIdSchema,
  WHO_SEES_WHAT,
  WhoSeesWhatSchema,
  modeModel,
  whoSees,
  type PrivacyModeId,
  type SeedStatementId,
  type TradeOffAspect,
} from './who-sees-what';

const SEED_FILE = '/work/shared/seeds/haven-privacy-and-security.txt';
const MODES = PrivacyModeIdSchema.options;
const PROXIED: PrivacyModeId[] = ['socks5', 'vpn', 'tor', 'tor-onion'];

const knows = (m: PrivacyModeId, p: Parameters<typeof whoSees>[1], f: Parameters<typeof whoSees>[2]): string => whoSees(m, p, f).knows;
const trade = (m: PrivacyModeId, a: TradeOffAspect): number => {
  const t = modeModel(m).tradeOffs.find((x) => x.aspect === a);
  if (t === undefined) throw new Error(`no ${a} for ${m}`);
  return t.level;
};
/** Every place the model cites `seed`: "mode/party/fact" or "mode/tradeoff". */
function citations(seed: SeedStatementId): string[] {
  const out: string[] = [];
  for (const m of WHO_SEES_WHAT.modes) {
    for (const p of m.parties) {
      if (p.sourceNotes.some((n) => n.seed === seed)) out.push(`${m.mode}/${p.party}`);
      for (const s of p.sees) if (s.sourceNotes.some((n) => n.seed === seed)) out.push(`${m.mode}/${p.party}/${s.fact}`);
    }
    for (const t of m.tradeOffs) if (t.sourceNotes.some((n) => n.seed === seed)) out.push(`${m.mode}/${t.aspect}`);
  }
  return out;
}

describe('the model is well formed', () => {
  it('parses with its own zod schema (the UI contract)', () => {
    expect(WhoSeesWhatSchema.parse(WHO_SEES_WHAT)).toEqual(WHO_SEES_WHAT);
  });

  it('has every mode once, every party exactly once per mode, every fact exactly once per party', () => {
    expect(WHO_SEES_WHAT.modes.map((m) => m.mode)).toEqual(MODES);
    for (const m of WHO_SEES_WHAT.modes) {
      expect(m.parties.map((p) => p.party), m.mode).toEqual(PartyIdSchema.options);
      for (const p of m.parties) expect(p.sees.map((s) => s.fact), `${m.mode}/${p.party}`).toEqual(FactIdSchema.options);
      expect(m.tradeOffs.map((t) => t.aspect).sort()).toEqual(['protection', 'reliability', 'speed', 'startup']);
    }
  });

  it('never lets any party learn message content (OX: end to end)', () => {
    for (const m of MODES) for (const p of PartyIdSchema.options) expect(knows(m, p, 'content'), `${m}/${p}`).toBe('no');
  });

  it('a party that is not involved learns nothing', () => {
    for (const m of WHO_SEES_WHAT.modes) {
      for (const p of m.parties.filter((x) => !x.involved)) expect(p.sees.every((s) => s.knows === 'no'), `${m.mode}/${p.party}`).toBe(true);
    }
  });

  it('involves exactly the parties of each mode', () => {
    const involved = (m: PrivacyModeId): string[] => modeModel(m).parties.filter((p) => p.involved).map((p) => p.party);
    expect(involved('direct')).toEqual(['local-network', 'gateway-operator', 'directory-operator', 'contact-gateway']);
    expect(involved('socks5')).toEqual(['local-network', 'proxy-operator', 'gateway-operator', 'directory-operator', 'contact-gateway']);
    expect(involved('vpn')).toEqual(['local-network', 'vpn-provider', 'gateway-operator', 'directory-operator', 'contact-gateway']);
    expect(involved('tor')).toEqual(['local-network', 'tor-guard', 'tor-exit', 'gateway-operator', 'directory-operator', 'contact-gateway']);
    // .onion: the exit relay only carries the directory fetch; XMPP never leaves Tor
    expect(involved('tor-onion')).toEqual(involved('tor'));
  });

  it('your own server always sees who talks to whom; your contact’s server never sees your IP', () => {
    for (const m of MODES) {
      expect(knows(m, 'gateway-operator', 'metadata'), m).toBe('yes');
      expect(knows(m, 'contact-gateway', 'ip-address'), m).toBe('no');
    }
  });

  it('source notes carry the label of the seed statement they point to', () => {
    for (const m of WHO_SEES_WHAT.modes) {
      for (const p of m.parties) {
        for (const n of [...p.sourceNotes, ...p.sees.flatMap((s) => s.sourceNotes)]) expect(n.label).toBe(SEED_STATEMENTS[n.seed].label);
      }
    }
  });

  it('cites every seed statement at least once', () => {
    for (const id of SeedStatementIdSchema.options) expect(citations(id), id).not.toEqual([]);
  });

  it.skipIf(!existsSync(SEED_FILE))('quotes the seed verbatim', () => {
    const seed = readFileSync(SEED_FILE, 'utf8');
    for (const s of Object.values(SEED_STATEMENTS)) expect(seed, s.id).toContain(s.quote);
  });
});

describe('the seed statements, one test each', () => {
  it('regular-exposes-ip: direct exposes your IP to the web server (directory) and the gateway', () => {
    expect(knows('direct', 'directory-operator', 'ip-address')).toBe('yes');
    expect(knows('direct', 'gateway-operator', 'ip-address')).toBe('yes');
    expect(citations('regular-exposes-ip')).toContain('direct/gateway-operator/ip-address');
  });

  it('proxy-hides-ip: in SOCKS5 mode the gateway operator does not learn your IP, the proxy operator does', () => {
    expect(knows('socks5', 'gateway-operator', 'ip-address')).toBe('no');
    expect(knows('socks5', 'directory-operator', 'ip-address')).toBe('no');
    expect(knows('socks5', 'proxy-operator', 'ip-address')).toBe('yes');
    expect(citations('proxy-hides-ip')).toContain('socks5/gateway-operator/ip-address');
  });

  it('top-privacy-not-identified: Tor or a VPN hides your IP from the gateway and does not identify you as a user', () => {
    for (const m of ['vpn', 'tor', 'tor-onion'] as const) {
      expect(knows(m, 'gateway-operator', 'ip-address'), m).toBe('no');
      expect(knows(m, 'directory-operator', 'ip-address'), m).toBe('no');
      expect(knows(m, 'directory-operator', 'uses-xmpp'), m).toBe('no');
      expect(knows(m, 'gateway-operator', 'uses-xmpp'), m).toBe('no');
    }
  });

  it('tor-more-secure-slower: Tor protects more than a VPN and is slower than a VPN', () => {
    expect(trade('tor', 'protection')).toBeGreaterThan(trade('vpn', 'protection'));
    expect(trade('tor', 'speed')).toBeLessThan(trade('vpn', 'speed'));
    expect(trade('tor-onion', 'speed')).toBeLessThan(trade('vpn', 'speed'));
  });

  it('vpn-less-secure-faster: a VPN is faster than Tor, and its provider sees both your IP and your server', () => {
    expect(trade('vpn', 'speed')).toBeGreaterThan(trade('tor', 'speed'));
    expect(knows('vpn', 'vpn-provider', 'ip-address')).toBe('yes');
    expect(knows('vpn', 'vpn-provider', 'gateway')).toBe('yes');
    // while no single Tor relay knows both
    for (const relay of ['tor-guard', 'tor-exit'] as const) {
      expect([knows('tor', relay, 'ip-address'), knows('tor', relay, 'gateway')]).toContain('no');
    }
  });

  it('routing-impacts-ux: routing via a VPN or Tor is slower than direct', () => {
    for (const m of ['vpn', 'tor', 'tor-onion'] as const) expect(trade(m, 'speed'), m).toBeLessThan(trade('direct', 'speed'));
  });

  it('proxy-only-hides-ip: no proxy, VPN or relay learns content; but XMPP servers DO see who talks to whom (differs)', () => {
    for (const m of PROXIED) {
      for (const p of ['proxy-operator', 'vpn-provider', 'tor-guard', 'tor-exit'] as const) {
        expect(knows(m, p, 'content')).toBe('no');
        expect(knows(m, p, 'metadata')).toBe('no');
      }
      const meta = whoSees(m, 'gateway-operator', 'metadata');
      expect(meta.knows).toBe('yes');
      expect(meta.sourceNotes).toContainEqual(expect.objectContaining({ seed: 'proxy-only-hides-ip', relation: 'differs' }));
    }
  });

  it('proxy-latency-timeouts: SOCKS5 has higher latency and is less reliable than direct', () => {
    expect(trade('socks5', 'speed')).toBeLessThan(trade('direct', 'speed'));
    expect(trade('socks5', 'reliability')).toBeLessThan(trade('direct', 'reliability'));
  });

  it('direct-fastest: direct is the fastest mode', () => {
    for (const m of MODES.filter((x) => x !== 'direct')) expect(trade('direct', 'speed'), m).toBeGreaterThan(trade(m, 'speed'));
  });

  it("direct-gateway-knows-use: in direct mode the gateway, and anyone watching (your network), know you use XMPP", () => {
    expect(knows('direct', 'gateway-operator', 'uses-xmpp')).toBe('yes');
    expect(knows('direct', 'local-network', 'uses-xmpp')).toBe('yes');
    // "but not other details": not content
    expect(knows('direct', 'local-network', 'content')).toBe('no');
  });

  it("web-proxy-hides-ip: the directory's owner does not see your IP through a proxy", () => {
    expect(knows('socks5', 'directory-operator', 'ip-address')).toBe('no');
    expect(knows('socks5', 'directory-operator', 'uses-xmpp')).toBe('no');
  });

  it('web-proxy-slower-start: SOCKS5 starts slower than direct', () => {
    expect(trade('socks5', 'startup')).toBeLessThan(trade('direct', 'startup'));
  });

  it('web-direct-fastest-start: direct starts fastest', () => {
    for (const m of MODES.filter((x) => x !== 'direct')) expect(trade('direct', 'startup'), m).toBeGreaterThan(trade(m, 'startup'));
  });

  it("web-direct-identifies-ip: the directory's owner may identify your IP as a Cove user in direct mode", () => {
    expect(knows('direct', 'directory-operator', 'ip-address')).toBe('yes');
    expect(knows('direct', 'directory-operator', 'uses-xmpp')).toBe('yes');
    expect(knows('direct', 'directory-operator', 'metadata')).toBe('no'); // "but not other details"
  });

  it('connections-only-via-proxy: with a proxy or VPN your network sees connections to it only, not the server', () => {
    expect(knows('vpn', 'local-network', 'gateway')).toBe('no');
    expect(knows('vpn', 'local-network', 'privacy-tool')).toBe('yes');
    // SOCKS5 is clear text on the way to the proxy: only "partly" hidden, and the model says so
    expect(knows('socks5', 'local-network', 'gateway')).toBe('partly');
    expect(knows('socks5', 'local-network', 'privacy-tool')).toBe('yes');
  });

  it('web-not-in-message-path: the directory never sees who talks to whom', () => {
    for (const m of MODES) expect(knows(m, 'directory-operator', 'metadata'), m).toBe('no');
  });

  it('ip-logged: where a server sees your IP, the model warns it may be logged', () => {
    expect(whoSees('direct', 'gateway-operator', 'ip-address').why).toMatch(/logs/);
  });
});

describe('the brief’s own claims', () => {
  it('.onion: nobody past your network and the guard learns your IP; the onion service operator only sees a Tor circuit', () => {
    const seeIp = modeModel('tor-onion')
      .parties.filter((p) => p.sees.some((s) => s.fact === 'ip-address' && s.knows !== 'no'))
      .map((p) => p.party);
    expect(seeIp).toEqual(['local-network', 'tor-guard']);
    expect(whoSees('tor-onion', 'gateway-operator', 'ip-address').why).toMatch(/Tor circuit/);
    expect(knows('tor-onion', 'tor-exit', 'gateway')).toBe('no');
  });

  it('Tor: your ISP learns you use Tor but not the gateway; the guard knows your IP but not the gateway', () => {
    for (const m of ['tor', 'tor-onion'] as const) {
      expect(knows(m, 'local-network', 'privacy-tool'), m).toBe('yes');
      expect(knows(m, 'local-network', 'gateway'), m).toBe('no');
      expect(knows(m, 'local-network', 'uses-xmpp'), m).toBe('no');
      expect(knows(m, 'tor-guard', 'ip-address'), m).toBe('yes');
      expect(knows(m, 'tor-guard', 'gateway'), m).toBe('no');
    }
  });

  it('Tor: the exit sees the server but not you', () => {
    expect(knows('tor', 'tor-exit', 'ip-address')).toBe('no');
    expect(knows('tor', 'tor-exit', 'gateway')).toBe('partly');
  });
});
