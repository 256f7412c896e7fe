/**
 * The in-app leak check: does anything of THIS process talk to the network other than through the current mode's
 * hop? On Linux it asks the kernel (leak-check-proc.ts) for the process's real TCP and UDP sockets and judges each:
 *
 *   - listening sockets are not connections (allowed);
 *   - a connection accepted by one of our listening sockets from this machine (loopback) is not outgoing (allowed);
 *   - direct mode: every connection is allowed (that is the mode);
 *   - SOCKS5 / Tor: the remote peer must be the proxy / tor's SOCKS port (or a peer in `alsoAllowed`, e.g. tor's
 *     control port) — a loopback peer that is not the hop is flagged like any other (a local DNS stub on
 *     127.0.0.53:53 is a leak);
 *   - VPN: the LOCAL address must be the tunnel's address (or the peer one in `alsoAllowed`);
 *   - an unconnected UDP socket can send anywhere: flagged in every mode but direct (unless bound to the tunnel).
 *
 * Plus the DNS counter (leak-check-dns.ts): in every mode but direct, a name resolved by the core itself is a leak.
 * On macOS and Windows the check says it is not supported yet and which tool it would use.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { currentDnsCounter, type DnsCounter } from './leak-check-dns';
import { ownSockets, type Endpoint, type ProcSocket } from './leak-check-proc';
import { TransportModeSchema } from './who-sees-what-schema';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type LeakPolicy =
  | { readonly mode: 'direct' }
  | { readonly mode: 'socks5'; readonly proxy: HostPort; readonly alsoAllowed?: readonly HostPort[] }
  | { readonly mode: 'tor'; readonly socks: HostPort; readonly alsoAllowed?: readonly HostPort[] }
  | { readonly mode: 'vpn'; readonly tunnelAddress: string; readonly alsoAllowed?: readonly HostPort[] };

export const LeakReasonSchema = z.enum([
  'listening',
  'accepted-locally',
  'direct-mode',
  'the-hop',
  'also-allowed',
  'via-tunnel',
  'not-the-hop',
  'outside-tunnel',
  'unconnected-udp',
  'accepted-from-network',
]);
export type LeakReason = z.infer<typeof LeakReasonSchema>;

const EndpointSchema = z.object({ address: z.string(), port: z.number().int().min(0).max(65535) });

export const SocketReportSchema = z.object({
  inode: z.number().int(),
  protocol: z.enum(['tcp', 'udp']),
  family: z.union([z.literal(4), z.literal(6)]),
  local: EndpointSchema,
  remote: EndpointSchema,
  state: z.string(),
  allowed: z.boolean(),
  reason: LeakReasonSchema,
});
export type SocketReport = z.infer<typeof SocketReportSchema>;

export const LeakCheckResultSchema = z.discriminatedUnion('supported', [
  z.object({
    supported: z.literal(true),
    platform: z.literal('linux'),
    mode: TransportModeSchema,
    /** No flagged socket, and (outside direct mode) no local name look-up since the mode started. */
    ok: z.boolean(),
    sockets: z.array(SocketReportSchema),
    /** null: no DNS counter is installed, so this part could not be checked. */
    dnsLookupsSinceModeStart: z.number().int().min(0).nullable(),
    checkedAt: z.number(),
  }),
  z.object({
    supported: z.literal(false),
    platform: z.string(),
    mode: TransportModeSchema,
    ok: z.literal(false),
    sockets: z.array(SocketReportSchema).length(0),
    dnsLookupsSinceModeStart: z.number().int().min(0).nullable(),
    /** The OS tool the check would use there, e.g. `lsof -i -a -p 1234`. */
    tool: z.string().nullable(),
    message: z.string(),
    checkedAt: z.number(),
  }),
]);
export type LeakCheckResult = z.infer<typeof LeakCheckResultSchema>;

export interface LeakCheckOptions {
  dnsCounter?: DnsCounter;
  /** For tests: another platform than process.platform. */
  platform?: NodeJS.Platform;
  procRoot?: string;
}

