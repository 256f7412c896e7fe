/**
 * Accepting a directory. In this order, so that unsigned bytes are never parsed beyond their signatures:
 *
 *   1. size caps; the bundle split into its armored signature blocks;
 *   2. every signature checked over the RAW bytes (signatures.ts) with the network keys, minus the signers revoked
 *      by a directory already accepted; if fewer than k0 = max(shipped threshold, last good copy's threshold) count,
 *      refuse: TamperedDirectoryError if one of them is by a network key but does not verify (the bytes were
 *      altered), else RevokedSignerError if one is by a revoked key, else NotEnoughSignaturesError;
 *   3. the bytes parsed (canonical.ts: strict UTF-8, canonical JSON) and checked against the schema;
 *   4. the signers this directory revokes ITSELF are dropped too, and the count checked again against
 *      k = max(k0, the directory's own threshold): a directory can raise k for itself, never lower it below what the
 *      client ships or already accepted;
 *   5. the serial must be greater than the last good copy's (StaleSerialError): no replay of an older directory;
 *   6. it must not have expired (DirectoryExpiredError).
 *
 * A signer revocation takes effect for good, whatever its date: the key never counts again, even for a directory
 * signed before the date. Revocations are sticky: a later directory that leaves one out does not un-revoke the key
 * (DirectoryStore remembers every signer revocation it has accepted).
 */
import { DirectoryExpiredError, DirectoryMalformedError, NotEnoughSignaturesError, RevokedSignerError, StaleSerialError, TamperedDirectoryError, type SignatureRejection } from './errors';
import type { NetworkKeys } from './network';
import { MAX_DIRECTORY_BYTES, parseDirectory, type DirectoryDocument } from './schema';
import { countSignatures, splitSignatureBundle } from './signatures';

export interface VerifyOptions {
  network: NetworkKeys;
  /** The last good copy: its serial must be exceeded, its threshold is a floor. */
  lastGood?: { serial: number; threshold: number } | undefined;
  /** Fingerprints of signers revoked by directories already accepted. */
  revokedSigners?: Iterable<string>;
  now?: Date;
  /** Default true. False only to re-read a copy already accepted once (the store's own file, the shipped one). */
  checkExpiry?: boolean;
}

export interface VerifiedDirectory {
  readonly document: DirectoryDocument;
  /** The exact canonical bytes that were verified. */
  readonly bytes: Uint8Array;
  /** The signature bundle as received (every block, counted or not). */
  readonly signatures: string;
  /** Fingerprints of the network keys whose signatures counted. */
  readonly signers: readonly string[];
  /** The k the signatures were checked against. */
  readonly required: number;
  /** Signatures that did not count, and why (an extra signature by a revoked key does not make a directory fail). */
  readonly ignored: readonly SignatureRejection[];
}

export async function verifyDirectory(bytes: Uint8Array, signatures: string, o: VerifyOptions): Promise<VerifiedDirectory> {
  const now = o.now ?? new Date();
  if (bytes.byteLength > MAX_DIRECTORY_BYTES) throw new DirectoryMalformedError(`it is larger than ${String(MAX_DIRECTORY_BYTES)} bytes`);
  if (signatures.length > MAX_DIRECTORY_BYTES) throw new DirectoryMalformedError('the signature file is too large');
  const blocks = splitSignatureBundle(signatures);
  const accepted = new Set(o.revokedSigners ?? []);
  const floor = Math.max(o.network.threshold, o.lastGood?.threshold ?? 0);

  const counted = await countSignatures(bytes, blocks, o.network, accepted, now);
  requireCount(counted.counted.length, floor, counted.rejected);

  const document = parseDirectory(bytes);

  const selfRevoked = new Set(document.revocations.signers.map((r) => r.fingerprint));
  const rejected = [...counted.rejected];
  const signers: string[] = [];
  for (const { index, fingerprint } of counted.counted) {
    if (selfRevoked.has(fingerprint)) rejected.push({ index, reason: 'revoked-signer', fingerprint });
    else signers.push(fingerprint);
  }
  rejected.sort((a, b) => a.index - b.index);
  const required = Math.max(floor, document.threshold);
  requireCount(signers.length, required, rejected);

  if (o.lastGood !== undefined && document.serial <= o.lastGood.serial) throw new StaleSerialError(document.serial, o.lastGood.serial);
  if ((o.checkExpiry ?? true) && isExpired(document, now)) throw new DirectoryExpiredError(document.expires);
  return { document, bytes, signatures, signers, required, ignored: rejected };
}

export function isExpired(document: DirectoryDocument, now: Date): boolean {
  return now.getTime() >= Date.parse(document.expires);
}

function requireCount(valid: number, required: number, rejected: readonly SignatureRejection[]): void {
  if (valid >= required) return;
  if (rejected.some((r) => r.reason === 'bad-signature')) throw new TamperedDirectoryError(valid, required, rejected);
  if (rejected.some((r) => r.reason === 'revoked-signer')) throw new RevokedSignerError(valid, required, rejected);
  throw new NotEnoughSignaturesError(valid, required, rejected);
}
