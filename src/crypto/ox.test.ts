import { xml } from '@xmpp/client';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64, utf8 } from './encoding';
import {
  ContentError,
  CryptoError,
  DecryptError,
  EncryptError,
  KeyExpiredError,
  KeyMissingError,
  KeyUserIdError,
  MessageFormatError,
  NotEncryptedError,
  NotForUsError,
  PayloadTooLargeError,
  SignatureError,
  TimestampError,
} from './errors';
import { generateAccountKey, validatePublicKey, type OxPublicKey, type OxSecretKey } from './keys';
import { decryptSigncrypt, encryptSigncrypt, type DecryptSigncryptOptions } from './ox';
import { sealRaw, signcryptXml } from './testing/seal';

const BODY = "<body xmlns='jabber:client'>Hello &amp; welcome, Bob!</body>";
const NOW = new Date('2025-03-01T12:00:00Z');
const STAMP = '2025-03-01T12:00:00Z';
let alice: OxSecretKey;
let bob: OxSecretKey;
let mallory: OxSecretKey;
let aliceTwin: OxSecretKey; // a second key that really carries alice's user ID (e.g. an impostor's)

const KEY_DATE = new Date(NOW.getTime() - 86_400_000);
beforeAll(async () => {
  [alice, bob, mallory, aliceTwin] = await Promise.all([
    generateAccountKey('alice@a.test', KEY_DATE),
    generateAccountKey('bob@b.test', KEY_DATE),
    generateAccountKey('mallory@m.test', KEY_DATE),
    generateAccountKey('alice@a.test', KEY_DATE),
  ]);
});

const send = (body: string | readonly ReturnType<typeof xml>[] = BODY, now = NOW): Promise<string> =>
  encryptSigncrypt({ to: ['bob@b.test'], from: 'alice@a.test', body, recipientsKeys: [bob.publicKey], senderKey: alice, now });

const bobReads = (openpgpText: string, more: Partial<DecryptSigncryptOptions> = {}) =>
  decryptSigncrypt({ openpgpText, ourJid: 'bob@b.test', senderJid: 'alice@a.test', ourKey: bob, senderKeys: [alice.publicKey], now: NOW, ...more });

/** Signed by alice, encrypted to bob: arbitrary content as a (broken or malicious) client could send it. */
const aliceSeals = (content: string | Uint8Array, extra: { compress?: boolean } = {}) =>
  sealRaw(content, { encryptTo: [bob.publicKey.key, alice.publicKey.key], signWith: alice.secretKey, date: NOW, ...extra });

async function plaintextOf(openpgpText: string, key: OxSecretKey): Promise<string> {
  const message = await openpgp.readMessage({ binaryMessage: decodeBase64(openpgpText) ?? new Uint8Array() });
  const { data } = await openpgp.decrypt({ message, decryptionKeys: key.secretKey, format: 'binary' });
  return new TextDecoder().decode(data);
}

