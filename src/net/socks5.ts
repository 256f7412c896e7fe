/**
 * SOCKS5 (RFC 1928, with RFC 1929 username/password): the target's NAME goes to the proxy (ATYP domain), so the
 * core never resolves it. The proxy itself must be given as an IP address: resolving its name would be a DNS query
 * that leaves outside the proxy. This file opens the first hop itself, so that "the proxy is down" and "the proxy
 * said no" are told apart; the handshake is socks5-handshake.ts (strict; see there why not the `socks` package).
 */
import { isIP, type Socket } from 'node:net';
import { openTcp } from './direct';
import { AbortedError, ConnectTimeoutError, InvalidTargetError, ProxyUnreachableError } from './errors';
import { socks5Handshake } from './socks5-handshake';
import { DEFAULT_CONNECT_TIMEOUT_MS, validateTarget, type ConnectOptions, type Hop, type Target, type Transport } from './transport';

export interface Socks5Config {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export function validateSocks5Config(c: Socks5Config): Socks5Config {
  const host = c.host === 'localhost' ? '127.0.0.1' : c.host;
  if (isIP(host) === 0) throw new InvalidTargetError('the proxy must be given by its IP address, so that Cove never looks up a name outside the proxy');
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) throw new InvalidTargetError('the proxy port must be 1 to 65535');
  if ((c.username === undefined) !== (c.password === undefined)) throw new InvalidTargetError('give both a proxy username and a password, or neither');
  for (const v of [c.username, c.password]) {
    if (v !== undefined && (Buffer.byteLength(v) < 1 || Buffer.byteLength(v) > 255)) {
      throw new InvalidTargetError('the proxy username and password must each be 1 to 255 bytes');
    }
  }
  return { ...c, host };
}

/** A SOCKS5 CONNECT through `proxy` to `target`; `what` names the proxy in errors ("The SOCKS5 proxy", "Tor"). */
export async function socks5Connect(proxy: Socks5Config, target: Target, options: ConnectOptions, what: string): Promise<Socket> {
  validateTarget(target);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const started = Date.now();
  let first: Socket;
  try {
    first = await openTcp(proxy.host, proxy.port, { ...options, timeoutMs });
  } catch (err) {
    if (err instanceof AbortedError || err instanceof ConnectTimeoutError) throw err;
    throw new ProxyUnreachableError(what, { cause: err });
  }
  try {
    await socks5Handshake(first, {
      target,
      ...(proxy.username === undefined ? {} : { username: proxy.username }),
      ...(proxy.password === undefined ? {} : { password: proxy.password }),
      timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      what,
    });
    return first;
  } catch (err) {
    first.destroy();
    throw err;
  }
}

export class Socks5Transport implements Transport {
  readonly mode = 'socks5' as const;
  private readonly proxy: Socks5Config;

  constructor(config: Socks5Config) {
    this.proxy = validateSocks5Config(config);
  }

  firstHop(): Hop {
    return { kind: 'proxy', host: this.proxy.host, port: this.proxy.port };
  }

  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    return socks5Connect(this.proxy, target, options, 'The SOCKS5 proxy');
  }
}
