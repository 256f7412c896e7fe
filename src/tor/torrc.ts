/**
 * The torrc Cove writes into the profile's tor data directory. Tor starts offline (`DisableNetwork 1`) with control
 * and SOCKS ports chosen by the OS and written to files, as Tor Browser does; the owner then configures it over the
 * control port and only then lets it reach the network. Secrets (proxy passwords) go into this file, which only the
 * user can read, never onto the command line where every local user could see them.
 */
import { join } from 'node:path';
import { CoveError } from '../api/result';
import type { BridgeLine, TransportName } from './bridges';

export interface UpstreamProxy {
  type: 'socks5' | 'https';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface TorrcOptions {
  dataDir: string;
  bridges?: readonly BridgeLine[];
  /** Paths of the pluggable-transport binaries, by transport. */
  transportPlugins?: Partial<Record<Exclude<TransportName, 'vanilla'>, string>>;
  /** A proxy tor itself must use to reach the network (e.g. the user's SOCKS5). */
  upstreamProxy?: UpstreamProxy;
  /** Extra lines, for a private test network only (TestingTorNetwork, DirAuthority, …); never user input. */
  extraLines?: readonly string[];
}

export class TorConfigError extends CoveError {
  override name = 'TorConfigError';
  constructor(message: string) {
    super('tor-config-invalid', message);
  }
}

export interface TorrcFiles {
  torrc: string;
  controlPortFile: string;
  cookieFile: string;
  pidFile: string;
}

export function torrcPaths(dataDir: string): TorrcFiles {
  return {
    torrc: join(dataDir, 'torrc'),
    controlPortFile: join(dataDir, 'control-port'),
    cookieFile: join(dataDir, 'control_auth_cookie'),
    pidFile: join(dataDir, 'tor.pid'),
  };
}

/** A value as torrc takes it: refuse what could end the line or start another option. */
function value(text: string, what: string): string {
  if (/[\r\n\0]/.test(text)) throw new TorConfigError(`${what} must be one line`);
  if (/[\s"\\#]/.test(text)) return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return text;
}

function proxyLines(p: UpstreamProxy): string[] {
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new TorConfigError('the proxy port is out of range');
  const addr = `${value(p.host, 'the proxy host')}:${p.port}`;
  if (p.type === 'socks5') {
    const lines = [`Socks5Proxy ${addr}`];
    if (p.username !== undefined || p.password !== undefined) {
      // RFC 1929: each of username and password is 1 to 255 bytes.
      for (const [k, v] of [['username', p.username], ['password', p.password]] as const) {
        const n = Buffer.byteLength(v ?? '');
        if (n < 1 || n > 255) throw new TorConfigError(`the SOCKS5 proxy ${k} must be 1 to 255 bytes`);
      }
      lines.push(`Socks5ProxyUsername ${value(p.username ?? '', 'the proxy username')}`);
      lines.push(`Socks5ProxyPassword ${value(p.password ?? '', 'the proxy password')}`);
    }
    return lines;
  }
  const lines = [`HTTPSProxy ${addr}`];
  if (p.username !== undefined) {
    if (p.username.includes(':')) throw new TorConfigError('an HTTPS proxy username may not contain ":"');
    lines.push(`HTTPSProxyAuthenticator ${value(`${p.username}:${p.password ?? ''}`, 'the proxy credentials')}`);
  }
  return lines;
}

export function buildTorrc(opts: TorrcOptions): string {
  const files = torrcPaths(opts.dataDir);
  const lines = [
    '# Written by Cove at every start; edits are overwritten.',
    `DataDirectory ${value(opts.dataDir, 'the data directory')}`,
    `PidFile ${value(files.pidFile, 'the pid file')}`,
    'DisableNetwork 1',
    'ControlPort auto',
    `ControlPortWriteToFile ${value(files.controlPortFile, 'the control port file')}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${value(files.cookieFile, 'the cookie file')}`,
    // Per-account isolation rides on distinct SOCKS credentials (IsolateSOCKSAuth is on by default; said here anyway).
    'SocksPort auto IsolateSOCKSAuth',
    'AvoidDiskWrites 1',
    'Log notice stdout',
  ];
  const bridges = opts.bridges ?? [];
  if (bridges.length > 0) {
    lines.push('UseBridges 1');
    const needed = new Set(bridges.map((b) => b.transport).filter((t) => t !== 'vanilla'));
    for (const t of needed) {
      const plugin = opts.transportPlugins?.[t];
      if (plugin === undefined) throw new TorConfigError(`no ${t} transport plugin was found: install it or pick other bridges`);
      lines.push(`ClientTransportPlugin ${t} exec ${value(plugin, `the ${t} plugin path`)}`);
    }
    for (const b of bridges) lines.push(`Bridge ${b.line}`);
  }
  if (opts.upstreamProxy !== undefined) lines.push(...proxyLines(opts.upstreamProxy));
  for (const l of opts.extraLines ?? []) {
    if (/[\r\n\0]/.test(l)) throw new TorConfigError('an extra torrc line must be one line');
    lines.push(l);
  }
  return `${lines.join('\n')}\n`;
}
