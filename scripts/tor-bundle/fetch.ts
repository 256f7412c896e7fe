/**
 * The Expert Bundle flow of scripts/fetch-tor.ts: load the pinned key (before anything is downloaded), get the
 * archive, `sha256sums-signed-build.txt` and its `.asc` (downloaded into a cache, or from a directory the packager
 * filled by hand), verify the signature and then the archive's SHA-256, unpack into resources/tor/<platform>-<arch>,
 * and, when the bundle is for this machine, run its tor once to check its version.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { download, type DownloadOptions } from './download';
import { ChecksumError } from './errors';
import { planBundle, writeBundle, type Provenance } from './install';
import { archiveName, hostTarget, urlsOf, type BundlePins } from './pins';
import { probeTorVersion } from './probe';
import { readTarGz } from './tar';
import { loadSigningKey, verifyArchive } from './verify';

export type BundleSource =
  | { kind: 'download'; cacheDir: string; options?: DownloadOptions; urls?: (file: string) => string[] }
  | { kind: 'dir'; dir: string };

export interface FetchOptions {
  pins: BundlePins;
  /** Node `<platform>-<arch>`, e.g. win32-x64. */
  target: string;
  dest: string;
  source: BundleSource;
  /** Run the unpacked tor with --version (default: when the target is this machine). */
  probe?: boolean;
  log?: (line: string) => void;
}

export async function fetchExpertBundle(o: FetchOptions): Promise<Provenance> {
  const log = o.log ?? ((): void => undefined);
  const name = archiveName(o.pins, o.target);
  const key = await loadSigningKey(await readFile(o.pins.keyFile, 'utf8'), o.pins.fingerprint);
  const sigName = `${o.pins.sumsFile}.asc`;

  const paths = async (fresh: boolean): Promise<{ archive: string; sums: string; sig: string }> => {
    const src = o.source;
    if (src.kind === 'dir') return { archive: join(src.dir, name), sums: join(src.dir, o.pins.sumsFile), sig: join(src.dir, sigName) };
    const dir = join(src.cacheDir, o.pins.version);
    const urls = src.urls ?? ((f: string): string[] => urlsOf(o.pins, f));
    const get = async (file: string, always: boolean): Promise<string> => {
      const to = join(dir, file);
      if (always || fresh || !existsSync(to)) await download(urls(file), to, { ...src.options, log });
      else log(`using the cached ${to}`);
      return to;
    };
    // The small signed files are fetched every time; the archive is reused from the cache if it is there.
    return { sums: await get(o.pins.sumsFile, true), sig: await get(sigName, true), archive: await get(name, false) };
  };

  const check = async (fresh: boolean): Promise<{ sha256: string; signingKeyId: string; signedAt: Date | undefined; archive: string }> => {
    const p = await paths(fresh);
    for (const f of [p.archive, p.sums, p.sig]) if (!existsSync(f)) throw new ChecksumError('tor-file-missing', `${f} is missing.`);
    const verified = await verifyArchive({ archivePath: p.archive, archiveName: name, sums: await readFile(p.sums), sumsSignature: await readFile(p.sig, 'utf8'), key });
    return { sha256: verified.sha256, signingKeyId: verified.signature.signingKeyId, signedAt: verified.signature.created, archive: p.archive };
  };

  let verified;
  try {
    verified = await check(false);
  } catch (err) {
    // A cached archive that no longer matches the signed sums (an interrupted or older download) is fetched again once.
    if (!(err instanceof ChecksumError && err.code === 'tor-sha256-mismatch' && o.source.kind === 'download')) throw err;
    log(`the cached ${name} does not match the signed checksums: downloading it again`);
    await rm(join(o.source.cacheDir, o.pins.version, name), { force: true });
    verified = await check(true);
  }
  log(`verified: ${o.pins.sumsFile} signed by key ${verified.signingKeyId} (of ${o.pins.fingerprint}); ${name} sha256 ${verified.sha256}`);

  const files = planBundle(readTarGz(await readFile(verified.archive)), o.target);
  const probe = o.probe ?? o.target === hostTarget();
  const exe = o.target.startsWith('win32-') ? '.exe' : '';
  return writeBundle(
    o.dest,
    files,
    {
      source: 'tor-expert-bundle',
      target: o.target,
      bundleVersion: o.pins.version,
      archive: name,
      archiveSha256: verified.sha256,
      signingKeyId: verified.signingKeyId,
      ...(verified.signedAt === undefined ? {} : { signedAt: verified.signedAt.toISOString() }),
    },
    (staged) => {
      if (!probe) {
        log(`not running the ${o.target} tor on ${hostTarget()}: its version is the pinned ${o.pins.tor}, unchecked`);
        return Promise.resolve({});
      }
      const probed = probeTorVersion(join(staged, `tor${exe}`), staged);
      if (probed.version !== o.pins.tor && !probed.version.startsWith(`${o.pins.tor}-`)) log(`note: the bundle's tor is ${probed.version}, versions.json says ${o.pins.tor}: update the pin`);
      return Promise.resolve({ torVersion: probed.version });
    },
  );
}
