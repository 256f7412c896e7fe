/**
 * XEP-0374 (OpenPGP for XMPP Instant Messaging) signcrypt: the text of <openpgp xmlns='urn:xmpp:openpgp:0'/>.
 *
 * Sending: the <signcrypt/> XML is signed with our key and encrypted to every recipient's key AND to our own (so
 * carbons, the archive and our other devices can read it), as one OpenPGP message in a binary literal packet,
 * SEIPDv1, uncompressed, Base64 without armor (XEP-0373 §3.1).
 *
 * Receiving: accepted ONLY if it decrypts with our key, carries a signature that verifies with one of the keys we
 * hold for the sender's JID (validated for that JID), is well-formed safe signcrypt content whose <to/> names us (or
 * the stanza's recipient, for our own sent copies), and has a plausible time stamp. Anything else is a typed
 * CryptoError; there is never a plaintext fallback. The signature is verified before the XML is parsed.
 */
import * as openpgp from 'openpgp';
import type { Element } from '@xmpp/client';
import { decodeBase64, encodeBase64, normalizeBareJid, strictUtf8, utf8 } from './encoding';
import {
  ContentError,
  CryptoError,
  DecryptError,
  EncryptError,
  KeyMissingError,
  KeyUserIdError,
  MessageFormatError,
  NotEncryptedError,
  NotForUsError,
  PayloadTooLargeError,
  SignatureError,
  TimestampError,
} from './errors';
import { validatePublicKey, validateSecretKey, type OxPublicKey, type OxSecretKey } from './keys';
import { buildSigncrypt, MAX_SIGNCRYPT_BYTES, parseSigncrypt } from './signcrypt';

/** Base64 of the largest message we accept: 256 KiB of content plus keys' and signature packets, with slack. */
export const MAX_OPENPGP_TEXT = 512 * 1024;
/** Default tolerance for a time stamp (and signature) ahead of our clock. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export interface EncryptSigncryptOptions {
  /** Bare JIDs of the recipients, written into <to/> elements. */
  readonly to: readonly string[];
  /** Our bare JID. */
  readonly from: string;
  /** The payload's children: XML text (must be well-formed) or elements, e.g. <body xmlns='jabber:client'>. */
  readonly body: string | readonly Element[];
  /**
   * At least one valid key for each recipient; each must be tagged with a JID in `to` (or `from`, for our other
   * keys). Keys not valid for their JID at `now` are skipped; a recipient left without one is an error.
   */
  readonly recipientsKeys: readonly OxPublicKey[];
  readonly senderKey: OxSecretKey;
  readonly now?: Date;
}