describe('signcrypt round trips', () => {
  it('alice → bob: bob decrypts, verifies and gets the payload, time and signer', async () => {
    const got = await bobReads(await send());
    expect(got.payloadXml).toBe('<body xmlns="jabber:client">Hello &amp; welcome, Bob!</body>');
    expect(got.payload[0]?.is('body', 'jabber:client')).toBe(true);
    expect(got.payload[0]?.getText()).toBe('Hello & welcome, Bob!');
    expect(got.time.toISOString()).toBe(NOW.toISOString());
    expect(got.to).toEqual(['bob@b.test']);
    expect(got.signerFingerprint).toBe(alice.fingerprint);
    expect(got.signedAt?.getTime()).toBe(NOW.getTime());
  });

  it('takes the payload as elements too', async () => {
    const got = await bobReads(await send([xml('body', { xmlns: 'jabber:client' }, '<not markup>'), xml('x', { xmlns: 'urn:y', a: "'\"" })]));
    expect(got.payloadXml).toBe('<body xmlns="jabber:client">&lt;not markup&gt;</body><x xmlns="urn:y" a="&apos;&quot;"/>');
  });

  it('alice can read her own sent copy (carbons, archive), naming bob as the stanza recipient', async () => {
    const sent = await send();
    const mine = await decryptSigncrypt({
      openpgpText: sent, ourJid: 'alice@a.test', senderJid: 'alice@a.test', ourKey: alice, senderKeys: [alice.publicKey], now: NOW, stanzaTo: 'bob@b.test',
    });
    expect(mine.payloadXml).toContain('Hello &amp; welcome');
    // Without saying who the stanza was for, her own copy is not "for her".
    await expect(decryptSigncrypt({ openpgpText: sent, ourJid: 'alice@a.test', senderJid: 'alice@a.test', ourKey: alice, senderKeys: [alice.publicKey], now: NOW }))
      .rejects.toThrow(NotForUsError);
  });

  it('pads every message with fresh random-length rpad', async () => {
    const texts = await Promise.all(Array.from({ length: 12 }, () => send()));
    const rpads = await Promise.all(texts.map(async (t) => /<rpad>([^<]*)<\/rpad>/.exec(await plaintextOf(t, bob))?.[1]));
    expect(rpads.every((r) => r !== undefined && r.length >= 16)).toBe(true);
    expect(new Set(rpads).size).toBe(rpads.length);
    expect(new Set(rpads.map((r) => r?.length)).size).toBeGreaterThan(1);
    expect(new Set(texts.map((t) => t.length)).size).toBeGreaterThan(1);
  });

  it('uses the OpenPGP packets XEP-0373 and GnuPG 2.2 expect: PKESKs for bob and alice, SEIPDv1, no armor', async () => {
    const text = await send();
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const message = await openpgp.readMessage({ binaryMessage: decodeBase64(text) ?? new Uint8Array() });
    const ids = message.getEncryptionKeyIDs().map((id) => id.toHex());
    const subkeyIds = [bob, alice].map((k) => k.secretKey.subkeys[0]?.getKeyID().toHex());
    expect(ids.sort()).toEqual(subkeyIds.sort());
    const seipd = message.packets.find((p) => p instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket) as unknown as { version: number } | undefined;
    expect(seipd?.version).toBe(1);
  });

  it.each([
    ['Z', '2025-03-01T12:00:00Z'],
    ['+00:00', '2025-03-01T12:00:00+00:00'],
    ['+0000 (no colon, seen from a real client)', '2025-03-01T12:00:00+0000'],
    ['an offset', '2025-03-01T13:00:00+01:00'],
    ['fractional seconds', '2025-03-01T12:00:00.000123Z'],
  ])('accepts a time stamp with %s', async (_what, stamp) => {
    const got = await bobReads(await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp, payload: BODY })));
    expect(got.time.getTime()).toBe(NOW.getTime());
  });

  it('reads compressed messages (GnuPG compresses by default)', async () => {
    const got = await bobReads(await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { compress: true }));
    expect(got.payloadXml).toContain('welcome');
  });
});

