/**
 * Finds the tor binary and its pluggable transports: the bundled ones first (`<torDir>/tor[.exe]`, where torDir is
 * `resources/tor/<platform>-<arch>` in development and `<resourcesPath>/tor` in a packaged app — the caller knows
 * which), else, on Linux, the system's from PATH. The packaging issue decides the directory; this only looks.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CoveError } from '../api/result';

export class TorNotFoundError extends CoveError {
  override name = 'TorNotFoundError';
  constructor(message: string) {
    super('tor-not-found', message);
  }
}

export interface TorBinaries {
  tor: string;
  source: 'bundled' | 'system';
  /** Pluggable transports found, by the transport they serve. */
  obfs4?: string;
  snowflake?: string;
}

export interface FindOptions {
  /** The bundled tor directory, if the app ships one. */
  bundledDir?: string | undefined;
  platform?: NodeJS.Platform;
  /** PATH to search for the system's tor (Linux only). */
  path?: string;
}

function executable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstExecutable(dirs: readonly string[], names: readonly string[]): string | undefined {
  for (const dir of dirs) {
    for (const name of names) {
      const p = join(dir, name);
      if (executable(p)) return p;
    }
  }
  return undefined;
}

export function findTorBinaries(opts: FindOptions = {}): TorBinaries {
  const platform = opts.platform ?? process.platform;
  const exe = platform === 'win32' ? '.exe' : '';
  const pathDirs = (opts.path ?? process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const bundled = opts.bundledDir === undefined ? undefined : firstExecutable([opts.bundledDir], [`tor${exe}`]);
  let tor: string | undefined = bundled;
  let source: TorBinaries['source'] = 'bundled';
  if (tor === undefined && platform === 'linux') {
    tor = firstExecutable(pathDirs, ['tor']);
    source = 'system';
  }
  if (tor === undefined) {
    throw new TorNotFoundError(
      platform === 'linux'
        ? 'No tor was found: this build bundles none and there is no system tor (install the "tor" package).'
        : 'The tor that ships with Cove is missing: reinstall Cove.',
    );
  }
  const { obfs4, snowflake } = findTransportPlugins({ ...opts, ...(source === 'bundled' ? {} : { bundledDir: undefined }) });
  return { tor, source, ...(obfs4 === undefined ? {} : { obfs4 }), ...(snowflake === undefined ? {} : { snowflake }) };
}

/** Pluggable transports: the bundle's (next to its tor) first, then the system's on Linux. */
export function findTransportPlugins(opts: FindOptions = {}): { obfs4?: string; snowflake?: string } {
  const platform = opts.platform ?? process.platform;
  const exe = platform === 'win32' ? '.exe' : '';
  const pathDirs = (opts.path ?? process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const dirs = [...(opts.bundledDir === undefined ? [] : [opts.bundledDir, join(opts.bundledDir, 'pluggable_transports')]), ...(platform === 'linux' ? pathDirs : [])];
  const obfs4 = firstExecutable(dirs, [`lyrebird${exe}`, `obfs4proxy${exe}`]);
  const snowflake = firstExecutable(dirs, [`snowflake-client${exe}`]);
  return { ...(obfs4 === undefined ? {} : { obfs4 }), ...(snowflake === undefined ? {} : { snowflake }) };
}
