/**
 * Tunnel interfaces as Linux shows them: /sys/class/net/<name>/{type,flags,operstate} for the link, and
 * os.networkInterfaces() for the addresses. The parsing is pure (tested on fixture data); only readInterface() and
 * listTunnelInterfaces() touch the machine.
 *
 * Facts these functions rely on:
 * - tun and WireGuard devices have type 65534 (ARPHRD_NONE); ppp has 512; loopback 772; Ethernet (and tap) 1.
 * - `flags` is the hex dev->flags word; IFF_UP (0x1) is set by `ip link set X up`. A tun device's `operstate` is
 *   "unknown" while up and "down" while down, so only "down" (and "notpresent"/"lowerlayerdown") counts as down.
 * - libuv's os.networkInterfaces() lists only interfaces that are UP and RUNNING: a downed tunnel shows no address
 *   there even though the kernel keeps it (and still lets a socket bind to it — see vpn.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';

export const IFF_UP = 0x1;
export const ARPHRD_PPP = 512;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 65534;

/** Name prefixes of VPN devices (Linux tun/wg/ppp, the macOS utun, and common clients' own names). */
const TUNNEL_NAME = /^(tun|tap|wg|ppp|utun|ipsec|vti|tailscale|nordlynx|proton|mullvad|zt|gpd|cscotun|nebula)/i;
/** What the kernel accepts as an interface name (IFNAMSIZ 16 with the NUL); no '/' so it is safe in a path. */
const IFNAME = /^(?!\.{1,2}$)[A-Za-z0-9_.:@-]{1,15}$/;
const DOWN_OPERSTATES = new Set(['down', 'notpresent', 'lowerlayerdown']);

export interface TunnelAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  /** e.g. 10.0.0.2/32; null when Node does not know the mask. */
  cidr: string | null;
}

/** The raw link attributes read from sysfs. */
export interface LinkAttributes {
  type: number;
  flags: number;
  operstate: string;
}

export interface InterfaceInfo extends LinkAttributes {
  name: string;
  /** IFF_UP is set and operstate is not down. */
  up: boolean;
  /** Addresses a socket can be bound to (link-local IPv6 left out: it needs a scope and never routes beyond). */
  addresses: TunnelAddress[];
  /** Looks like a VPN device by its type or its name. */
  tunnel: boolean;
}

export function isValidInterfaceName(name: string): boolean {
  return IFNAME.test(name);
}

/** `flags` holds e.g. "0x1091\n". NaN-safe: anything unparsable reads as 0 (not up). */
export function parseFlags(text: string): number {
  const value = Number.parseInt(text.trim(), 16);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

export function parseType(text: string): number {
  const value = Number.parseInt(text.trim(), 10);
  return Number.isFinite(value) ? value : -1;
}

export function parseOperstate(text: string): string {
  return text.trim().toLowerCase() || 'unknown';
}

export function isLinkUp(link: LinkAttributes): boolean {
  return (link.flags & IFF_UP) !== 0 && !DOWN_OPERSTATES.has(link.operstate);
}

export function isTunnelLike(name: string, type: number): boolean {
  if (type === ARPHRD_LOOPBACK) return false;
  return type === ARPHRD_NONE || type === ARPHRD_PPP || TUNNEL_NAME.test(name);
}

/** The addresses of one interface out of an os.networkInterfaces() result. */
export function addressesOf(name: string, all: NodeJS.Dict<NetworkInterfaceInfo[]>): TunnelAddress[] {
  const out: TunnelAddress[] = [];
  for (const a of all[name] ?? []) {
    if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
    out.push({ address: a.address, family: a.family, cidr: a.cidr });
  }
  return out;
}

export function buildInterfaceInfo(name: string, link: LinkAttributes, all: NodeJS.Dict<NetworkInterfaceInfo[]>): InterfaceInfo {
  return { name, ...link, up: isLinkUp(link), addresses: addressesOf(name, all), tunnel: isTunnelLike(name, link.type) };
}

/**
 * Why traffic must not go through this interface now, in words for a person; undefined when it may. The kill switch
 * puts this after "blocked by the kill switch: ".
 */
export function interfaceProblem(name: string, info: InterfaceInfo | undefined): string | undefined {
  if (info === undefined) return `the VPN interface ${name} does not exist`;
  if ((info.flags & IFF_UP) === 0) return `the VPN interface ${name} is down`;
  if (DOWN_OPERSTATES.has(info.operstate)) return `the VPN interface ${name} is down (${info.operstate})`;
  if (info.addresses.length === 0) return `the VPN interface ${name} has no address`;
  return undefined;
}

export interface InterfaceSource {
  /** Where the per-interface directories are; /sys/class/net on Linux. */
  sysRoot?: string;
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/**
 * The link attributes of one interface, or undefined when it does not exist or cannot be read. Never throws (the kill
 * switch calls it before every write): a device being torn down answers EINVAL or ENODEV, and one that cannot be read
 * for any other reason must count as unusable too.
 */
export function readLink(name: string, sysRoot = '/sys/class/net'): LinkAttributes | undefined {
  if (!isValidInterfaceName(name)) return undefined;
  const dir = join(sysRoot, name);
  try {
    return {
      type: parseType(readFileSync(join(dir, 'type'), 'utf8')),
      flags: parseFlags(readFileSync(join(dir, 'flags'), 'utf8')),
      operstate: parseOperstate(readFileSync(join(dir, 'operstate'), 'utf8')),
    };
  } catch {
    return undefined;
  }
}

/** The whole state of one interface (Linux), or undefined when it does not exist. */
export function readInterface(name: string, source: InterfaceSource = {}): InterfaceInfo | undefined {
  const link = readLink(name, source.sysRoot);
  if (link === undefined) return undefined;
  return buildInterfaceInfo(name, link, (source.networkInterfaces ?? networkInterfaces)());
}

/** Every interface that looks like a VPN device, up or not, sorted by name (Linux). */
export function listTunnelInterfaces(source: InterfaceSource = {}): InterfaceInfo[] {
  const sysRoot = source.sysRoot ?? '/sys/class/net';
  let names: string[];
  try {
    names = readdirSync(sysRoot);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const all = (source.networkInterfaces ?? networkInterfaces)();
  const out: InterfaceInfo[] = [];
  for (const name of names.sort()) {
    const link = readLink(name, sysRoot);
    if (link === undefined) continue;
    const info = buildInterfaceInfo(name, link, all);
    if (info.tunnel) out.push(info);
  }
  return out;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV';
}
