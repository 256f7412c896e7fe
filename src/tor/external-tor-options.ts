/**
 * The settings of a tor the user already runs (see external-tor.ts): the options and their check, the usual presets,
 * the typed errors, the SOCKS5 check used without a control port, and the loopback detection of a running tor.
 */
import { isIP, type Socket } from 'node:net';
import { CoveError } from '../api/result';
import { openLocal, openTcp } from '../net/direct';
import { AbortedError, ConnectTimeoutError } from '../net/errors';
import { TorAbortedError, type Listener } from './control';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ExternalTorOptions {
  /** tor's SocksPort, by IP address (`localhost` is taken as 127.0.0.1). */
  readonly socks: HostPort;
  /** tor's ControlPort, or its ControlSocket. Without it Cove only knows whether the SOCKS port answers. */
  readonly control?: HostPort | { readonly path: string };
  /**
   * The control cookie, when the path tor names in PROTOCOLINFO is not the one to read (a sandbox, another mount) or
   * tor offers plain COOKIE only. SAFECOOKIE works without it.
   */
  readonly cookieFile?: string;
  /** For `HashedControlPassword`. */
  readonly password?: string;
  /** How long tor may take to reach 100 % (default 120 s). */
  readonly bootstrapTimeoutMs?: number;
  /** Connection Assist after this long with no progress (default 30 s). */
  readonly stallMs?: number;
  /** Connecting to the control port, and the SOCKS5 check without one (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/**
 * A tor run as a system service: SocksPort 9050, ControlPort 9051 (when enabled in its torrc). Its cookie, which tor
 * names itself (SAFECOOKIE needs no path from Cove), is usually:
 *   Debian/Ubuntu  /run/tor/control.authcookie (group debian-tor; see DEBIAN_SYSTEM_TOR: no ControlPort by default)
 *   Fedora, Arch   /run/tor/control.authcookie or /var/lib/tor/control_auth_cookie (DataDirectory)
 *   macOS (brew)   /opt/homebrew/var/lib/tor/control_auth_cookie (Intel: /usr/local/var/lib/tor/...)
 *   Windows        %APPDATA%\tor\control_auth_cookie (the Tor Expert Bundle's default DataDirectory)
 */
export const SYSTEM_TOR: ExternalTorOptions = {
  socks: { host: '127.0.0.1', port: 9050 },
  control: { host: '127.0.0.1', port: 9051 },
};

/** Debian's packaged tor: no ControlPort, but a ControlSocket the group debian-tor may use. */
export const DEBIAN_SYSTEM_TOR: ExternalTorOptions = {
  socks: { host: '127.0.0.1', port: 9050 },
  control: { path: '/run/tor/control' },
  cookieFile: '/run/tor/control.authcookie',
};

/**
 * Tor Browser's tor, while the browser runs (it exits with the browser): SocksPort 9150, ControlPort 9151, the cookie
 * in the browser's tor data directory:
 *   Linux    <install dir>/Browser/TorBrowser/Data/Tor/control_auth_cookie
 *   macOS    ~/Library/Application Support/TorBrowser-Data/Tor/control_auth_cookie
 *   Windows  <install dir>\Browser\TorBrowser\Data\Tor\control_auth_cookie
 * A build that uses a control socket instead of port 9151 needs `control: { path }`.
 */
export const TOR_BROWSER: ExternalTorOptions = {
  socks: { host: '127.0.0.1', port: 9150 },
  control: { host: '127.0.0.1', port: 9151 },
};

export class ExternalTorError extends CoveError {
  override name = 'ExternalTorError';
}

export class ExternalTorOptionsError extends ExternalTorError {
  override name = 'ExternalTorOptionsError';
  constructor(detail: string) {
    super('tor-external-bad-options', `The settings of your own tor are not valid: ${detail}.`);
  }
}

/** Circuits, streams and new identity ask tor itself: without its control port Cove cannot. */
export class ControlPortRequiredError extends ExternalTorError {
  override name = 'ControlPortRequiredError';
  constructor(what: string) {
    super('tor-control-port-needed', `${what} needs the control port of your tor: add it (and its cookie or password) to the Tor settings.`);
  }
}

/** tor is up but does not list the SOCKS port Cove was given: wrong port, or another program on it. */
export class SocksPortMismatchError extends ExternalTorError {
  override name = 'SocksPortMismatchError';
  constructor(
    readonly port: number,
    /** The ports of tor's TCP SOCKS listeners. */
    readonly listed: readonly number[],
  ) {
    super(
      'tor-socks-port-mismatch',
      listed.length === 0
        ? `Your tor has no SOCKS port open, so Cove cannot use port ${port}. Enable a SocksPort in its settings.`
        : `Your tor's SOCKS port is not ${port} (it listens on ${listed.join(', ')}): check the SOCKS port in the Tor settings.`,
    );
  }
}

export type SocksProbeFailure = 'unreachable' | 'timeout' | 'not-socks5' | 'no-acceptable-method';

/** The SOCKS5 check of the given port failed (used when there is no control port). */
export class SocksProbeError extends ExternalTorError {
  override name = 'SocksProbeError';
  constructor(
    readonly kind: SocksProbeFailure,
    detail: string,
    options?: ErrorOptions,
  ) {
    super('tor-socks-check-failed', `The SOCKS port of your tor ${detail}.`, options);
  }
}

function endpoint(ep: HostPort, what: string): HostPort {
  const host = ep.host === 'localhost' ? '127.0.0.1' : ep.host;
  if (isIP(host) === 0) throw new ExternalTorOptionsError(`${what} must be given by its IP address`);
  if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) throw new ExternalTorOptionsError(`${what} must be a port from 1 to 65535`);
  return { host, port: ep.port };
}