/** Signs and encrypts a <signcrypt/> and returns the Base64 text for <openpgp/>. */
export async function encryptSigncrypt(options: EncryptSigncryptOptions): Promise<string> {
  const now = options.now ?? new Date();
  const from = normalizeBareJid(options.from);
  const to = [...new Set(options.to.map(normalizeBareJid))];
  if (to.length === 0) throw new EncryptError('no recipient');
  if (normalizeBareJid(options.senderKey.jid) !== from) throw new KeyUserIdError();
  const sender = await validateSecretKey(options.senderKey.secretKey, from, now);

  // Keys that are not valid now (expired, revoked, wrong user ID) are skipped; each recipient needs one valid key.
  const keys = new Map<string, OxPublicKey>([[sender.fingerprint, sender.publicKey]]);
  const covered = new Set<string>([from]);
  const firstError = new Map<string, CryptoError>();
  for (const candidate of options.recipientsKeys) {
    const jid = normalizeBareJid(candidate.jid);
    if (!to.includes(jid) && jid !== from) throw new EncryptError('a key of someone who is not a recipient');
    try {
      const checked = await validatePublicKey(candidate.key, jid, now);
      keys.set(checked.fingerprint, checked);
      covered.add(jid);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      if (!firstError.has(jid)) firstError.set(jid, err);
    }
  }
  const uncovered = to.find((jid) => !covered.has(jid));
  if (uncovered !== undefined) throw firstError.get(uncovered) ?? new KeyMissingError('for a recipient');

  let plaintext: Uint8Array;
  try {
    plaintext = utf8.encode(buildSigncrypt({ to, time: now, body: options.body }));
  } catch (err) {
    if (err instanceof ContentError) throw new EncryptError('the payload is not well-formed XML', { cause: err });
    throw err;
  }
  if (plaintext.byteLength > MAX_SIGNCRYPT_BYTES) throw new PayloadTooLargeError(MAX_SIGNCRYPT_BYTES);
  try {
    const message = await openpgp.createMessage({ binary: plaintext });
    const encrypted = await openpgp.encrypt({
      message,
      encryptionKeys: [...keys.values()].map((k) => k.key),
      signingKeys: sender.secretKey,
      date: now,
      format: 'binary',
      config: { aeadProtect: false, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
    });
    return encodeBase64(encrypted);
  } catch (err) {
    throw new EncryptError('openpgp.js refused the message or a key', { cause: err });
  }
}

export interface DecryptSigncryptOptions {
  /** The text content of the received <openpgp/> element. */
  readonly openpgpText: string;
  /** Our bare JID. */
  readonly ourJid: string;
  /** The bare JID the stanza came from. */
  readonly senderJid: string;
  readonly ourKey: OxSecretKey;
  /** The keys we hold for senderJid; only those valid for that JID at `now` are used. */
  readonly senderKeys: readonly OxPublicKey[];
  readonly now?: Date;
  /** How far ahead of `now` the time stamp (and signature) may be; default 5 minutes. */
  readonly maxSkewMs?: number;
  /** How far behind `now` the time stamp may be; default unlimited (offline and archived messages are old). */
  readonly maxAgeMs?: number;
  /**
   * The bare JID of the stanza's `to`, which a <to/> must name (XEP-0373 §3.2); default ourJid. For our own sent
   * message (a carbon or an archive copy, senderJid = ourJid) pass the conversation partner's JID.
   */
  readonly stanzaTo?: string;
}

export interface SigncryptMessage {
  readonly payload: readonly Element[];
  readonly payloadXml: string;
  /** The signed <time/> stamp: compare with what you have seen to detect replays or backdating. */
  readonly time: Date;
  /** The signed <to/> addresses. */
  readonly to: readonly string[];
  /** Upper-case hex fingerprint of the sender's primary key that made the signature. */
  readonly signerFingerprint: string;
  /** The OpenPGP signature's own creation time, when it could be read. */
  readonly signedAt: Date | null;
}

const isEncryptedData = (packet: unknown): boolean =>
  packet instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket ||
  packet instanceof openpgp.AEADEncryptedDataPacket ||
  packet instanceof openpgp.SymmetricallyEncryptedDataPacket;

async function usableSenderKeys(senderJid: string, keys: readonly OxPublicKey[], now: Date): Promise<OxPublicKey[]> {
  const usable: OxPublicKey[] = [];
  let firstError: CryptoError | null = null;
  for (const key of keys) {
    if (normalizeBareJid(key.jid) !== senderJid) continue;
    try {
      usable.push(await validatePublicKey(key.key, senderJid, now));
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      firstError ??= err;
    }
  }
  if (usable.length === 0) throw firstError ?? new KeyMissingError("none for the sender's address");
  return usable;
}

async function readEncrypted(text: string): Promise<openpgp.Message<Uint8Array>> {
  if (text.length > MAX_OPENPGP_TEXT) throw new PayloadTooLargeError(MAX_SIGNCRYPT_BYTES);
  const bytes = decodeBase64(text);
  if (bytes === null || bytes.length === 0) throw new MessageFormatError('not Base64');
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: bytes });
  } catch (err) {
    throw new MessageFormatError('not an OpenPGP message', { cause: err });
  }
  if (!message.packets.some(isEncryptedData)) throw new NotEncryptedError();
  return message;
}

