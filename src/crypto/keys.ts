/**
 * OpenPGP account keys for OX (XEP-0373) with openpgp.js 6.
 *
 * Generated keys are what GnuPG's `future-default` makes and what Profanity's /ox understands: a v4 key, an Ed25519
 * (legacy EdDSA) primary key that certifies and signs, a Curve25519 (legacy ECDH) subkey that encrypts, and the one
 * user ID `xmpp:<bare JID>`. openpgp.js defaults are kept otherwise (v4 keys, SEIPDv1, no AEAD), which interoperate
 * with GnuPG 2.2.
 *
 * Liberal in what we accept (binary, Base64 of binary, Base64 of armor, armor), strict in what we use: a key is only
 * used once validatePublicKey has found a valid self-certified user ID `xmpp:<the JID we expect>`, no revocation, no
 * expiry, and valid signing and encryption (sub)keys at the given time.
 */
import * as openpgp from 'openpgp';
import type { Key, PrivateKey, PublicKey } from 'openpgp';
import { decodeBase64, encodeBase64, normalizeBareJid, strictUtf8 } from './encoding';
import {
  KeyExpiredError,
  KeyFormatError,
  KeyRevokedError,
  KeyUnusableError,
  KeyUserIdError,
  PassphraseError,
} from './errors';

/** A contact's (or our own) public key, checked to belong to `jid`. */
export interface OxPublicKey {
  /** Normalised bare JID the key is bound to by a valid `xmpp:` user ID. */
  readonly jid: string;
  /** Upper-case hex fingerprint of the primary key, as XEP-0373 writes it (40 digits for v4). */
  readonly fingerprint: string;
  readonly key: PublicKey;
}

/** Our account key: the decrypted secret key, usable wherever its public half (an OxPublicKey) is expected. */
export interface OxSecretKey extends OxPublicKey {
  /** Decrypted, ready to sign and decrypt. Keep it in memory only; store it with exportSecretKey. */
  readonly secretKey: PrivateKey;
  readonly publicKey: OxPublicKey;
}

/** Larger than any sane OX key (XEP-0373 §8.2 speaks of tens of kilobytes), small enough to parse quickly. */
export const MAX_KEY_TEXT = 1024 * 1024;
const ARMOR_PREFIX = '-----BEGIN PGP ';

export function userIdFor(jid: string): string {
  return `xmpp:${normalizeBareJid(jid)}`;
}

/** True if a user ID string names `jid`: exactly `xmpp:<jid>`, or `<xmpp:jid>` inside a longer ID. */
function userIdNames(userId: string, jid: string): boolean {
  const bracketed = /<xmpp:([^<>]+)>/i.exec(userId);
  const candidate = bracketed?.[1] ?? (/^xmpp:/i.test(userId.trim()) ? userId.trim().slice(5) : null);
  if (candidate === null) return false;
  try {
    return normalizeBareJid(candidate) === jid && !candidate.includes('/');
  } catch {
    return false;
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Checks that `key` may be used for `expectedJid` at `now` and returns it tagged. Throws KeyRevokedError,
 * KeyExpiredError, KeyUserIdError or KeyUnusableError.
 */
export async function validatePublicKey(key: PublicKey, expectedJid: string, now: Date): Promise<OxPublicKey> {
  const jid = normalizeBareJid(expectedJid);
  const pub = key.toPublic();
  if (pub.keyPacket.version < 4) throw new KeyUnusableError('OpenPGP keys older than version 4 are not accepted');
  if (await pub.isRevoked(undefined, undefined, now).catch(() => false)) throw new KeyRevokedError();
  try {
    await pub.verifyPrimaryKey(now);
  } catch (err) {
    const message = errorText(err);
    if (/revoked/i.test(message)) throw new KeyRevokedError({ cause: err });
    if (/expired/i.test(message)) throw new KeyExpiredError({ cause: err });
    throw new KeyUnusableError('no valid self-signature', { cause: err });
  }
  let bound = false;
  for (const user of pub.users) {
    const id = user.userID?.userID;
    if (id === undefined || !userIdNames(id, jid)) continue;
    try {
      await user.verify(now);
      bound = true;
      break;
    } catch {
      // A user ID without a valid self-certification (or a revoked one) proves nothing: try the next one.
    }
  }
  if (!bound) throw new KeyUserIdError();
  try {
    await pub.getEncryptionKey(undefined, now);
  } catch (err) {
    throw new KeyUnusableError('no valid encryption subkey', { cause: err });
  }
  try {
    await pub.getSigningKey(undefined, now);
  } catch (err) {
    throw new KeyUnusableError('no valid signing key', { cause: err });
  }
  return { jid, fingerprint: pub.getFingerprint().toUpperCase(), key: pub };
}

/** Checks a decrypted private key like validatePublicKey, and that its signing and decryption parts are present. */
export async function validateSecretKey(secretKey: PrivateKey, expectedJid: string, now: Date): Promise<OxSecretKey> {
  if (!secretKey.isDecrypted()) throw new KeyUnusableError('the secret key is still locked');
  const publicKey = await validatePublicKey(secretKey.toPublic(), expectedJid, now);
  try {
    const signing = await secretKey.getSigningKey(undefined, now);
    const decryption = await secretKey.getDecryptionKeys(undefined, now);
    const usable = (packet: openpgp.PublicKeyPacket | openpgp.SecretKeyPacket | openpgp.PublicSubkeyPacket | openpgp.SecretSubkeyPacket): boolean =>
      (packet instanceof openpgp.SecretKeyPacket || packet instanceof openpgp.SecretSubkeyPacket) && !packet.isDummy() && packet.isDecrypted();
    if (!usable(signing.keyPacket) || !decryption.some((k) => usable(k.keyPacket))) throw new Error('secret parts missing');
  } catch (err) {
    throw new KeyUnusableError('the secret signing or decryption key is missing', { cause: err });
  }
  return { jid: publicKey.jid, fingerprint: publicKey.fingerprint, key: publicKey.key, secretKey, publicKey };
}

/** A new account key for `jid`, valid from `now` and without expiry. Takes about 10 ms. */
export async function generateAccountKey(jid: string, now: Date = new Date()): Promise<OxSecretKey> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: userIdFor(jid) }],
    date: now,
    format: 'object',
    config: { v6Keys: false },
  });
  return validateSecretKey(privateKey, jid, now);
}

