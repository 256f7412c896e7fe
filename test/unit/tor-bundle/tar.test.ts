/**
 * The tar.gz reader and the bundle plan: what the system's tar writes is read faithfully (long names, modes,
 * links); a member that would land outside the destination, a link pointing out, a corrupt or truncated archive and
 * an archive without tor are refused before anything is written.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../../scripts/tor-bundle/errors';
import { destinationOf, planBundle } from '../../../scripts/tor-bundle/install';
import { readTarGz, safeMemberName } from '../../../scripts/tor-bundle/tar';
import { bundleTree, tarGzOf, tmp, writeTarGz, type RawMember } from './fixtures';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const base: RawMember[] = [
  { name: 'tor/tor', data: 'tor', mode: 0o755 },
  { name: 'tor/pluggable_transports/lyrebird', data: 'l', mode: 0o755 },
  { name: 'tor/pluggable_transports/snowflake-client', data: 's', mode: 0o755 },
];

describe('reading tar.gz', () => {
  it('reads what the system tar writes: names past 100 characters, modes, symlinks', () => {
    const root = tmp('tar', dirs);
    bundleTree(root);
    const deep = `tor/${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`;
    mkdirSync(join(root, deep, '..'), { recursive: true });
    writeFileSync(join(root, deep), 'deep');
    symlinkSync('libevent-2.1.so.7', join(root, 'tor', 'libevent.so'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      const out = join(tmp('out', dirs), 'x.tar.gz');
      const r = spawnSync('tar', [`--format=${format}`, '-czf', out, '-C', root, 'tor', 'data'], { encoding: 'utf8' });
      if (format === 'ustar' && r.status !== 0) continue; // ustar cannot hold every long name; gnu and posix can
      expect(r.status, r.stderr).toBe(0);
      const entries = readTarGz(readFileSync(out));
      const byName = new Map(entries.map((e) => [e.name, e]));
      expect(byName.get(deep)?.data.toString(), format).toBe('deep');
      expect(byName.get('tor/tor')?.mode).toBe(0o755);
      expect(byName.get('tor/tor')?.type).toBe('file');
      expect(byName.get('data/geoip')?.mode).toBe(0o644);
      expect(byName.get('tor/libevent.so')).toMatchObject({ type: 'symlink', linkName: 'libevent-2.1.so.7' });
      expect(byName.get('tor')?.type).toBe('dir');
    }
    tarGzOf(root, join(root, 'whole.tar.gz'));
    expect(readTarGz(readFileSync(join(root, 'whole.tar.gz'))).length).toBeGreaterThan(10);
  });

  it.each(['../evil', 'tor/../../evil', '/etc/passwd', 'C:/Windows/evil.exe', 'tor\\..\\evil'])('refuses the member name %j', (name) => {
    expect(() => readTarGz(writeTarGz([...base, { name, data: 'x' }]))).toThrow(ArchiveError);
    expect(() => safeMemberName(name)).toThrow(/refusing/);
  });

  it('normalizes harmless names', () => {
    expect(safeMemberName('./tor/./tor')).toBe('tor/tor');
    expect(safeMemberName('tor/')).toBe('tor');
    // A NUL can only come through a pax or GNU long name (a header field ends at its first NUL).
    expect(() => safeMemberName('tor/a\0b')).toThrow(ArchiveError);
  });

  it('refuses a corrupt header, a truncated archive and something that is not gzip', () => {
    const tar = gunzipSync(writeTarGz(base));
    const badSum = Buffer.from(tar);
    badSum[0] = 'X'.charCodeAt(0);
    expect(() => readTarGz(gzipSync(badSum))).toThrow(/checksum/);
    expect(() => readTarGz(gzipSync(tar.subarray(0, 512 + 1)))).toThrow(/truncated/);
    expect(() => readTarGz(Buffer.from('plain text'))).toThrow(ArchiveError);
    expect(() => readTarGz(writeTarGz(base), 600)).toThrow(/over 600 bytes/);
  });
});

describe('the bundle plan', () => {
  it('keeps tor, its libraries, lyrebird, snowflake, geoip and the licences; leaves out the rest', () => {
    expect(destinationOf('tor/tor')).toBe('tor');
    expect(destinationOf('tor/libssl.so.3')).toBe('libssl.so.3');
    expect(destinationOf('tor/pluggable_transports/lyrebird.exe')).toBe('pluggable_transports/lyrebird.exe');
    expect(destinationOf('tor/pluggable_transports/conjure-client')).toBeUndefined();
    expect(destinationOf('data/geoip6')).toBe('geoip6');
    expect(destinationOf('data/other')).toBeUndefined();
    expect(destinationOf('docs/Licenses/Tor.txt')).toBe('docs/Licenses/Tor.txt');
    expect(destinationOf('debug/tor.debug')).toBeUndefined();
  });

  it('writes a link to a sibling as a copy of it, and refuses a link anywhere else', () => {
    const plan = planBundle(readTarGz(writeTarGz([...base, { name: 'tor/libssl.so.3', data: 'ssl' }, { name: 'tor/libssl.so', type: '2', linkName: 'libssl.so.3' }])), 'linux-x64');
    expect(plan.get('libssl.so')?.data.toString()).toBe('ssl');
    for (const link of [
      { name: 'tor/passwd', type: '2' as const, linkName: '/etc/passwd' },
      { name: 'tor/up', type: '2' as const, linkName: '../data/geoip' },
      { name: 'tor/hard', type: '1' as const, linkName: 'debug/tor.debug' },
      { name: 'tor/dangling', type: '2' as const, linkName: 'nothing-here' },
    ]) {
      const entries = readTarGz(writeTarGz([...base, { name: 'debug/tor.debug', data: 'd' }, { name: 'data/geoip', data: 'g' }, link]));
      expect(() => planBundle(entries, 'linux-x64'), link.linkName).toThrow(expect.objectContaining({ code: 'tor-archive-link' }) as Error);
    }
  });

  it('refuses an archive without tor or without a transport Cove needs', () => {
    const noTor = readTarGz(writeTarGz(base.slice(1)));
    expect(() => planBundle(noTor, 'linux-x64')).toThrow(expect.objectContaining({ code: 'tor-archive-incomplete' }) as Error);
    // A Linux bundle is not a Windows one: tor.exe is missing there.
    expect(() => planBundle(readTarGz(writeTarGz(base)), 'win32-x64')).toThrow(/tor\.exe/);
  });
});