describe('signcrypt rejections', () => {
  it('refuses a message whose <to/> names someone else (surreptitious forwarding)', async () => {
    const forwarded = await aliceSeals(signcryptXml({ to: ['carol@c.test'], stamp: STAMP, payload: BODY }));
    await expect(bobReads(forwarded)).rejects.toThrow(NotForUsError);
  });

  it("refuses mallory's signature on a message claiming to come from alice", async () => {
    const forged = await sealRaw(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { encryptTo: [bob.publicKey.key], signWith: mallory.secretKey, date: NOW });
    await expect(bobReads(forged)).rejects.toThrow(SignatureError);
    // Even when mallory uses encryptSigncrypt "from" her own address, alice's keys do not verify it.
    const real = await encryptSigncrypt({ to: ['bob@b.test'], from: 'mallory@m.test', body: BODY, recipientsKeys: [bob.publicKey], senderKey: mallory, now: NOW });
    await expect(bobReads(real)).rejects.toThrow(SignatureError);
    // …and a key with alice's user ID that bob does not hold for alice proves nothing either.
    const twin = await encryptSigncrypt({ to: ['bob@b.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [bob.publicKey], senderKey: aliceTwin, now: NOW });
    await expect(bobReads(twin)).rejects.toThrow(/not signed by a key of the sender/);
  });

  it('ignores keys that are not bound to the sender JID', async () => {
    const posing: OxPublicKey = { ...mallory.publicKey, jid: 'alice@a.test' };
    const forged = await sealRaw(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { encryptTo: [bob.publicKey.key], signWith: mallory.secretKey, date: NOW });
    await expect(bobReads(forged, { senderKeys: [posing] })).rejects.toThrow(KeyUserIdError);
    await expect(bobReads(forged, { senderKeys: [] })).rejects.toThrow(KeyMissingError);
  });

  it('refuses tampered ciphertext', async () => {
    const bytes = decodeBase64(await send()) ?? new Uint8Array();
    for (const offset of [bytes.length - 1, bytes.length - 30, Math.floor(bytes.length * 0.7)]) {
      const tampered = Uint8Array.from(bytes);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      await expect(bobReads(encodeBase64(tampered))).rejects.toThrow(DecryptError);
    }
  });

  it('refuses a message not encrypted to us', async () => {
    const toMallory = await sealRaw(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { encryptTo: [mallory.publicKey.key], signWith: alice.secretKey, date: NOW });
    await expect(bobReads(toMallory)).rejects.toThrow(/not encrypted to our key/);
  });

  it('refuses plaintext, signed-only and unsigned messages', async () => {
    const xmlText = signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY });
    const literal = await openpgp.createMessage({ binary: utf8.encode(xmlText) });
    await expect(bobReads(encodeBase64(literal.write() as Uint8Array))).rejects.toThrow(NotEncryptedError);
    const signedOnly = await openpgp.sign({ message: literal, signingKeys: alice.secretKey, format: 'binary', date: NOW });
    await expect(bobReads(encodeBase64(signedOnly))).rejects.toThrow(NotEncryptedError);
    const unsigned = await sealRaw(xmlText, { encryptTo: [bob.publicKey.key] });
    await expect(bobReads(unsigned)).rejects.toThrow(/not signed/);
    await expect(bobReads(encodeBase64(utf8.encode(xmlText)))).rejects.toThrow(MessageFormatError);
    await expect(bobReads('not base64!')).rejects.toThrow(MessageFormatError);
    await expect(bobReads('')).rejects.toThrow(MessageFormatError);
  });

  it('refuses an expired sender key, and encrypting to an expired key', async () => {
    const { privateKey } = await openpgp.generateKey({
      type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'xmpp:old@a.test' }], date: new Date(NOW.getTime() - 5 * 86_400_000), keyExpirationTime: 86_400, format: 'object',
    });
    const expired = await validatePublicKey(privateKey.toPublic(), 'old@a.test', new Date(NOW.getTime() - 5 * 86_400_000 + 1000));
    await expect(encryptSigncrypt({ to: ['old@a.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [expired], senderKey: alice, now: NOW })).rejects.toThrow(KeyExpiredError);
    // With a fresh key next to the expired one, the expired one is skipped.
    const fresh = await generateAccountKey('old@a.test', KEY_DATE);
    const text = await encryptSigncrypt({ to: ['old@a.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [expired, fresh.publicKey], senderKey: alice, now: NOW });
    const recipients = (await openpgp.readMessage({ binaryMessage: decodeBase64(text) ?? new Uint8Array() })).getEncryptionKeyIDs().map((id) => id.toHex());
    expect(recipients).toContain(fresh.secretKey.subkeys[0]?.getKeyID().toHex());
    expect(recipients).not.toContain(privateKey.subkeys[0]?.getKeyID().toHex());
    const signed = await sealRaw(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { encryptTo: [bob.publicKey.key], signWith: privateKey, signDate: new Date(NOW.getTime() - 5 * 86_400_000 + 1000), date: NOW });
    await expect(bobReads(signed, { senderJid: 'old@a.test', senderKeys: [expired] })).rejects.toThrow(KeyExpiredError);
  });

  it('refuses to encrypt with a key of another JID or without a key for every recipient', async () => {
    await expect(encryptSigncrypt({ to: ['bob@b.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [{ ...mallory.publicKey, jid: 'bob@b.test' }], senderKey: alice, now: NOW })).rejects.toThrow(KeyUserIdError);
    await expect(encryptSigncrypt({ to: ['bob@b.test', 'carol@c.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [bob.publicKey], senderKey: alice, now: NOW })).rejects.toThrow(KeyMissingError);
    await expect(encryptSigncrypt({ to: ['bob@b.test'], from: 'alice@a.test', body: BODY, recipientsKeys: [bob.publicKey, mallory.publicKey], senderKey: alice, now: NOW })).rejects.toThrow(EncryptError);
    await expect(encryptSigncrypt({ to: ['bob@b.test'], from: 'mallory@m.test', body: BODY, recipientsKeys: [bob.publicKey], senderKey: alice, now: NOW })).rejects.toThrow(KeyUserIdError);
    await expect(encryptSigncrypt({ to: [], from: 'alice@a.test', body: BODY, recipientsKeys: [], senderKey: alice, now: NOW })).rejects.toThrow(EncryptError);
  });

  it('refuses a payload that would break out of <payload/>', async () => {
    await expect(send("</payload><to jid='eve@e.test'/><payload>")).rejects.toThrow(EncryptError);
    await expect(send('<body>unclosed')).rejects.toThrow(EncryptError);
  });

  it('refuses oversized payloads, sent or received (also as a compression bomb)', async () => {
    const big = `<body xmlns='jabber:client'>${'x'.repeat(300 * 1024)}</body>`;
    await expect(send(big)).rejects.toThrow(PayloadTooLargeError);
    await expect(bobReads(await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: big })))).rejects.toThrow(PayloadTooLargeError);
    await expect(bobReads(await aliceSeals(new Uint8Array(20 * 1024 * 1024), { compress: true }))).rejects.toThrow(PayloadTooLargeError);
    await expect(bobReads('A'.repeat(600 * 1024))).rejects.toThrow(PayloadTooLargeError);
  });

  it.each([
    ['a DOCTYPE', `<!DOCTYPE signcrypt>${signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY })}`],
    ['an entity (billion laughs)', `<!DOCTYPE s [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>${signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: '<body>&b;</body>' })}`],
    ['an undeclared entity', signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: '<body>&xxe;</body>' })],
    ['invalid UTF-8', '\uFFFD'],
    ['a wrong namespace', signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }).replace('openpgp:0', 'openpgp:1')],
    ['no <payload/>', signcryptXml({ to: ['bob@b.test'], stamp: STAMP })],
  ])('refuses decrypted content with %s', async (what, content) => {
    const bytes = what === 'invalid UTF-8' ? new Uint8Array([0x3c, 0xff, 0xfe, 0x3e]) : content;
    await expect(bobReads(await aliceSeals(bytes))).rejects.toThrow(ContentError);
  });

  it('refuses time stamps too far in the future, or older than maxAgeMs when one is given', async () => {
    const future = await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp: '2025-03-01T12:10:00Z', payload: BODY }));
    const err = await bobReads(future).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimestampError);
    expect((err as TimestampError).time?.toISOString()).toBe('2025-03-01T12:10:00.000Z');
    await expect(bobReads(future, { maxSkewMs: 15 * 60_000 })).resolves.toBeDefined();
    const old = await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp: '2025-02-01T12:00:00Z', payload: BODY }));
    await expect(bobReads(old)).resolves.toBeDefined();
    await expect(bobReads(old, { maxAgeMs: 7 * 86_400_000 })).rejects.toThrow(TimestampError);
    const garbage = await aliceSeals(signcryptXml({ to: ['bob@b.test'], stamp: 'soon', payload: BODY }));
    await expect(bobReads(garbage)).rejects.toThrow(TimestampError);
  });

  it('refuses a signature made in the future beyond the allowed skew', async () => {
    const early = await sealRaw(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY }), { encryptTo: [bob.publicKey.key], signWith: alice.secretKey, date: new Date(NOW.getTime() + 3_600_000) });
    await expect(bobReads(early)).rejects.toThrow(SignatureError);
  });

  it('every failure above is a CryptoError with a stable code', () => {
    expect(new NotForUsError()).toBeInstanceOf(CryptoError);
    expect(new NotForUsError().toApiError().code).toBe('ox-not-for-us');
  });
});
