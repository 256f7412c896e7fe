/** How the connections panel words a connection: its purpose, the path its bytes take, sizes and times. */
import type { Connections } from '../../../src/api/contract';

export type ConnectionView = Connections['connections'][number];
export type CircuitView = Connections['circuits'][number];
type Hop = ConnectionView['hops'][number];

const PURPOSES: Record<string, string> = {
  xmpp: 'Messages (XMPP)',
  directory: 'Gateway directory',
  http: 'Web request',
  'leak-check': 'Leak check',
  other: 'Other',
};

export function purposeText(purpose: string): string {
  return PURPOSES[purpose] ?? purpose;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host of a "host:port" / "[v6]:port" target. */
function targetHost(target: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(target);
  if (v6 !== null) return v6[1] ?? '';
  const colon = target.lastIndexOf(':');
  return colon < 0 ? target : target.slice(0, colon);
}

function hopText(hop: Hop, target: string): string {
  switch (hop.kind) {
    case 'direct':
      return 'direct';
    case 'proxy':
      return `SOCKS5 proxy ${hostPort(hop.host, hop.port)}`;
    case 'tunnel':
      return hop.port === 0 ? `VPN tunnel ${hop.host}` : `VPN tunnel → ${hostPort(hop.host, hop.port)}`;
    case 'tor':
      return targetHost(target).toLowerCase().endsWith('.onion') ? 'Tor → onion service' : 'Tor → exit';
  }
}

/** "via": the hops the connection's bytes go through before the target. */
export function viaText(c: ConnectionView): string {
  if (c.hops.length === 0) return '—';
  return c.hops.map((h) => hopText(h, c.target)).join(' → ');
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit] ?? ''}`;
}

export function timeText(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
