import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorBinaries, findTransportPlugins } from '../tor/binary';
import { bundledTorDir, bundledTorLayout, bundledTorRuntime, resourcesRoot, ResourcePathError, torrcPath, type ResourceContext } from './resources';

/** What Electron reports as process.resourcesPath for an installed Cove, and where the repository is, per platform. */
const layouts: { platform: NodeJS.Platform; arch: string; resourcesPath: string; appRoot: string; tor: string; lyrebird: string; snowflake: string; devTorDir: string }[] = [
  {
    platform: 'linux',
    arch: 'x64',
    resourcesPath: '/opt/Cove/resources',
    appRoot: '/home/dev/cove',
    tor: '/opt/Cove/resources/tor/tor',
    lyrebird: '/opt/Cove/resources/tor/pluggable_transports/lyrebird',
    snowflake: '/opt/Cove/resources/tor/pluggable_transports/snowflake-client',
    devTorDir: '/home/dev/cove/resources/tor/linux-x64',
  },
  {
    platform: 'win32',
    arch: 'x64',
    resourcesPath: 'C:\\Users\\Ann\\AppData\\Local\\Programs\\Cove\\resources',
    appRoot: 'C:\\src\\cove',
    tor: 'C:\\Users\\Ann\\AppData\\Local\\Programs\\Cove\\resources\\tor\\tor.exe',
    lyrebird: 'C:\\Users\\Ann\\AppData\\Local\\Programs\\Cove\\resources\\tor\\pluggable_transports\\lyrebird.exe',
    snowflake: 'C:\\Users\\Ann\\AppData\\Local\\Programs\\Cove\\resources\\tor\\pluggable_transports\\snowflake-client.exe',
    devTorDir: 'C:\\src\\cove\\resources\\tor\\win32-x64',
  },
  {
    platform: 'darwin',
    arch: 'arm64',
    resourcesPath: '/Applications/Cove.app/Contents/Resources',
    appRoot: '/Users/ann/cove',
    tor: '/Applications/Cove.app/Contents/Resources/tor/tor',
    lyrebird: '/Applications/Cove.app/Contents/Resources/tor/pluggable_transports/lyrebird',
    snowflake: '/Applications/Cove.app/Contents/Resources/tor/pluggable_transports/snowflake-client',
    devTorDir: '/Users/ann/cove/resources/tor/darwin-arm64',
  },
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('resource paths', () => {
  it.each(layouts)('$platform packaged: tor and its transports under process.resourcesPath', (l) => {
    const ctx: ResourceContext = { platform: l.platform, arch: l.arch, isPackaged: true, resourcesPath: l.resourcesPath, appRoot: l.appRoot };
    expect(resourcesRoot(ctx)).toBe(l.resourcesPath);
    const layout = bundledTorLayout(bundledTorDir(ctx), l.platform);
    expect(layout).toMatchObject({ tor: l.tor, lyrebird: l.lyrebird, snowflake: l.snowflake });
    expect(layout.geoip.endsWith(l.platform === 'win32' ? '\\tor\\geoip' : '/tor/geoip')).toBe(true);
  });

  it.each(layouts)('$platform in development: the repository\'s resources/tor/<platform>-<arch>', (l) => {
    const ctx: ResourceContext = { platform: l.platform, arch: l.arch, isPackaged: false, resourcesPath: '/nonexistent', appRoot: l.appRoot };
    expect(bundledTorDir(ctx)).toBe(l.devTorDir);
    expect(resourcesRoot(ctx).startsWith(l.appRoot)).toBe(true);
  });

  it('the layout is where binary.ts looks: a bundle laid out by the packaging script is found as bundled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-res-'));
    dirs.push(dir);
    const layout = bundledTorLayout(dir, 'linux');
    mkdirSync(layout.transportsDir);
    for (const f of [layout.tor, layout.lyrebird, layout.snowflake]) {
      copyFileSync('/bin/true', f);
      chmodSync(f, 0o755);
    }
    const found = findTorBinaries({ bundledDir: dir, platform: 'linux', path: '' });
    expect(found).toEqual({ tor: layout.tor, source: 'bundled', obfs4: layout.lyrebird, snowflake: layout.snowflake });
    expect(findTransportPlugins({ bundledDir: dir, platform: 'linux', path: '' })).toEqual({ obfs4: layout.lyrebird, snowflake: layout.snowflake });
  });
});

describe('running the bundled tor', () => {
  it('on Linux puts the bundle directory first on LD_LIBRARY_PATH, keeping what was there', () => {
    expect(bundledTorRuntime('/opt/Cove/resources/tor', 'linux', { PATH: '/usr/bin' }, () => false).env).toEqual({ PATH: '/usr/bin', LD_LIBRARY_PATH: '/opt/Cove/resources/tor' });
    expect(bundledTorRuntime('/b', 'linux', { LD_LIBRARY_PATH: '/x' }, () => false).env.LD_LIBRARY_PATH).toBe('/b:/x');
    expect(bundledTorRuntime('/b', 'linux', { LD_LIBRARY_PATH: '' }, () => false).env.LD_LIBRARY_PATH).toBe('/b');
  });

  it('on macOS and Windows leaves the environment alone', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect(bundledTorRuntime('/b', platform, { PATH: 'p' }, () => false).env).toEqual({ PATH: 'p' });
    }
  });

  it('names the GeoIP files in torrc-defaults only where they exist, quoted for tor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove res "quoted" '));
    dirs.push(dir);
    expect(bundledTorRuntime(dir, 'linux', {}).torrcDefaults).toBe('');
    writeFileSync(join(dir, 'geoip'), '');
    const escaped = join(dir, 'geoip').replace(/"/g, '\\"');
    expect(bundledTorRuntime(dir, 'linux', {}).torrcDefaults).toBe(`GeoIPFile "${escaped}"\n`);
    writeFileSync(join(dir, 'geoip6'), '');
    expect(bundledTorRuntime(dir, 'linux', {}).torrcDefaults.split('\n')).toEqual([`GeoIPFile "${escaped}"`, `GeoIPv6File "${escaped}6"`, '']);
    const win = bundledTorRuntime('C:\\Program Files\\Cove\\resources\\tor', 'win32', {}, () => true).torrcDefaults;
    expect(win).toContain('GeoIPFile "C:\\\\Program Files\\\\Cove\\\\resources\\\\tor\\\\geoip"');
  });

  it('refuses a path that would break the torrc line', () => {
    expect(() => torrcPath('/a\nControlPort 9051')).toThrow(ResourcePathError);
  });
});
