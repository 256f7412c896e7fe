/**
 * `fetch-tor --from-system`: the machine's real tor, obfs4proxy and snowflake-client copied into a temp bundle
 * directory, run once for their version; geoip files taken when present; refused with a typed error when there is
 * no tor, when it is too old, and off Linux.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorBinaries } from '../../../src/tor/binary';
import { formatTorVersion, parseTorVersion } from '../../../src/tor/version';
import { ArchiveError, SystemTorError } from '../../../scripts/tor-bundle/errors';
import { bundleFromSystem, DEFAULT_SOURCES } from '../../../scripts/tor-bundle/from-system';
import { tmp } from './fixtures';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const systemTor = DEFAULT_SOURCES.tor.find((p) => existsSync(p));
const noSystemTor = process.platform !== 'linux' || systemTor === undefined;

function fakeTor(dir: string, line: string): string {
  const p = join(dir, 'tor');
  writeFileSync(p, `#!/bin/sh\necho "${line}"\n`);
  chmodSync(p, 0o755);
  return p;
}

describe.skipIf(noSystemTor)(`--from-system with this machine's tor${noSystemTor ? ' (SKIPPED: no system tor on this Linux machine)' : ''}`, () => {
  it('copies tor and the transports that exist, and Cove finds them as a bundle', async () => {
    const dest = join(tmp('sys', dirs), 'linux-x64');
    const lines: string[] = [];
    const p = await bundleFromSystem(dest, { log: (l) => lines.push(l) });
    expect(statSync(join(dest, 'tor')).mode & 0o111).not.toBe(0);
    const expected = spawnSync(systemTor ?? 'tor', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
    const version = parseTorVersion(expected);
    expect(version, expected).toBeDefined();
    if (version !== undefined) expect(p.torVersion).toBe(formatTorVersion(version));
    const found = findTorBinaries({ bundledDir: dest, platform: 'linux', path: '' });
    expect(found.source).toBe('bundled');
    expect(found.tor).toBe(join(dest, 'tor'));
    for (const [name, candidates] of [['obfs4', DEFAULT_SOURCES.obfs4], ['snowflake', DEFAULT_SOURCES.snowflake]] as const) {
      const there = candidates.some((c) => existsSync(c));
      expect(found[name] !== undefined, `${name}: system has one = ${String(there)}`).toBe(there);
    }
    expect(JSON.parse(readFileSync(join(dest, 'BUNDLE.json'), 'utf8'))).toMatchObject({ source: 'system', torVersion: p.torVersion });
    console.log(lines.join('\n'));
  });

  it('takes the geoip files when the system has them', async () => {
    const geoipDir = tmp('geoip', dirs);
    writeFileSync(join(geoipDir, 'geoip'), '16777216,16777471,AU\n');
    writeFileSync(join(geoipDir, 'geoip6'), '');
    const dest = join(tmp('sys', dirs), 'linux-x64');
    const p = await bundleFromSystem(dest, { sources: { ...DEFAULT_SOURCES, geoipDir } });
    expect(p.files).toEqual(expect.arrayContaining(['tor', 'geoip', 'geoip6']));
    expect(readFileSync(join(dest, 'geoip'), 'utf8')).toBe('16777216,16777471,AU\n');
  });
});

describe('--from-system refusals', () => {
  it('refuses when there is no tor', async () => {
    const dest = join(tmp('sys', dirs), 'x');
    await expect(bundleFromSystem(dest, { sources: { tor: ['/nonexistent/tor'], obfs4: [], snowflake: [], geoipDir: '/nonexistent' }, platform: 'linux' })).rejects.toMatchObject({ code: 'tor-system-missing' });
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a tor older than the pinned minimum, and one that prints no version', async () => {
    const bin = tmp('bin', dirs);
    const dest = join(tmp('sys', dirs), 'x');
    const sources = { tor: [fakeTor(bin, 'Tor version 0.3.5.1.')], obfs4: [], snowflake: [], geoipDir: '/nonexistent' };
    const err = await bundleFromSystem(dest, { sources, platform: 'linux' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect(err).toMatchObject({ code: 'tor-too-old' });
    fakeTor(bin, 'hello');
    await expect(bundleFromSystem(dest, { sources, platform: 'linux' })).rejects.toMatchObject({ code: 'tor-does-not-run' });
    expect(existsSync(dest)).toBe(false);
  });

  it('is for Linux only', async () => {
    await expect(bundleFromSystem(tmp('sys', dirs), { platform: 'darwin' })).rejects.toBeInstanceOf(SystemTorError);
  });
});