/** Comparable form of an IP: v4-mapped IPv6 becomes IPv4, IPv6 is lower-cased RFC 5952 text. */
export function canonicalIp(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const kind = isIP(bare);
  if (kind === 4) return bare;
  if (kind !== 6) return bare.toLowerCase();
  const text = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
    const hi = Number.parseInt(mapped[1], 16);
    const lo = Number.parseInt(mapped[2], 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  return dotted?.[1] ?? text;
}

function isLoopback(address: string): boolean {
  const a = canonicalIp(address);
  return a === '::1' || /^127\./.test(a);
}

function isUnspecified(address: string): boolean {
  const a = canonicalIp(address);
  return a === '0.0.0.0' || a === '::';
}

function samePeer(e: Endpoint, hp: HostPort): boolean {
  return e.port === hp.port && canonicalIp(e.address) === canonicalIp(hp.host === 'localhost' ? '127.0.0.1' : hp.host);
}

/** Judges one socket of this process under `policy`; `listening` are the process's listening sockets. */
export function judgeSocket(s: ProcSocket, policy: LeakPolicy, listening: readonly ProcSocket[]): { allowed: boolean; reason: LeakReason } {
  if (s.protocol === 'tcp' && s.state === 'LISTEN') return { allowed: true, reason: 'listening' };
  const accepted = s.protocol === 'tcp' && listening.some((l) => l.local.port === s.local.port && (isUnspecified(l.local.address) || canonicalIp(l.local.address) === canonicalIp(s.local.address)));
  if (accepted) return isLoopback(s.remote.address) ? { allowed: true, reason: 'accepted-locally' } : { allowed: false, reason: 'accepted-from-network' };
  if (policy.mode === 'direct') return { allowed: true, reason: 'direct-mode' };
  if (policy.mode === 'vpn' && canonicalIp(s.local.address) === canonicalIp(policy.tunnelAddress)) return { allowed: true, reason: 'via-tunnel' };
  const unconnected = s.protocol === 'udp' && s.remote.port === 0 && isUnspecified(s.remote.address);
  if (unconnected) return { allowed: false, reason: 'unconnected-udp' };
  if (policy.mode === 'socks5' && samePeer(s.remote, policy.proxy)) return { allowed: true, reason: 'the-hop' };
  if (policy.mode === 'tor' && samePeer(s.remote, policy.socks)) return { allowed: true, reason: 'the-hop' };
  if ((policy.alsoAllowed ?? []).some((hp) => samePeer(s.remote, hp))) return { allowed: true, reason: 'also-allowed' };
  return { allowed: false, reason: policy.mode === 'vpn' ? 'outside-tunnel' : 'not-the-hop' };
}

/** Runs the check now. */
export async function runLeakCheck(policy: LeakPolicy, options: LeakCheckOptions = {}): Promise<LeakCheckResult> {
  const platform = options.platform ?? process.platform;
  const counter = options.dnsCounter ?? currentDnsCounter();
  const dnsLookupsSinceModeStart = counter === undefined ? null : counter.sinceModeStart;
  const checkedAt = Date.now();
  if (platform !== 'linux') {
    const tool = platform === 'darwin' ? `lsof -i -a -p ${String(process.pid)}` : platform === 'win32' ? `netstat -ano (rows whose PID is ${String(process.pid)})` : null;
    return {
      supported: false,
      platform,
      mode: policy.mode,
      ok: false,
      sockets: [],
      dnsLookupsSinceModeStart,
      tool,
      message:
        tool === null
          ? `The leak check is not supported on this platform (${platform}) yet.`
          : `The leak check is not supported on this platform (${platform}) yet; it would list this process's sockets with \`${tool}\`.`,
      checkedAt,
    };
  }
  const all = await ownSockets(options.procRoot);
  const listening = all.filter((s) => s.protocol === 'tcp' && s.state === 'LISTEN');
  const sockets: SocketReport[] = all.map((s) => ({
    inode: s.inode,
    protocol: s.protocol,
    family: s.family,
    local: s.local,
    remote: s.remote,
    state: s.state,
    ...judgeSocket(s, policy, listening),
  }));
  const dnsOk = policy.mode === 'direct' || dnsLookupsSinceModeStart === null || dnsLookupsSinceModeStart === 0;
  return { supported: true, platform: 'linux', mode: policy.mode, ok: dnsOk && sockets.every((s) => s.allowed), sockets, dnsLookupsSinceModeStart, checkedAt };
}