/** Decrypts and verifies an OX <signcrypt/> message; see the module comment for what is checked. */
export async function decryptSigncrypt(options: DecryptSigncryptOptions): Promise<SigncryptMessage> {
  const now = options.now ?? new Date();
  const maxSkewMs = options.maxSkewMs !== undefined && options.maxSkewMs >= 0 ? options.maxSkewMs : DEFAULT_MAX_SKEW_MS;
  const ourJid = normalizeBareJid(options.ourJid);
  const senderJid = normalizeBareJid(options.senderJid);
  const stanzaTo = options.stanzaTo === undefined ? ourJid : normalizeBareJid(options.stanzaTo);
  if (normalizeBareJid(options.ourKey.jid) !== ourJid) throw new KeyUserIdError();

  const message = await readEncrypted(options.openpgpText);
  const senderKeys = await usableSenderKeys(senderJid, options.senderKeys, now);

  let data: Uint8Array;
  let signatures: Awaited<ReturnType<typeof openpgp.decrypt>>['signatures'];
  try {
    ({ data, signatures } = await openpgp.decrypt({
      message,
      decryptionKeys: options.ourKey.secretKey,
      verificationKeys: senderKeys.map((k) => k.key),
      format: 'binary',
      date: new Date(now.getTime() + maxSkewMs),
      config: { maxDecompressedMessageSize: MAX_SIGNCRYPT_BYTES + 1 },
    }));
  } catch (err) {
    const text = err instanceof Error ? err.message : '';
    if (/decompressed/i.test(text)) throw new PayloadTooLargeError(MAX_SIGNCRYPT_BYTES, { cause: err });
    const ours = options.ourKey.secretKey.getKeyIDs();
    const forUs = message.getEncryptionKeyIDs().some((id) => ours.some((own) => own.equals(id, true)));
    throw new DecryptError(forUs ? 'damaged or altered' : 'not encrypted to our key', { cause: err });
  }
  if (data.byteLength > MAX_SIGNCRYPT_BYTES) throw new PayloadTooLargeError(MAX_SIGNCRYPT_BYTES);

  const signer = await verifiedSigner(signatures, senderKeys);
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch (err) {
    throw new ContentError('not UTF-8', { cause: err });
  }
  const content = parseSigncrypt(text);
  if (!content.to.includes(stanzaTo)) throw new NotForUsError();
  if (content.time.getTime() > now.getTime() + maxSkewMs) throw new TimestampError('in the future', content.time);
  if (options.maxAgeMs !== undefined && content.time.getTime() < now.getTime() - options.maxAgeMs) {
    throw new TimestampError('too old', content.time);
  }
  return { ...content, signerFingerprint: signer.fingerprint, signedAt: signer.signedAt };
}

/** The sender key behind the first signature that verifies; SignatureError if there is none. */
async function verifiedSigner(
  signatures: Awaited<ReturnType<typeof openpgp.decrypt>>['signatures'],
  senderKeys: readonly OxPublicKey[],
): Promise<{ fingerprint: string; signedAt: Date | null }> {
  if (signatures.length === 0) throw new SignatureError('the message is not signed');
  let byKnownKey = false;
  let lastError: unknown;
  for (const sig of signatures) {
    const key = senderKeys.find((k) => k.key.getKeys(sig.keyID).length > 0);
    if (key === undefined) continue;
    byKnownKey = true;
    try {
      await sig.verified;
    } catch (err) {
      lastError = err;
      continue;
    }
    const packet = await sig.signature.then((s) => s.packets[0], () => undefined);
    return { fingerprint: key.fingerprint, signedAt: packet?.created ?? null };
  }
  if (!byKnownKey) throw new SignatureError("not signed by a key of the sender's address");
  throw new SignatureError('the signature does not verify', { cause: lastError });
}
