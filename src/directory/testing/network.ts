/**
 * A throw-away directory network for tests and benchmarks: n real OpenPGP key pairs generated in the process (Ed25519,
 * v4, as the CLI's keygen makes them), documents, and signature bundles.
 */
import type { PrivateKey } from 'openpgp';
import { generateNetworkKey, networkFromKeys, type NetworkKeys } from '../network';
import { serializeDirectory, type DirectoryDocument, type Gateway } from '../schema';
import { signBytes } from '../signatures';

export interface TestNetwork {
  network: NetworkKeys;
  secrets: PrivateKey[];
  fingerprints: string[];
}

export async function makeTestNetwork(n = 3, threshold = 2): Promise<TestNetwork> {
  const secrets = await Promise.all(Array.from({ length: n }, (_, i) => generateNetworkKey(`Cove test directory key ${String(i + 1)}`)));
  const network = await networkFromKeys(secrets.map((k) => k.toPublic()), threshold);
  return { network, secrets, fingerprints: secrets.map((k) => k.getFingerprint().toUpperCase()) };
}

export function gateway(domain: string, extra: Partial<Gateway> = {}): Gateway {
  return {
    domain,
    endpoints: [{ host: domain, port: 5222, kind: 'clearnet' }],
    operator: { name: `Operator of ${domain}`, contact: `mailto:ops@${domain}` },
    added: '2026-01-01',
    ...extra,
  };
}

const DAY_MS = 86_400_000;

/** A valid document: serial 1, issued a day ago, expiring in 90 days, k = 2, gateways a.test and b.test. */
export function makeDocument(over: Partial<DirectoryDocument> = {}, now = Date.now()): DirectoryDocument {
  const iso = (t: number): string => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    version: 1,
    serial: 1,
    issued: iso(now - DAY_MS),
    expires: iso(now + 90 * DAY_MS),
    threshold: 2,
    gateways: [gateway('a.test'), gateway('b.test')],
    revocations: { gateways: [], signers: [] },
    ...over,
  };
}

/** The concatenated signatures of `bytes` by each key, in order (a key given twice signs twice). */
export async function signBundle(bytes: Uint8Array, keys: readonly PrivateKey[]): Promise<string> {
  const parts: string[] = [];
  for (const k of keys) parts.push(await signBytes(bytes, k));
  return parts.join('');
}

/** Canonical bytes of the document and its bundle signed by `keys`. */
export async function signedCopy(doc: DirectoryDocument, keys: readonly PrivateKey[]): Promise<{ bytes: Uint8Array; signatures: string }> {
  const bytes = serializeDirectory(doc);
  return { bytes, signatures: await signBundle(bytes, keys) };
}
