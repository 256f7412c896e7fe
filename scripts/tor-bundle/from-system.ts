/**
 * `--from-system` (Linux): builds the bundle directory from the distribution's tor instead of the Expert Bundle:
 * tor (/usr/sbin/tor or /usr/bin/tor), obfs4 (lyrebird or obfs4proxy, under its own name: binary.ts accepts both),
 * snowflake-client, and /usr/share/tor/geoip{,6} (Debian's tor-geoipdb) when present. The copies stay linked against
 * the system's libevent and OpenSSL, so such a build only runs where those libraries exist (PACKAGING.md).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemTorError } from './errors';
import { writeBundle, type Provenance } from './install';
import { probeTorVersion } from './probe';

export interface SystemSources {
  tor: readonly string[];
  obfs4: readonly string[];
  snowflake: readonly string[];
  geoipDir: string;
}

export const DEFAULT_SOURCES: SystemSources = {
  tor: ['/usr/sbin/tor', '/usr/bin/tor', '/usr/local/bin/tor'],
  obfs4: ['/usr/bin/lyrebird', '/usr/bin/obfs4proxy', '/usr/local/bin/lyrebird', '/usr/local/bin/obfs4proxy'],
  snowflake: ['/usr/bin/snowflake-client', '/usr/local/bin/snowflake-client'],
  geoipDir: '/usr/share/tor',
};

function firstExecutable(paths: readonly string[]): string | undefined {
  return paths.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export async function bundleFromSystem(dest: string, opts: { sources?: SystemSources; platform?: NodeJS.Platform; log?: (line: string) => void } = {}): Promise<Provenance> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') throw new SystemTorError('tor-system-linux-only', '--from-system is for Linux only: on Windows and macOS Cove ships the Tor Expert Bundle.');
  const src = opts.sources ?? DEFAULT_SOURCES;
  const log = opts.log ?? ((): void => undefined);
  const tor = firstExecutable(src.tor);
  if (tor === undefined) throw new SystemTorError('tor-system-missing', `No system tor found (looked at ${src.tor.join(', ')}): install the "tor" package.`);
  const files = new Map<string, { data: Buffer; executable: boolean }>();
  const from: Record<string, string> = {};
  const add = async (rel: string, path: string, executable: boolean): Promise<void> => {
    // readFile follows symlinks (/usr/sbin/tor → ../bin/tor on Debian): the copy is the real binary.
    files.set(rel, { data: await readFile(path), executable });
    from[rel] = path;
  };
  await add('tor', tor, true);
  const obfs4 = firstExecutable(src.obfs4);
  if (obfs4 === undefined) log('no obfs4 transport (lyrebird or obfs4proxy) on this system: obfs4 bridges will not work');
  else await add(`pluggable_transports/${base(obfs4)}`, obfs4, true);
  const snowflake = firstExecutable(src.snowflake);
  if (snowflake === undefined) log('no snowflake-client on this system: snowflake will not work');
  else await add('pluggable_transports/snowflake-client', snowflake, true);
  for (const g of ['geoip', 'geoip6']) {
    const p = join(src.geoipDir, g);
    if (isFile(p)) await add(g, p, false);
    else log(`no ${p} (Debian package tor-geoipdb): tor runs without it`);
  }
  for (const [rel, path] of Object.entries(from)) log(`${path} → ${rel}`);
  return writeBundle(dest, files, { source: 'system', target: `linux-${process.arch}` }, (staged) => {
    const probed = probeTorVersion(join(staged, 'tor'), staged);
    log(`system tor: ${probed.line}`);
    return Promise.resolve({ torVersion: probed.version });
  });
}
