import { describe, expect, it } from 'vitest';
import pins from '../../resources/tor/versions.json';
import { compareTorVersions, MINIMUM_TOR_VERSION, parseTorVersion, torVersionStatus, type TorVersion } from './version';

const v = (s: string): TorVersion => {
  const parsed = parseTorVersion(s);
  if (parsed === undefined) throw new Error(`not parsed: ${s}`);
  return parsed;
};

describe('tor version', () => {
  it.each([
    ['0.4.8.13', { major: 0, minor: 4, micro: 8, patch: 13 }],
    ['0.4.9.1-alpha (git-a1b2c3d4e5f60718)', { major: 0, minor: 4, micro: 9, patch: 1, tag: 'alpha' }],
    ['0.4.9.2-alpha-dev', { major: 0, minor: 4, micro: 9, patch: 2, tag: 'alpha-dev' }],
    ['Tor version 0.4.9.11.', { major: 0, minor: 4, micro: 9, patch: 11 }],
    ['Tor version 0.4.9.1-alpha-dev (git-9d2b6c2f1e).', { major: 0, minor: 4, micro: 9, patch: 1, tag: 'alpha-dev' }],
    ['0.4.9', { major: 0, minor: 4, micro: 9, patch: 0 }],
    ['  0.5.0.1-rc \n', { major: 0, minor: 5, micro: 0, patch: 1, tag: 'rc' }],
  ])('parses %j', (text, expected) => {
    expect(parseTorVersion(text)).toEqual(expected);
  });

  it.each(['', 'tor', '0.4', 'v0.4.8.13', '0.4.8.13x', 'Tor 0.4.8.13', '0.4.8.13.5', '0.4.8.13-'])('refuses %j', (text) => {
    expect(parseTorVersion(text)).toBeUndefined();
  });

  it('orders versions by their numbers, and a -dev build before its release', () => {
    const sorted = ['0.4.9.1-alpha', '0.3.5.18', '0.4.8.13', '0.4.10.0', '0.4.9.1-alpha-dev', '0.4.8.9', '1.0.0.0'].map(v).sort(compareTorVersions);
    expect(sorted.map((x) => `${x.major}.${x.minor}.${x.micro}.${x.patch}${x.tag === undefined ? '' : `-${x.tag}`}`)).toEqual([
      '0.3.5.18',
      '0.4.8.9',
      '0.4.8.13',
      '0.4.9.1-alpha-dev',
      '0.4.9.1-alpha',
      '0.4.10.0',
      '1.0.0.0',
    ]);
    expect(compareTorVersions(v('0.4.9.1-alpha'), v('0.4.9.1-rc'))).toBe(0);
  });

  it('takes its minimum from resources/tor/versions.json', () => {
    expect(MINIMUM_TOR_VERSION).toEqual(v(pins.minimumTor));
    // The bundle Cove ships must itself pass the check.
    expect(compareTorVersions(v(pins.expertBundle.tor), MINIMUM_TOR_VERSION)).toBeGreaterThanOrEqual(0);
  });

  it('warns when tor is older than the minimum, not when it is as new or newer', () => {
    const min = v('0.4.8.13');
    const old = torVersionStatus('0.4.8.12', min);
    expect(old).toMatchObject({ version: '0.4.8.12', minimum: '0.4.8.13', outdated: true });
    expect(old.warning).toContain('older than 0.4.8.13');
    expect(torVersionStatus('0.4.8.13-dev', min).outdated).toBe(true);
    expect(torVersionStatus('0.4.8.13', min)).toMatchObject({ outdated: false, warning: undefined });
    expect(torVersionStatus('0.4.9.1-alpha (git-abc)', min)).toMatchObject({ version: '0.4.9.1-alpha', outdated: false });
  });

  it('says nothing before tor was asked, and warns (without calling it outdated) when the version cannot be read', () => {
    expect(torVersionStatus(undefined)).toMatchObject({ version: undefined, outdated: false, warning: undefined });
    const odd = torVersionStatus('banana');
    expect(odd).toMatchObject({ version: undefined, outdated: false });
    expect(odd.warning).toContain('could not read');
  });
});
