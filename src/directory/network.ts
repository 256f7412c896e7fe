/**
 * The network keys: the n OpenPGP public keys whose signatures make a directory valid, and the smallest threshold k
 * a directory may ask for. Cove ships them (resources/directory/): a key directory holds
 *
 *   network.json          {"threshold":2,"keys":["<FINGERPRINT>", ...]}
 *   keys/<FINGERPRINT>.asc  one armored PUBLIC key each
 *
 * The manifest pins each key by its full fingerprint, so a swapped key file is refused. A secret key found there is
 * refused too: it must never be shipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from 'openpgp';
import { z } from 'zod';
import { NetworkKeysError } from './errors';
import { FingerprintSchema } from './schema';

export interface NetworkKeys {
  /** The smallest k any directory is verified with, whatever the directory says. */
  readonly threshold: number;
  /** By upper-case fingerprint of the primary key. */
  readonly keys: ReadonlyMap<string, PublicKey>;
}

export const NetworkManifestSchema = z.strictObject({
  threshold: z.int().min(1).max(64),
  keys: z.array(FingerprintSchema).min(1).max(64),
});
export type NetworkManifest = z.infer<typeof NetworkManifestSchema>;

export const MANIFEST_FILE = 'network.json';
export const keyFile = (fingerprint: string): string => join('keys', `${fingerprint}.asc`);

export function fingerprintOf(key: PublicKey): string {
  return key.getFingerprint().toUpperCase();
}

/** Builds the network from keys in memory (tests, the CLI): checks each key and the threshold. */
export async function networkFromKeys(keys: readonly PublicKey[], threshold: number): Promise<NetworkKeys> {
  const map = new Map<string, PublicKey>();
  for (const key of keys) {
    const fp = fingerprintOf(key);
    if (map.has(fp)) throw new NetworkKeysError(`key ${fp} is listed twice`);
    await checkKey(key, fp);
    map.set(fp, key);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > map.size) {
    throw new NetworkKeysError(`the threshold must be between 1 and the number of keys (${String(map.size)})`);
  }
  return { threshold, keys: map };
}

async function checkKey(key: PublicKey, fp: string): Promise<void> {
  if (key.isPrivate()) throw new NetworkKeysError(`key ${fp} is a SECRET key: only public keys may be shipped`);
  if (key.keyPacket.version < 4) throw new NetworkKeysError(`key ${fp} is older than OpenPGP v4`);
  try {
    await key.verifyPrimaryKey();
  } catch (err) {
    throw new NetworkKeysError(`key ${fp} is not usable (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/** Reads a key directory (see the file comment). */
export async function loadNetworkKeys(dir: string): Promise<NetworkKeys> {
  let manifest: NetworkManifest;
  try {
    const r = NetworkManifestSchema.safeParse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')));
    if (!r.success) throw new NetworkKeysError(`${MANIFEST_FILE}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    manifest = r.data;
  } catch (err) {
    if (err instanceof NetworkKeysError) throw err;
    throw new NetworkKeysError(`${MANIFEST_FILE} cannot be read`, { cause: err });
  }
  const keys: PublicKey[] = [];
  for (const fp of manifest.keys) {
    let armored: string;
    try {
      armored = readFileSync(join(dir, keyFile(fp)), 'utf8');
    } catch (err) {
      throw new NetworkKeysError(`the key file for ${fp} cannot be read`, { cause: err });
    }
    if (armored.includes('PRIVATE KEY BLOCK')) throw new NetworkKeysError(`the key file for ${fp} holds a SECRET key: only public keys may be shipped`);
    let read: openpgp.Key;
    try {
      read = await openpgp.readKey({ armoredKey: armored });
    } catch (err) {
      throw new NetworkKeysError(`the key file for ${fp} is not an OpenPGP key`, { cause: err });
    }
    if (read.isPrivate()) throw new NetworkKeysError(`the key file for ${fp} holds a SECRET key: only public keys may be shipped`);
    const key = read.toPublic();
    if (fingerprintOf(key) !== fp) throw new NetworkKeysError(`the key file for ${fp} holds another key (${fingerprintOf(key)})`);
    keys.push(key);
  }
  return networkFromKeys(keys, manifest.threshold);
}

/**
 * A new network key pair (the CLI's keygen): a v4 Ed25519 (legacy EdDSA) primary key that certifies and signs, no
 * subkey, no expiry — what GnuPG and openpgp.js both verify. `label` becomes its user ID.
 */
export async function generateNetworkKey(label: string): Promise<PrivateKey> {
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: label }], subkeys: [], format: 'object' });
  return privateKey;
}

/** The manifest text for a set of fingerprints (the CLI's keygen writes it). */
export function manifestText(fingerprints: readonly string[], threshold: number): string {
  return `${JSON.stringify({ threshold, keys: [...fingerprints] } satisfies NetworkManifest, null, 2)}\n`;
}
