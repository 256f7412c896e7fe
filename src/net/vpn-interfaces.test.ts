import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARPHRD_NONE,
  buildInterfaceInfo,
  interfaceProblem,
  isTunnelLike,
  isValidInterfaceName,
  listTunnelInterfaces,
  parseFlags,
  parseOperstate,
  parseType,
  readInterface,
} from './vpn-interfaces';

const v4 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, cidr, family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, netmask: '255.255.255.255' });
const v6 = (address: string): NetworkInterfaceInfo => ({ address, cidr: `${address}/64`, family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, netmask: 'ffff:ffff:ffff:ffff::', scopeid: 0 });

/** What os.networkInterfaces() said on a machine with a WireGuard tunnel up (a downed one is not listed at all). */
const ADDRS: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [{ ...v4('127.0.0.1', '127.0.0.1/8'), internal: true }],
  eth0: [v4('192.0.2.10', '192.0.2.10/24'), v6('fe80::1')],
  wg0: [v4('10.8.0.2', '10.8.0.2/32'), v6('fd00:8::2'), v6('fe80::abcd')],
};

/** sysfs attributes of the same machine: wg0 up (0x1091), tun1 set down (0x1090), ppp0 up, eth0, lo. */
const SYS: Record<string, { type: string; flags: string; operstate: string }> = {
  lo: { type: '772\n', flags: '0x9\n', operstate: 'unknown\n' },
  eth0: { type: '1\n', flags: '0x1003\n', operstate: 'up\n' },
  wg0: { type: '65534\n', flags: '0x1091\n', operstate: 'unknown\n' },
  tun1: { type: '65534\n', flags: '0x1090\n', operstate: 'down\n' },
  ppp0: { type: '512\n', flags: '0x10d1\n', operstate: 'unknown\n' },
};

const sysRoot = mkdtempSync(join(tmpdir(), 'cove-sysfs-'));
for (const [name, attrs] of Object.entries(SYS)) {
  mkdirSync(join(sysRoot, name));
  for (const [file, text] of Object.entries(attrs)) writeFileSync(join(sysRoot, name, file), text);
}
afterAll(() => {
  rmSync(sysRoot, { recursive: true, force: true });
});

describe('parsing sysfs and os.networkInterfaces()', () => {
  it('reads flags (hex), type and operstate, and treats junk as down', () => {
    expect(parseFlags('0x1091\n')).toBe(0x1091);
    expect(parseFlags('0x1090') & 1).toBe(0);
    expect(parseFlags('garbage')).toBe(0);
    expect(parseType('65534\n')).toBe(ARPHRD_NONE);
    expect(parseType('')).toBe(-1);
    expect(parseOperstate('UNKNOWN\n')).toBe('unknown');
    expect(parseOperstate('')).toBe('unknown');
  });

  it('knows tunnels by type (none, ppp) or by name, never loopback', () => {
    expect(isTunnelLike('wg0', 65534)).toBe(true);
    expect(isTunnelLike('anything', 65534)).toBe(true);
    expect(isTunnelLike('ppp0', 512)).toBe(true);
    expect(isTunnelLike('tap0', 1)).toBe(true);
    expect(isTunnelLike('utun3', -1)).toBe(true);
    expect(isTunnelLike('eth0', 1)).toBe(false);
    expect(isTunnelLike('lo', 772)).toBe(false);
    expect(isTunnelLike('tun-but-loopback', 772)).toBe(false);
  });

  it('accepts kernel interface names only (no path tricks)', () => {
    expect(isValidInterfaceName('wg0')).toBe(true);
    expect(isValidInterfaceName('veth1@if2')).toBe(true);
    for (const bad of ['', '.', '..', '../eth0', 'a/b', 'x'.repeat(16), 'wg 0']) expect(isValidInterfaceName(bad)).toBe(false);
  });

  it('builds an interface: up from IFF_UP and operstate, link-local IPv6 left out', () => {
    const wg = buildInterfaceInfo('wg0', { type: 65534, flags: 0x1091, operstate: 'unknown' }, ADDRS);
    expect(wg).toMatchObject({ up: true, tunnel: true });
    expect(wg.addresses).toEqual([
      { address: '10.8.0.2', family: 'IPv4', cidr: '10.8.0.2/32' },
      { address: 'fd00:8::2', family: 'IPv6', cidr: 'fd00:8::2/64' },
    ]);
    expect(buildInterfaceInfo('wg0', { type: 65534, flags: 0x1090, operstate: 'unknown' }, ADDRS).up).toBe(false);
    expect(buildInterfaceInfo('wg0', { type: 65534, flags: 0x1091, operstate: 'down' }, ADDRS).up).toBe(false);
    expect(buildInterfaceInfo('tun9', { type: 65534, flags: 0x1091, operstate: 'unknown' }, ADDRS).addresses).toEqual([]);
  });

  it('says why an interface cannot carry traffic', () => {
    const info = (flags: number, operstate: string, name = 'wg0') => buildInterfaceInfo(name, { type: 65534, flags, operstate }, ADDRS);
    expect(interfaceProblem('wg0', undefined)).toBe('the VPN interface wg0 does not exist');
    expect(interfaceProblem('wg0', info(0x1090, 'down'))).toBe('the VPN interface wg0 is down');
    expect(interfaceProblem('wg0', info(0x1091, 'lowerlayerdown'))).toBe('the VPN interface wg0 is down (lowerlayerdown)');
    expect(interfaceProblem('tun9', info(0x1091, 'unknown', 'tun9'))).toBe('the VPN interface tun9 has no address');
    expect(interfaceProblem('wg0', info(0x1091, 'unknown'))).toBeUndefined();
  });
});

describe('reading a (fixture) sysfs tree', () => {
  const source = { sysRoot, networkInterfaces: () => ADDRS };

  it('reads one interface, or undefined when it does not exist', () => {
    expect(readInterface('wg0', source)).toMatchObject({ name: 'wg0', type: 65534, flags: 0x1091, up: true, tunnel: true });
    expect(readInterface('tun1', source)).toMatchObject({ up: false, operstate: 'down', addresses: [] });
    expect(readInterface('wg7', source)).toBeUndefined();
    expect(readInterface('../etc', source)).toBeUndefined();
  });

  it('never throws on an unreadable interface (a device being torn down answers EINVAL): it reads as absent', () => {
    mkdirSync(join(sysRoot, 'wgbroken', 'flags'), { recursive: true }); // reading a directory fails with EISDIR
    writeFileSync(join(sysRoot, 'wgbroken', 'type'), '65534\n');
    expect(readInterface('wgbroken', source)).toBeUndefined();
  });

  it('lists the tunnels, up or down, sorted; not lo or eth0', () => {
    expect(listTunnelInterfaces(source).map((i) => [i.name, i.up])).toEqual([
      ['ppp0', true],
      ['tun1', false],
      ['wg0', true],
    ]);
    expect(listTunnelInterfaces({ sysRoot: join(sysRoot, 'nowhere') })).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('this machine', () => {
  it('sees lo as an up loopback interface, and never as a tunnel', () => {
    const lo = readInterface('lo');
    expect(lo).toMatchObject({ type: 772, up: true, tunnel: false });
    expect(lo?.addresses.map((a) => a.address)).toContain('127.0.0.1');
    expect(listTunnelInterfaces().map((i) => i.name)).not.toContain('lo');
    for (const t of listTunnelInterfaces()) expect(t.tunnel).toBe(true);
  });
});