/** The public key as the XEP wants it on PEP (`<pubkey><data>`): Base64 of the binary transferable public key. */
export function exportPublicKey(key: OxPublicKey): string {
  return encodeBase64(key.key.toPublic().write());
}

/** Binary or armored input, from any of the encodings seen in the wild. */
function decodeKeyText(data: string): { armoredKeys: string } | { binaryKeys: Uint8Array } {
  if (data.length > MAX_KEY_TEXT) throw new KeyFormatError('too large');
  const text = data.trim();
  if (text.startsWith(ARMOR_PREFIX)) return { armoredKeys: text };
  const bytes = decodeBase64(text);
  if (bytes === null || bytes.length === 0) throw new KeyFormatError('not Base64');
  const head = String.fromCharCode(...bytes.subarray(0, 64)).trimStart();
  if (head.startsWith(ARMOR_PREFIX)) {
    try {
      return { armoredKeys: strictUtf8.decode(bytes) };
    } catch (err) {
      throw new KeyFormatError('armor is not UTF-8', { cause: err });
    }
  }
  return { binaryKeys: bytes };
}

async function readExactlyOneKey(data: string): Promise<PublicKey> {
  const input = decodeKeyText(data);
  let keys: Key[];
  try {
    keys = 'armoredKeys' in input ? await openpgp.readKeys({ armoredKeys: input.armoredKeys }) : await openpgp.readKeys({ binaryKeys: input.binaryKeys });
  } catch (err) {
    throw new KeyFormatError('not an OpenPGP key', { cause: err });
  }
  const [key, ...more] = keys;
  if (key === undefined || more.length > 0) throw new KeyFormatError('expected exactly one key');
  return key.toPublic();
}

/**
 * Reads a contact's public key (from PEP or pasted) and checks it for `expectedJid`. Accepts Base64 of the binary key
 * (what the XEP says), Base64 of an armored key, or armored text. Throws a CryptoError subclass.
 */
export async function importPublicKey(data: string, expectedJid: string, now: Date = new Date()): Promise<OxPublicKey> {
  const key = await readExactlyOneKey(data);
  return validatePublicKey(key, expectedJid, now);
}

/** Our secret key, armored and locked with `passphrase` (openpgp.js S2K defaults: iterated+salted SHA-256, AES-256). */
export async function exportSecretKey(key: OxSecretKey, passphrase: string): Promise<string> {
  if (passphrase === '') throw new KeyUnusableError('an empty passphrase would store the key unprotected');
  const locked = await openpgp.encryptKey({ privateKey: key.secretKey, passphrase });
  return locked.armor();
}

/** Reads and unlocks a key written by exportSecretKey. A wrong passphrase is a PassphraseError. */
export async function importSecretKey(armored: string, passphrase: string, expectedJid: string, now: Date = new Date()): Promise<OxSecretKey> {
  if (armored.length > MAX_KEY_TEXT) throw new KeyFormatError('too large');
  let locked: PrivateKey;
  try {
    locked = await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (err) {
    throw new KeyFormatError('not an OpenPGP secret key', { cause: err });
  }
  if (locked.isDecrypted()) throw new KeyFormatError('the stored secret key is not passphrase-protected');
  let secretKey: PrivateKey;
  try {
    secretKey = await openpgp.decryptKey({ privateKey: locked, passphrase });
  } catch (err) {
    if (/passphrase/i.test(errorText(err))) throw new PassphraseError({ cause: err });
    throw new KeyFormatError('the secret key could not be unlocked', { cause: err });
  }
  return validateSecretKey(secretKey, expectedJid, now);
}

/** `ABCD 1234 …`: upper-case hex in groups of four, the way people compare fingerprints (and GnuPG prints them). */
export function formatFingerprint(fingerprint: string): string {
  const hex = normalizeFingerprint(fingerprint) ?? fingerprint.toUpperCase();
  return hex.match(/.{1,4}/g)?.join(' ') ?? '';
}

/** Upper-case hex without separators, or null if it is not a v4 (40) or v6 (64) hex fingerprint. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/[\s:-]/g, '').toUpperCase();
  return /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(hex) ? hex : null;
}

/** True if both name the same fingerprint, whatever the spacing or case; false if either is not a fingerprint. */
export function fingerprintsMatch(a: string, b: string): boolean {
  const x = normalizeFingerprint(a);
  return x !== null && x === normalizeFingerprint(b);
}
