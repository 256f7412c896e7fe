/**
 * Lays a verified Expert Bundle out as Cove reads it (src/platform/resources.ts):
 *   archive                                  → resources/tor/<platform>-<arch>/
 *   tor/tor[.exe], tor/<libraries>           → tor[.exe], <libraries>
 *   tor/pluggable_transports/lyrebird[.exe]  → pluggable_transports/lyrebird[.exe]   (obfs4, webtunnel…)
 *   tor/pluggable_transports/snowflake-client[.exe] → pluggable_transports/snowflake-client[.exe]
 *   data/geoip, data/geoip6                  → geoip, geoip6
 *   docs/**                                  → docs/** (the licences)
 * Other transports (conjure) and debug files are left out. The directory is built next to the destination and
 * swapped in whole, so a failed run never leaves half a bundle; BUNDLE.json records where it came from.
 */
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { ArchiveError } from './errors';
import { safeMemberName, type TarEntry } from './tar';

export interface Provenance {
  source: 'tor-expert-bundle' | 'system';
  target: string;
  bundleVersion?: string;
  archive?: string;
  archiveSha256?: string;
  signingKeyId?: string;
  signedAt?: string;
  torVersion?: string;
  files: string[];
}

const KEPT_TRANSPORTS = new Set(['lyrebird', 'snowflake-client', 'pt_config.json'].flatMap((n) => [n, `${n}.exe`]));

/** Where a member of the archive goes in the bundle directory (undefined: left out). */
export function destinationOf(name: string): string | undefined {
  if (name.startsWith('tor/pluggable_transports/')) {
    const rest = name.slice('tor/pluggable_transports/'.length);
    return KEPT_TRANSPORTS.has(rest) ? `pluggable_transports/${rest}` : undefined;
  }
  if (name.startsWith('tor/')) return name.slice('tor/'.length);
  if (name === 'data/geoip' || name === 'data/geoip6') return name.slice('data/'.length);
  if (name.startsWith('docs/')) return name;
  return undefined;
}

/** Resolves `rel` inside `root`, refusing anything that would land outside it (belt and braces after safeMemberName). */
function inside(root: string, rel: string): string {
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (back === '' || back.startsWith('..') || back.startsWith(sep)) throw new ArchiveError('tor-archive-unsafe', `Refusing to write ${rel} outside the bundle directory.`);
  return full;
}

/**
 * The files to write: regular members as they are, and links only when they point at another kept member of the
 * same directory (written as a copy of it). A link that points anywhere else is refused.
 */
export function planBundle(entries: readonly TarEntry[], target: string): Map<string, { data: Buffer; executable: boolean }> {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const files = new Map<string, { data: Buffer; executable: boolean }>();
  for (const e of entries) {
    const dest = destinationOf(e.name);
    if (dest === undefined || e.type === 'dir') continue;
    let source = e;
    if (e.type === 'symlink' || e.type === 'hardlink') {
      // A symlink's target is relative to its directory (only a sibling is accepted); a hard link's is an archive path.
      const linked = e.type === 'symlink' ? (/[/\\]/.test(e.linkName) ? undefined : byName.get(`${posix.dirname(e.name)}/${e.linkName}`)) : byName.get(safeMemberName(e.linkName));
      if (linked?.type !== 'file' || destinationOf(linked.name) === undefined) {
        throw new ArchiveError('tor-archive-link', `The archive's ${e.name} links to ${e.linkName}, outside what Cove unpacks: refusing it.`);
      }
      source = linked;
    } else if (e.type !== 'file') {
      throw new ArchiveError('tor-archive-unsafe', `The archive's ${e.name} is not a regular file: refusing it.`);
    }
    files.set(dest, { data: source.data, executable: (source.mode & 0o111) !== 0 });
  }
  const exe = target.startsWith('win32-') ? '.exe' : '';
  const required = [`tor${exe}`, `pluggable_transports/lyrebird${exe}`, `pluggable_transports/snowflake-client${exe}`];
  const missing = required.filter((f) => !files.has(f));
  if (missing.length > 0) throw new ArchiveError('tor-archive-incomplete', `The archive lacks ${missing.join(', ')}: not a Tor Expert Bundle for ${target}?`);
  return files;
}

/**
 * Writes the planned files into `dest` (replacing it), with BUNDLE.json. `check` runs on the staged directory before
 * it replaces `dest` (e.g. `tor --version`): if it throws, the old bundle stays as it was.
 */
export async function writeBundle(
  dest: string,
  files: ReadonlyMap<string, { data: Buffer; executable: boolean }>,
  provenance: Omit<Provenance, 'files'>,
  check: (stagedDir: string) => Promise<Partial<Provenance>> = () => Promise.resolve({}),
): Promise<Provenance> {
  const staging = `${dest}.partial-${String(process.pid)}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    for (const [rel, f] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      const full = inside(staging, rel);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, f.data);
      await chmod(full, f.executable ? 0o755 : 0o644);
    }
    const full: Provenance = { ...provenance, ...(await check(staging)), files: [...files.keys()].sort() };
    await writeFile(join(staging, 'BUNDLE.json'), `${JSON.stringify(full, null, 2)}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(staging, dest);
    return full;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
