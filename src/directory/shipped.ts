/**
 * What the app ships in resources/directory/ (packaged: `<resourcesPath>/directory`; the caller knows which): the
 * network keys (network.ts) and a default directory with its signature bundle. The default is only the fallback for
 * the first start: it goes through the same verification as a downloaded one (DirectoryStore.load).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryMalformedError } from './errors';
import { loadNetworkKeys, type NetworkKeys } from './network';
import { MAX_DIRECTORY_BYTES } from './schema';
import type { SignedCopy } from './store';

export const DIRECTORY_FILE = 'directory.json';
export const SIGNATURES_SUFFIX = '.sig';

/** Reads `<file>` and `<file>.sig`. Throws DirectoryMalformedError if either is missing or too large. */
export function readSignedCopy(file: string): SignedCopy {
  try {
    const bytes = readFileSync(file);
    const signatures = readFileSync(`${file}${SIGNATURES_SUFFIX}`, 'utf8');
    if (bytes.byteLength > MAX_DIRECTORY_BYTES || signatures.length > MAX_DIRECTORY_BYTES) throw new DirectoryMalformedError('the file is too large');
    return { bytes: new Uint8Array(bytes), signatures };
  } catch (err) {
    if (err instanceof DirectoryMalformedError) throw err;
    throw new DirectoryMalformedError(`the directory or its ${SIGNATURES_SUFFIX} file cannot be read`, { cause: err });
  }
}

export interface ShippedDirectory {
  network: NetworkKeys;
  /** Undefined if the resources hold keys but no directory. */
  shipped: SignedCopy | undefined;
}

export async function loadShipped(resourcesDir: string): Promise<ShippedDirectory> {
  const network = await loadNetworkKeys(resourcesDir);
  let shipped: SignedCopy | undefined;
  try {
    shipped = readSignedCopy(join(resourcesDir, DIRECTORY_FILE));
  } catch {
    shipped = undefined;
  }
  return { network, shipped };
}
