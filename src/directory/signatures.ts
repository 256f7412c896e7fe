/**
 * Detached OpenPGP signatures over the directory's canonical bytes, one per signer, served next to the document as a
 * "signature bundle" (`directory.json.sig`): armored signature blocks one after the other, so that each signer can
 * sign alone and the publisher concatenates (`cat a.asc b.asc > directory.json.sig`). Each block must hold exactly one
 * signature packet of type 0x00 (binary document).
 *
 * Counting: a signature counts if it verifies over the bytes with a network key that no accepted directory has
 * revoked; several signatures by one key count once. Keys are told apart by their primary-key fingerprint.
 */
import * as openpgp from 'openpgp';
import type { PrivateKey, Signature } from 'openpgp';
import type { SignatureRejection } from './errors';
import { DirectoryMalformedError } from './errors';
import { fingerprintOf, type NetworkKeys } from './network';

/** At most this many signature blocks are looked at: more is not a directory, it is an attack on our CPU. */
export const MAX_SIGNATURES = 32;
/** Signatures made up to this far in the future (by the signer's clock) are accepted: clocks drift. */
export const CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

const BLOCK = /-----BEGIN PGP SIGNATURE-----\r?\n[\s\S]*?-----END PGP SIGNATURE-----/g;

/** Splits a bundle into its armored blocks; anything but whitespace between them is refused. */
export function splitSignatureBundle(text: string): string[] {
  const blocks = text.match(BLOCK) ?? [];
  if (text.replace(BLOCK, '').trim() !== '') throw new DirectoryMalformedError('the signature file holds something other than armored OpenPGP signatures');
  if (blocks.length === 0) throw new DirectoryMalformedError('the signature file holds no signature');
  if (blocks.length > MAX_SIGNATURES) throw new DirectoryMalformedError(`the signature file holds more than ${String(MAX_SIGNATURES)} signatures`);
  return blocks;
}

/** One detached, armored signature of `bytes` by `key` (the CLI's `sign`). */
export async function signBytes(bytes: Uint8Array, key: PrivateKey, date = new Date()): Promise<string> {
  const message = await openpgp.createMessage({ binary: bytes });
  const armored = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored', date });
  return armored.endsWith('\n') ? armored : `${armored}\n`;
}

export interface SignatureCount {
  /** The signatures that counted (one per network key), in bundle order. */
  counted: { index: number; fingerprint: string }[];
  rejected: SignatureRejection[];
}

/**
 * Verifies every block of the bundle over `bytes`. Never throws for a bad signature: each one that does not count is
 * listed in `rejected` with its reason. `now` is the verifier's clock (signatures up to CLOCK_SKEW_MS ahead count).
 */
export async function countSignatures(
  bytes: Uint8Array,
  blocks: readonly string[],
  network: NetworkKeys,
  revoked: ReadonlySet<string>,
  now: Date,
): Promise<SignatureCount> {
  const date = new Date(now.getTime() + CLOCK_SKEW_MS);
  const counted: { index: number; fingerprint: string }[] = [];
  const rejected: SignatureRejection[] = [];
  for (const [index, armored] of blocks.entries()) {
    const sig = await readOne(armored);
    if (sig === undefined) {
      rejected.push({ index, reason: 'unreadable' });
      continue;
    }
    const fingerprint = findSigner(sig, network);
    if (fingerprint === undefined) {
      rejected.push({ index, reason: 'unknown-key' });
      continue;
    }
    const key = network.keys.get(fingerprint);
    if (key === undefined) continue;
    let good: boolean;
    try {
      const message = await openpgp.createMessage({ binary: bytes });
      const result = await openpgp.verify({ message, signature: sig, verificationKeys: [key], date, expectSigned: true });
      good = (await result.signatures[0]?.verified) === true;
    } catch {
      good = false;
    }
    if (!good) rejected.push({ index, reason: 'bad-signature', fingerprint });
    else if (revoked.has(fingerprint)) rejected.push({ index, reason: 'revoked-signer', fingerprint });
    else if (counted.some((c) => c.fingerprint === fingerprint)) rejected.push({ index, reason: 'duplicate', fingerprint });
    else counted.push({ index, fingerprint });
  }
  return { counted, rejected };
}

async function readOne(armored: string): Promise<Signature | undefined> {
  try {
    const sig = await openpgp.readSignature({ armoredSignature: armored });
    const packet = sig.packets[0];
    if (sig.packets.length !== 1 || packet === undefined) return undefined;
    if (packet.signatureType !== openpgp.enums.signature.binary) return undefined;
    return sig;
  } catch {
    return undefined;
  }
}

/** The network key (primary fingerprint) whose primary key or subkey the signature names as its issuer. */
function findSigner(sig: Signature, network: NetworkKeys): string | undefined {
  const ids = sig.getSigningKeyIDs();
  for (const [fp, key] of network.keys) {
    if (ids.some((id) => key.getKeys(id).length > 0)) return fingerprintOf(key) === fp ? fp : undefined;
  }
  return undefined;
}