function goodString(s: string): boolean {
  return s !== '' && !/[\0\r\n]/.test(s);
}

/** Checks and normalises the options; throws ExternalTorOptionsError. */
export function validateExternalTorOptions(o: ExternalTorOptions): ExternalTorOptions {
  const socks = endpoint(o.socks, 'the SOCKS port');
  let control: ExternalTorOptions['control'];
  if (o.control !== undefined) {
    if ('path' in o.control) {
      if ('host' in o.control || 'port' in o.control) throw new ExternalTorOptionsError('give the control port as host and port, or as a socket path, not both');
      if (!goodString(o.control.path)) throw new ExternalTorOptionsError('the control socket path is empty or holds a line break');
      control = { path: o.control.path };
    } else {
      control = endpoint(o.control, 'the control port');
    }
  }
  if (o.cookieFile !== undefined && !goodString(o.cookieFile)) throw new ExternalTorOptionsError('the cookie file path is empty or holds a line break');
  if (o.password !== undefined && !goodString(o.password)) throw new ExternalTorOptionsError('the control password is empty or holds a line break');
  if (control === undefined && (o.cookieFile !== undefined || o.password !== undefined)) {
    throw new ExternalTorOptionsError('a cookie file or password is only used with a control port');
  }
  for (const [k, v] of [['bootstrapTimeoutMs', o.bootstrapTimeoutMs], ['stallMs', o.stallMs], ['connectTimeoutMs', o.connectTimeoutMs]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new ExternalTorOptionsError(`${k} must be a positive number of ms`);
  }
  return { ...o, socks, ...(control === undefined ? {} : { control }) };
}

/** SOCKS5 method negotiation only (RFC 1928 §3: offer "no authentication"), then close: no CONNECT is sent. */
export async function probeSocks5(socks: HostPort, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  let sock: Socket;
  try {
    sock = await openTcp(socks.host, socks.port, { timeoutMs, ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    if (err instanceof AbortedError) throw new TorAbortedError('Checking the SOCKS port', { cause: err });
    if (err instanceof ConnectTimeoutError) throw new SocksProbeError('timeout', `did not accept a connection within ${timeoutMs} ms`, { cause: err });
    throw new SocksProbeError('unreachable', `cannot be reached (is your tor running?)`, { cause: err });
  }
  sock.on('error', () => undefined);
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.off('data', onData).off('close', onClose).off('error', onClose);
        if (err === undefined) resolve(got);
        else reject(err);
      };
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d]);
        if (got.length >= 2) finish();
      };
      const onClose = (): void => {
        finish(new SocksProbeError('not-socks5', 'closed the connection without a SOCKS5 answer'));
      };
      const onAbort = (): void => {
        finish(new TorAbortedError('Checking the SOCKS port'));
      };
      const timer = setTimeout(() => {
        finish(new SocksProbeError('timeout', `did not answer the SOCKS5 greeting within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.on('data', onData).once('close', onClose).once('error', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      sock.write(Buffer.from([0x05, 0x01, 0x00]));
    });
    if (reply.length !== 2 || reply[0] !== 0x05) throw new SocksProbeError('not-socks5', 'answered with something that is not SOCKS5 (is it the right port?)');
    if (reply[1] === 0xff) throw new SocksProbeError('no-acceptable-method', 'wants an authentication method Cove does not offer');
    if (reply[1] !== 0x00) throw new SocksProbeError('not-socks5', 'chose a method Cove did not offer');
  } finally {
    sock.destroy();
  }
}

function sameHost(listener: string, wanted: string): boolean {
  if (listener.toLowerCase() === wanted.toLowerCase()) return true;
  // A wildcard listener takes connections on every address of its family.
  return (listener === '0.0.0.0' && isIP(wanted) === 4) || listener === '::';
}

/** Throws SocksPortMismatchError unless one of tor's TCP SOCKS listeners is `socks`. */
export function checkSocksListed(socks: HostPort, listeners: readonly Listener[]): void {
  const tcp = listeners.flatMap((l) => (l.kind === 'tcp' ? [l] : []));
  if (tcp.some((l) => l.port === socks.port && sameHost(l.host, socks.host))) return;
  throw new SocksPortMismatchError(socks.port, [...new Set(tcp.map((l) => l.port))]);
}

export interface RunningTorCandidate {
  readonly preset: string;
  readonly options: ExternalTorOptions;
  /** The control endpoint of `options` accepted a connection too. */
  readonly controlReachable: boolean;
}

const DEFAULT_CANDIDATES: readonly { preset: string; options: ExternalTorOptions }[] = [
  { preset: 'system-tor', options: SYSTEM_TOR },
  ...(process.platform === 'linux' ? [{ preset: 'system-tor', options: DEBIAN_SYSTEM_TOR }] : []),
  { preset: 'tor-browser', options: TOR_BROWSER },
];

async function reachable(ep: HostPort | { readonly path: string }, timeoutMs: number): Promise<boolean> {
  try {
    const sock = await ('path' in ep ? openLocal(ep.path, { timeoutMs }) : openTcp(ep.host, ep.port, { timeoutMs }));
    sock.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * Which usual tors run here: a TCP connect to each candidate's SOCKS port (and control endpoint) on loopback, nothing
 * else (no SOCKS request, no other address). One result per SOCKS port, preferring a candidate whose control answers.
 */
export async function detectRunningTor(opts: { timeoutMs?: number; candidates?: readonly { preset: string; options: ExternalTorOptions }[] } = {}): Promise<RunningTorCandidate[]> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const loopback = (host: string): boolean => host.startsWith('127.') || host === '::1';
  const probed = await Promise.all((opts.candidates ?? DEFAULT_CANDIDATES).map(async ({ preset, options }) => {
    const o = validateExternalTorOptions(options);
    if (!loopback(o.socks.host) || (o.control !== undefined && 'host' in o.control && !loopback(o.control.host))) {
      throw new ExternalTorOptionsError('tor detection only looks at loopback addresses');
    }
    const [socksUp, controlUp] = await Promise.all([reachable(o.socks, timeoutMs), o.control === undefined ? false : reachable(o.control, timeoutMs)]);
    return { preset, options: o, controlReachable: controlUp, socksUp };
  }));
  const out = new Map<string, RunningTorCandidate>();
  for (const { socksUp, ...c } of probed) {
    if (!socksUp) continue;
    const k = `${c.options.socks.host}:${String(c.options.socks.port)}`;
    const seen = out.get(k);
    if (seen === undefined || (!seen.controlReachable && c.controlReachable)) out.set(k, c);
  }
  return [...out.values()];
}
