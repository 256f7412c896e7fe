/**
 * Verification as Tor Browser's release process allows it: the detached OpenPGP signature on
 * `sha256sums-signed-build.txt` is checked with openpgp.js against the shipped Tor Browser Developers key (whose
 * primary fingerprint is pinned in resources/tor/versions.json), and only then is the archive's SHA-256 compared
 * with the line for it in that signed file. Any failure is a typed error that says what to do; nothing is unpacked
 * before both checks pass.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as openpgp from 'openpgp';
import { ChecksumError, SignatureError, SigningKeyError } from './errors';

const normalize = (fpr: string): string => fpr.replace(/\s+/g, '').toUpperCase();

/**
 * Reads the shipped key file and returns the one key whose primary fingerprint is the pinned one. Refuses a
 * placeholder, a file without that key, and a key that is revoked or expired now.
 */
export async function loadSigningKey(armored: string, fingerprint: string): Promise<openpgp.PublicKey> {
  if (!armored.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new SigningKeyError('tor-key-missing', `The Tor Browser Developers key file holds no public key (a placeholder?): put the key ${fingerprint} there (PACKAGING.md, "The signing key").`);
  }
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (err) {
    throw new SigningKeyError('tor-key-unreadable', `The Tor Browser Developers key file cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const want = normalize(fingerprint);
  const key = keys.find((k) => k.getFingerprint().toUpperCase() === want);
  if (key === undefined) {
    const got = keys.map((k) => k.getFingerprint().toUpperCase()).join(', ');
    throw new SigningKeyError('tor-key-fingerprint', `The key file does not hold the pinned key ${want} (it holds ${got || 'nothing'}): refusing to trust it.`);
  }
  try {
    await key.verifyPrimaryKey();
  } catch (err) {
    throw new SigningKeyError('tor-key-invalid', `The pinned key ${want} is not valid now (${err instanceof Error ? err.message : String(err)}): refresh the key file from the Tor Project (PACKAGING.md, "The signing key").`, { cause: err });
  }
  return key.toPublic();
}

export interface SignatureInfo {
  /** The (sub)key that made the signature, hex. */
  signingKeyId: string;
  created: Date | undefined;
}

/** Verifies a detached signature (armored) over `data` with the pinned key, or throws SignatureError. */
export async function verifyDetached(data: Uint8Array, armoredSignature: string, key: openpgp.PublicKey, what: string): Promise<SignatureInfo> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (err) {
    throw new SignatureError('tor-signature-unreadable', `The signature on ${what} cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const issuers = signature.getSigningKeyIDs().map((id) => id.toHex());
  const known = new Set(key.getKeys().map((k) => k.getKeyID().toHex()));
  if (!issuers.some((id) => known.has(id))) {
    throw new SignatureError(
      'tor-signature-unknown-key',
      `${what.charAt(0).toUpperCase()}${what.slice(1)} is signed by key ${issuers.join(', ') || '(none named)'}, which is not part of the pinned Tor Browser Developers key ${key.getFingerprint().toUpperCase()}. ` +
        'If the Tor Project has added a new signing subkey, refresh the key file (PACKAGING.md, "The signing key"); otherwise this file is not genuine.',
    );
  }
  // Only the signatures made by the pinned key count (a file may carry others'); one of them must verify.
  const message = await openpgp.createMessage({ binary: data });
  const { signatures } = await openpgp.verify({ message, signature, verificationKeys: key, format: 'binary' });
  let lastError: unknown;
  for (const s of signatures.filter((x) => known.has(x.keyID.toHex()))) {
    try {
      await s.verified;
      const created = (await s.signature).packets[0]?.created ?? undefined;
      return { signingKeyId: s.keyID.toHex(), created };
    } catch (err) {
      lastError = err;
    }
  }
  const why = lastError instanceof Error ? lastError.message : 'no signature by the pinned key';
  throw new SignatureError('tor-signature-bad', `The signature on ${what} does not verify with the pinned Tor Browser Developers key (${why}): the file was altered or is not genuine.`, { cause: lastError });
}

/** `sha256sums-signed-build.txt`: one `<64 hex>  <file name>` per line. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = /^([0-9a-fA-F]{64}) [ *]?(\S.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) throw new ChecksumError('tor-sums-malformed', `The checksum file's line ${i + 1} is not "<sha256>  <file>".`);
    const name = m[2].trim();
    if (sums.has(name) && sums.get(name) !== m[1].toLowerCase()) throw new ChecksumError('tor-sums-malformed', `The checksum file lists ${name} twice with different sums.`);
    sums.set(name, m[1].toLowerCase());
  }
  if (sums.size === 0) throw new ChecksumError('tor-sums-malformed', 'The checksum file is empty.');
  return sums;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Compares the archive's SHA-256 with its line in the (already verified) checksum file. */
export function checkArchiveSum(sums: ReadonlyMap<string, string>, archiveName: string, actual: string): void {
  const expected = sums.get(archiveName);
  if (expected === undefined) throw new ChecksumError('tor-sums-missing-file', `The signed checksum file does not list ${archiveName}: wrong version or platform name?`);
  if (expected !== actual.toLowerCase()) {
    throw new ChecksumError('tor-sha256-mismatch', `${archiveName} has SHA-256 ${actual}, but the signed checksum file says ${expected}: the download is corrupt or not genuine (delete it and fetch again).`);
  }
}

export interface VerifiedArchive {
  sha256: string;
  signature: SignatureInfo;
}

/** The whole check: signature on the sums file first, then the archive's hash against it. */
export async function verifyArchive(opts: { archivePath: string; archiveName: string; sums: Uint8Array; sumsSignature: string; key: openpgp.PublicKey }): Promise<VerifiedArchive> {
  const signature = await verifyDetached(opts.sums, opts.sumsSignature, opts.key, 'the checksum file');
  const sums = parseSums(new TextDecoder('utf-8', { fatal: false }).decode(opts.sums));
  const sha256 = await sha256File(opts.archivePath);
  checkArchiveSum(sums, opts.archiveName, sha256);
  return { sha256, signature };
}
