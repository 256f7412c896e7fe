/**
 * What resources/tor/versions.json pins for packaging: the Tor Expert Bundle version, where it is published, the
 * name of the signed checksum file, the signing key file and its primary-key fingerprint, and how Node's
 * `<platform>-<arch>` maps to the bundle's platform names.
 */
import { join } from 'node:path';
import pins from '../../resources/tor/versions.json';
import { UsageError } from './errors';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface BundlePins {
  version: string;
  /** The tor version the bundle ships (informational: checked against `tor --version` where it can run). */
  tor: string;
  mirrors: readonly string[];
  sumsFile: string;
  /** Node `<platform>-<arch>` → the bundle's name for it. */
  platforms: Readonly<Record<string, string>>;
  keyFile: string;
  fingerprint: string;
}

export function bundlePins(): BundlePins {
  const b = pins.expertBundle;
  return {
    version: b.version,
    tor: b.tor,
    mirrors: b.mirrors,
    sumsFile: b.sumsFile,
    platforms: b.platforms,
    keyFile: join(repoRoot, pins.signingKey.file),
    fingerprint: pins.signingKey.fingerprint,
  };
}

/** `tor-expert-bundle-<bundle platform>-<version>.tar.gz` for a Node `<platform>-<arch>`. */
export function archiveName(p: BundlePins, target: string): string {
  const name = p.platforms[target];
  if (name === undefined) {
    throw new UsageError('tor-bundle-no-platform', `There is no Tor Expert Bundle for ${target}: pick one of ${Object.keys(p.platforms).join(', ')} (or --from-system on Linux).`);
  }
  return `tor-expert-bundle-${name}-${p.version}.tar.gz`;
}

/** The URLs of one published file, one per mirror, in order of preference. */
export function urlsOf(p: BundlePins, file: string): string[] {
  return p.mirrors.map((m) => new URL(`${encodeURIComponent(p.version)}/${encodeURIComponent(file)}`, m.endsWith('/') ? m : `${m}/`).toString());
}

/** The `<platform>-<arch>` of this machine, the default target. */
export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}
