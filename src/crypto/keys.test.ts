import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64 } from './encoding';
import { InvalidJidError, KeyExpiredError, KeyFormatError, KeyRevokedError, KeyUnusableError, KeyUserIdError, PassphraseError } from './errors';
import {
  exportPublicKey,
  exportSecretKey,
  fingerprintsMatch,
  formatFingerprint,
  generateAccountKey,
  importPublicKey,
  importSecretKey,
  type OxSecretKey,
} from './keys';

const DAY = 86_400_000;
let alice: OxSecretKey;

beforeAll(async () => {
  alice = await generateAccountKey('Alice@A.test');
});

describe('account keys', () => {
  it('generates a v4 Ed25519/Curve25519 key with the user ID xmpp:<bare jid>', () => {
    const key = alice.secretKey;
    expect(alice.jid).toBe('alice@a.test');
    expect(key.getUserIDs()).toEqual(['xmpp:alice@a.test']);
    expect(key.keyPacket.version).toBe(4);
    expect(key.getAlgorithmInfo()).toEqual({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    expect(key.subkeys.map((s) => s.getAlgorithmInfo())).toEqual([{ algorithm: 'ecdh', curve: 'curve25519Legacy' }]);
    expect(alice.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(alice.publicKey.key.isPrivate()).toBe(false);
    expect(alice.key.isPrivate()).toBe(false); // usable wherever an OxPublicKey is expected
  });

  it('refuses an invalid JID', async () => {
    await expect(generateAccountKey('@nowhere')).rejects.toThrow(InvalidJidError);
  });

  it('exports Base64 of the binary key and imports it in every encoding seen in the wild', async () => {
    const b64 = exportPublicKey(alice);
    expect((Buffer.from(b64, 'base64')[0] ?? 0) & 0x80).toBe(0x80); // an OpenPGP packet tag, not armor text
    const armored = alice.publicKey.key.armor();
    const spaced = b64.replace(/(.{64})/g, '$1\n  ');
    for (const data of [b64, spaced, armored, encodeBase64(Buffer.from(armored)), `\n${armored}\n`]) {
      const imported = await importPublicKey(data, 'alice@a.test');
      expect(imported.fingerprint).toBe(alice.fingerprint);
      expect(imported.key.isPrivate()).toBe(false);
    }
  });

  it('imports the public half of a secret key given by mistake', async () => {
    const imported = await importPublicKey(alice.secretKey.armor(), 'alice@a.test');
    expect(imported.key.isPrivate()).toBe(false);
  });

  it('refuses a key whose user ID names another JID', async () => {
    await expect(importPublicKey(exportPublicKey(alice), 'mallory@a.test')).rejects.toThrow(KeyUserIdError);
  });

  it('refuses a key with an e-mail style user ID only', async () => {
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'Alice', email: 'alice@a.test' }], format: 'binary' });
    await expect(importPublicKey(encodeBase64(publicKey), 'alice@a.test')).rejects.toThrow(KeyUserIdError);
  });

  it('refuses an expired key', async () => {
    const { publicKey } = await openpgp.generateKey({
      userIDs: [{ name: 'xmpp:old@a.test' }],
      date: new Date(Date.now() - 3 * DAY),
      keyExpirationTime: DAY / 1000,
      format: 'binary',
    });
    await expect(importPublicKey(encodeBase64(publicKey), 'old@a.test')).rejects.toThrow(KeyExpiredError);
    // …but it was fine while it lasted.
    await expect(importPublicKey(encodeBase64(publicKey), 'old@a.test', new Date(Date.now() - 2.5 * DAY))).resolves.toBeDefined();
  });

  it('refuses a revoked key', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'xmpp:rev@a.test' }], format: 'object' });
    const { publicKey } = await openpgp.revokeKey({ key: privateKey, format: 'binary' });
    await expect(importPublicKey(encodeBase64(publicKey), 'rev@a.test')).rejects.toThrow(KeyRevokedError);
  });

  it('refuses a key without an encryption subkey', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'xmpp:sign@a.test' }], subkeys: [{ sign: true }], format: 'object' });
    await expect(importPublicKey(privateKey.toPublic().armor(), 'sign@a.test')).rejects.toThrow(KeyUnusableError);
  });

  it('refuses a user ID packet spliced in without a self-signature', async () => {
    // mallory's valid key plus a bare "xmpp:alice@a.test" user ID packet: the binding is not signed, so it proves nothing.
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'xmpp:mallory@m.test' }], format: 'object' });
    const packets = privateKey.toPublic().toPacketList();
    const fake = openpgp.UserIDPacket.fromObject({ name: 'xmpp:alice@a.test' });
    const list = new openpgp.PacketList<openpgp.AnyPacket>();
    list.push(...packets.slice(0, 1), fake, ...packets.slice(1));
    const spliced = new openpgp.PublicKey(list);
    expect(spliced.getUserIDs()).toContain('xmpp:alice@a.test');
    await expect(importPublicKey(encodeBase64(spliced.write()), 'alice@a.test')).rejects.toThrow(KeyUserIdError);
  });

  it.each([
    ['empty', () => ''],
    ['not base64', () => 'this is not base64 at all!'],
    ['random bytes', () => encodeBase64(new Uint8Array([1, 2, 3, 4, 5, 6]))],
    ['a truncated key', () => encodeBase64(alice.publicKey.key.write().subarray(0, 60))],
    ['armor with garbage', () => '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnope\n-----END PGP PUBLIC KEY BLOCK-----'],
    ['too large', () => 'A'.repeat(2 * 1024 * 1024)],
  ])('refuses %s key data', async (_what, data) => {
    await expect(importPublicKey(data(), 'alice@a.test')).rejects.toThrow(KeyFormatError);
  });

  it('refuses two keys where one is expected', async () => {
    const other = await generateAccountKey('alice@a.test');
    const both = new Uint8Array([...alice.publicKey.key.write(), ...other.publicKey.key.write()]);
    await expect(importPublicKey(encodeBase64(both), 'alice@a.test')).rejects.toThrow(/exactly one key/);
  });

  it('stores the secret key locked with a passphrase and unlocks it again', async () => {
    const stored = await exportSecretKey(alice, 'correct horse');
    expect(stored).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    const locked = await openpgp.readPrivateKey({ armoredKey: stored });
    expect(locked.isDecrypted()).toBe(false);
    const back = await importSecretKey(stored, 'correct horse', 'alice@a.test');
    expect(back.fingerprint).toBe(alice.fingerprint);
    expect(back.secretKey.isDecrypted()).toBe(true);
    await expect(importSecretKey(stored, 'wrong', 'alice@a.test')).rejects.toThrow(PassphraseError);
    await expect(importSecretKey(stored, 'correct horse', 'bob@b.test')).rejects.toThrow(KeyUserIdError);
    await expect(importSecretKey(alice.secretKey.armor(), 'x', 'alice@a.test')).rejects.toThrow(/not passphrase-protected/);
    await expect(importSecretKey('garbage', 'x', 'alice@a.test')).rejects.toThrow(KeyFormatError);
    await expect(exportSecretKey(alice, '')).rejects.toThrow(KeyUnusableError);
  });
});

describe('fingerprints', () => {
  const fp = '1357B01865B2503C18453D208CAC2A9678548E35';

  it('formats 40 hex digits in groups of four', () => {
    expect(formatFingerprint(fp.toLowerCase())).toBe('1357 B018 65B2 503C 1845 3D20 8CAC 2A96 7854 8E35');
  });

  it('matches regardless of case and separators, never on garbage', () => {
    expect(fingerprintsMatch(fp, '1357 b018 65b2 503c 1845 3d20 8cac 2a96 7854 8e35')).toBe(true);
    expect(fingerprintsMatch(fp, `${fp.slice(0, 39)}6`)).toBe(false);
    expect(fingerprintsMatch(fp, fp.slice(0, 16))).toBe(false);
    expect(fingerprintsMatch('', '')).toBe(false);
    expect(fingerprintsMatch('zz', 'zz')).toBe(false);
  });
});
