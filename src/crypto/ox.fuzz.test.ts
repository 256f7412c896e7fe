/**
 * Fuzz: 10,000 malformed OX payloads through decryptSigncrypt — random Base64 and garbage text, random bytes with
 * OpenPGP-looking headers, truncated and bit-flipped/spliced real messages, and real OpenPGP messages (properly
 * sealed) whose content is malformed signcrypt XML: wrong namespaces, missing or duplicated elements, DOCTYPE and
 * entities, huge attributes, deep nesting, invalid UTF-8, bad stamps, foreign recipients; or that are unsigned,
 * signed by another key, or encrypted to someone else. Every call must settle with a typed CryptoError, except that
 * a mutation which leaves bob's part intact may still succeed, and then only with the original payload. No crash,
 * no unhandled rejection (Vitest fails the run on one), each call within its time limit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { int, pick, prng, randomBytes, type Rand } from '../../test/helpers/prng';
import { decodeBase64, encodeBase64, utf8 } from './encoding';
import { CryptoError } from './errors';
import { generateAccountKey, type OxSecretKey } from './keys';
import { decryptSigncrypt, encryptSigncrypt } from './ox';
import { sealRaw, signcryptXml } from './testing/seal';

const CASES = 10_000;
const POOL = 800;
const SEED = 0x0c0e;
const NOW = new Date('2025-03-01T12:00:00Z');
const STAMP = '2025-03-01T12:00:00Z';
const BODY = "<body xmlns='jabber:client'>fuzz me</body>";
const PER_CALL_LIMIT_MS = 2_000;
const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

let alice: OxSecretKey;
let bob: OxSecretKey;
let mallory: OxSecretKey;
/** Real messages alice → bob, and the payload each must yield. */
let bases: { bytes: Uint8Array; payloadXml: string }[] = [];
/** Properly sealed OpenPGP messages that must all be refused. */
let pool: string[] = [];

const valid = (to = 'bob@b.test', stamp = STAMP, payload = BODY): string => signcryptXml({ to: [to], stamp, payload });

/** Signcrypt content that is wrong by construction (never acceptable to bob). */
function badContent(r: Rand): string | Uint8Array {
  const good = valid();
  switch (int(r, 17)) {
    case 0: return randomBytes(r, int(r, 400));
    case 1: return Array.from({ length: int(r, 300) }, () => String.fromCharCode(32 + int(r, 95))).join('');
    case 2: return good.slice(0, int(r, good.length));
    case 3: return good.replace('urn:xmpp:openpgp:0', pick(r, ['urn:xmpp:openpgp:1', '', 'jabber:client', 'URN:XMPP:OPENPGP:0']));
    case 4: return good.replace(/signcrypt/g, pick(r, ['sign', 'crypt', 'openpgp', 'x:signcrypt']));
    case 5: return pick(r, [signcryptXml({ stamp: STAMP, payload: BODY }), signcryptXml({ to: ['bob@b.test'], payload: BODY }), signcryptXml({ to: ['bob@b.test'], stamp: STAMP })]);
    case 6: return signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY, extra: pick(r, [`<time stamp='${STAMP}'/>`, '<payload/>']) });
    case 7: return pick(r, [`<!DOCTYPE signcrypt>${good}`, `<!DOCTYPE s [<!ENTITY e "${'x'.repeat(int(r, 100))}">]>${good}`, valid('bob@b.test', STAMP, '<body>&e;</body>'), valid('bob@b.test', STAMP, '<body>&#0;</body>')]);
    case 8: return r() < 0.5 ? valid('bob@b.test', 'A'.repeat(10_000 + int(r, 200_000))) : valid(`${'b'.repeat(2_000 + int(r, 100_000))}@b.test`);
    case 9: return valid(pick(r, ['carol@c.test', 'bob@b.test.evil', 'b.test', 'bob@c.test']));
    case 10: return valid('bob@b.test', pick(r, ['', 'now', '2025-03-01T12:00:00', '2025-02-30T12:00:00Z', '2025-03-01T13:00:00Z', '9999-12-31T23:59:59Z']));
    case 11: return valid('bob@b.test', STAMP, pick(r, ['<!-- c --><body/>', '<?pi x?><body/>', '<body><![CDATA[x]]]]><![CDATA[>]]></body><x']));
    case 12: { const d = 40 + int(r, 200); return valid('bob@b.test', STAMP, '<a>'.repeat(d) + '</a>'.repeat(d)); }
    case 13: { const bytes = utf8.encode(good); const at = int(r, bytes.length); return Uint8Array.from([...bytes.subarray(0, at), pick(r, [0xff, 0xc0, 0xed, 0x80]), ...bytes.subarray(at)]); }
    case 14: return valid('bob@b.test', STAMP, pick(r, ['<x:body/>', '<body>', '</payload>', "<body a='1' a='2'/>", '<body a=1/>']));
    case 15: // over the 256 KiB cap, plainly or as a compression bomb (sealBad compresses some)
      return r() < 0.5 ? valid('bob@b.test', STAMP, `<body>${'z'.repeat(260_000 + int(r, 200_000))}</body>`) : new Uint8Array(300_000 + int(r, 3_000_000));
    default: return good + pick(r, ['<extra/>', 'trailing', good]);
  }
}

