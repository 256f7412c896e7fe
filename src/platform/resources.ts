/**
 * Where Cove's bundled resources are, in development and in a packaged app, and how the bundled tor is run. Pure
 * path logic with no Electron import: main/ passes `process.resourcesPath` and `app.isPackaged`.
 *
 * Packaged, electron-builder's `extraResources` (electron-builder.yml) copies `resources/tor/<platform>-<arch>/` to
 * `<resourcesPath>/tor`, where `process.resourcesPath` is
 *   Linux    <install dir>/resources        (deb: /opt/Cove/resources; AppImage: /tmp/.mount_Cove…/resources)
 *   Windows  <install dir>\resources        (NSIS per-user: %LOCALAPPDATA%\Programs\Cove\resources)
 *   macOS    /Applications/Cove.app/Contents/Resources
 * In development the same files are in the repository's `resources/tor/<platform>-<arch>/`, filled by
 * scripts/fetch-tor.ts. The bundle's layout, the same everywhere:
 *   tor[.exe] and the libraries it loads, pluggable_transports/lyrebird[.exe] (or obfs4proxy), snowflake-client[.exe],
 *   geoip, geoip6, docs/ (licences), BUNDLE.json (where it came from).
 */
import { existsSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { CoveError } from '../api/result';

export interface ResourceContext {
  platform: NodeJS.Platform;
  /** Node's arch (process.arch): x64, arm64, ia32. */
  arch: string;
  /** Electron's app.isPackaged. */
  isPackaged: boolean;
  /** Electron's process.resourcesPath (only read when packaged). */
  resourcesPath: string;
  /** The repository root (only read in development). */
  appRoot: string;
}

/** Path functions of the platform the paths belong to (so Windows paths are built right on any host). */
export function pathsOf(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

/** The directory resources are read from: `process.resourcesPath` packaged, `<repo>/resources` in development. */
export function resourcesRoot(ctx: ResourceContext): string {
  return ctx.isPackaged ? ctx.resourcesPath : pathsOf(ctx.platform).join(ctx.appRoot, 'resources');
}

/** The bundled tor's directory (it may not exist: a Linux build without bundled tor uses the system's). */
export function bundledTorDir(ctx: ResourceContext): string {
  const p = pathsOf(ctx.platform);
  return ctx.isPackaged ? p.join(ctx.resourcesPath, 'tor') : p.join(ctx.appRoot, 'resources', 'tor', `${ctx.platform}-${ctx.arch}`);
}

export interface BundledTorLayout {
  dir: string;
  tor: string;
  transportsDir: string;
  lyrebird: string;
  /** obfs4's older name (a `--from-system` bundle on a distribution that ships obfs4proxy). */
  obfs4proxy: string;
  snowflake: string;
  geoip: string;
  geoip6: string;
  /** Where the bundle came from (written by scripts/fetch-tor.ts). */
  provenance: string;
}

/** The files of a bundle directory as scripts/fetch-tor.ts lays them out (binary names end in .exe on Windows). */
export function bundledTorLayout(dir: string, platform: NodeJS.Platform): BundledTorLayout {
  const p = pathsOf(platform);
  const exe = platform === 'win32' ? '.exe' : '';
  const transportsDir = p.join(dir, 'pluggable_transports');
  return {
    dir,
    tor: p.join(dir, `tor${exe}`),
    transportsDir,
    lyrebird: p.join(transportsDir, `lyrebird${exe}`),
    obfs4proxy: p.join(transportsDir, `obfs4proxy${exe}`),
    snowflake: p.join(transportsDir, `snowflake-client${exe}`),
    geoip: p.join(dir, 'geoip'),
    geoip6: p.join(dir, 'geoip6'),
    provenance: p.join(dir, 'BUNDLE.json'),
  };
}

export class ResourcePathError extends CoveError {
  override name = 'ResourcePathError';
  constructor(message: string) {
    super('resource-path-invalid', message);
  }
}

/** A path as a torrc value: always quoted, backslashes and quotes escaped (tor unescapes quoted values). */
export function torrcPath(path: string): string {
  if (/[\r\n\0]/.test(path)) throw new ResourcePathError('a path in the torrc must be one line');
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface BundledTorRuntime {
  /** The environment to start the bundled tor with. */
  env: NodeJS.ProcessEnv;
  /** Lines for tor's torrc-defaults: the bundle's GeoIP files, where present. */
  torrcDefaults: string;
}

/**
 * How to run the tor of a bundle directory. On Linux the Expert Bundle's tor finds the libevent and OpenSSL
 * shipped next to it only through LD_LIBRARY_PATH (it has no RPATH; Tor Browser sets the same variable);
 * the macOS build loads its dylib by @executable_path and Windows looks next to the .exe first, so both run as they
 * are. tor has no built-in path to the bundle's GeoIP files, so they go into torrc-defaults (as in Tor Browser).
 */
export function bundledTorRuntime(dir: string, platform: NodeJS.Platform, baseEnv: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): BundledTorRuntime {
  const layout = bundledTorLayout(dir, platform);
  const env = { ...baseEnv };
  if (platform === 'linux') {
    const previous = baseEnv.LD_LIBRARY_PATH;
    env.LD_LIBRARY_PATH = previous === undefined || previous === '' ? dir : `${dir}${posix.delimiter}${previous}`;
  }
  const lines: string[] = [];
  if (exists(layout.geoip)) lines.push(`GeoIPFile ${torrcPath(layout.geoip)}`);
  if (exists(layout.geoip6)) lines.push(`GeoIPv6File ${torrcPath(layout.geoip6)}`);
  return { env, torrcDefaults: lines.length === 0 ? '' : `${lines.join('\n')}\n` };
}