async function sealBad(r: Rand): Promise<string> {
  const how = int(r, 10);
  if (how === 0) return sealRaw(valid(), { encryptTo: [bob.publicKey.key], signWith: mallory.secretKey, date: NOW }); // wrong signer
  if (how === 1) return sealRaw(valid(), { encryptTo: [bob.publicKey.key], date: NOW }); // unsigned
  if (how === 2) return sealRaw(valid(), { encryptTo: [mallory.publicKey.key], signWith: alice.secretKey, date: NOW }); // not for bob
  return sealRaw(badContent(r), { encryptTo: [bob.publicKey.key, alice.publicKey.key], signWith: alice.secretKey, date: NOW, compress: r() < 0.2 });
}

function mutate(r: Rand, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  for (let n = 1 + int(r, 4); n > 0; n--) {
    const at = int(r, out.length + 1);
    switch (int(r, 5)) {
      case 0: out[at] = (out[at] ?? 0) ^ (1 << int(r, 8)); break;
      case 1: out.splice(at, 0, ...randomBytes(r, 1 + int(r, 16))); break;
      case 2: out.splice(at, 1 + int(r, 32)); break;
      case 3: out.splice(at, 0, ...out.slice(int(r, out.length), int(r, out.length))); break;
      default: out[at] = int(r, 256);
    }
  }
  return Uint8Array.from(out);
}

interface Case { text: string; expect?: string }

function makeCase(r: Rand): Case {
  const base = pick(r, bases);
  const roll = int(r, 100);
  if (roll < 1) return { text: 'QUFB'.repeat(140_000 + int(r, 100_000)) };
  if (roll < 9) return { text: Array.from({ length: int(r, 3000) }, () => B64_CHARS.charAt(int(r, 64))).join('') + '='.repeat(int(r, 4)) };
  if (roll < 16) return { text: Array.from({ length: int(r, 500) }, () => String.fromCodePoint(int(r, 0x3000))).join('') };
  if (roll < 22) return { text: encodeBase64(Uint8Array.from([pick(r, [0xc1, 0x84, 0x85, 0xc3, 0xd2, 0xc8, 0xcb, 0xa3]), ...randomBytes(r, int(r, 3000))])) };
  if (roll < 40) return { text: encodeBase64(base.bytes.subarray(0, int(r, base.bytes.length))) };
  if (roll < 62) return { text: encodeBase64(mutate(r, base.bytes)), expect: base.payloadXml };
  if (roll < 66) return { text: encodeBase64(Uint8Array.from([...base.bytes, ...pick(r, bases).bytes])), expect: base.payloadXml };
  if (roll < 70) {
    const b64 = encodeBase64(base.bytes);
    const at = int(r, b64.length);
    return { text: b64.slice(0, at) + pick(r, ['!', '=', '-', '_', '\0', '==', 'é']) + b64.slice(at) };
  }
  if (roll < 98) {
    const text = pick(r, pool);
    return { text: r() < 0.3 ? text.replace(/(.{76})/g, '$1\n   ') : text };
  }
  return { text: encodeBase64(base.bytes), expect: base.payloadXml }; // untouched: the harness must accept these
}

beforeAll(async () => {
  const keyDate = new Date(NOW.getTime() - 86_400_000);
  [alice, bob, mallory] = await Promise.all([generateAccountKey('alice@a.test', keyDate), generateAccountKey('bob@b.test', keyDate), generateAccountKey('mallory@m.test', keyDate)]);
  bases = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const body = `<body xmlns='jabber:client'>message ${i} ${'·'.repeat(i * 20)}</body>`;
    const text = await encryptSigncrypt({ to: ['bob@b.test'], from: 'alice@a.test', body, recipientsKeys: [bob.publicKey], senderKey: alice, now: NOW });
    const got = await decryptSigncrypt({ openpgpText: text, ourJid: 'bob@b.test', senderJid: 'alice@a.test', ourKey: bob, senderKeys: [alice.publicKey], now: NOW });
    return { bytes: decodeBase64(text) ?? new Uint8Array(), payloadXml: got.payloadXml };
  }));
  const r = prng(SEED);
  pool = [];
  for (let i = 0; i < POOL; i++) pool.push(await sealBad(r));
}, 60_000);

describe('decryptSigncrypt under 10,000 malformed OX payloads', () => {
  it('settles every call in time with a typed CryptoError (or the original payload)', async () => {
    const r = prng(SEED + 1);
    const codes = new Map<string, number>();
    const problems: string[] = [];
    let accepted = 0;
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(r);
      const t0 = performance.now();
      try {
        const got = await decryptSigncrypt({ openpgpText: c.text, ourJid: 'bob@b.test', senderJid: 'alice@a.test', ourKey: bob, senderKeys: [alice.publicKey], now: NOW });
        if (got.payloadXml !== c.expect) problems.push(`case ${i}: accepted a malformed message`);
        accepted++;
      } catch (err) {
        if (err instanceof CryptoError) codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        else problems.push(`case ${i}: untyped ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      if (ms > PER_CALL_LIMIT_MS) problems.push(`case ${i}: took ${Math.round(ms)} ms`);
    }
    const total = performance.now() - started;
    console.info(`ox fuzz: ${CASES} cases in ${Math.round(total)} ms (slowest ${Math.round(slowest)} ms), ${accepted} accepted, rejected by code: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(accepted + [...codes.values()].reduce((a, b) => a + b, 0)).toBe(CASES);
    // Every kind of refusal was reached, so the cases really exercise each layer.
    for (const code of ['ox-malformed', 'ox-decrypt-failed', 'ox-bad-signature', 'ox-bad-content', 'ox-not-for-us', 'ox-bad-time', 'ox-too-large']) {
      expect(codes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  }, 90_000);
});
