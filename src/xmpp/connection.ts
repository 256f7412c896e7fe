/**
 * What an account connection and a registration share: where the server is, the Transport that opens the socket
 * (tagged with the account's opaque key, never its JID), the service URI (complete: no SRV/host-meta look-up),
 * the SASL mechanism choice and the mapping of failures to typed reasons.
 */
import { isIP } from 'node:net';
import type { TrackedConnectOptions } from '../net/registry';
import type { Transport } from '../net/transport';
import { XmppAccountError, type FailureReason } from './errors';
import type { CreateSocket } from './socket';

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Where the account's server listens: always a full host:port (never an SRV look-up in proxy modes). */
export interface ServerEndpoint {
  /** Host name, IP literal or .onion name; resolved by the proxy in proxy modes. */
  host: string;
  port: number;
}

export interface ConnectionSettings {
  /** The XMPP domain (also the TLS server name). */
  domain: string;
  /**
   * The c2s endpoint. TODO(direct-srv): in Direct mode only, an SRV look-up (_xmpp-client._tcp.<domain>) may fill
   * this in when the user gave no host; it must never run in proxy modes (a DNS leak). Not implemented: give a host.
   */
  server: ServerEndpoint;
  /** The privacy mode's Transport, or a getter of the current one (it changes on a mode switch). */
  transport: Transport | (() => Transport);
  /** An opaque per-account key (never the JID): keeps accounts on separate Tor circuits, names it in the registry. */
  accountKey: string;
  /** PEM of the CA(s) that sign the server certificate; default: the system's trusted CAs. */
  ca?: string | Buffer;
  /** Budget of each network step: socket + TLS, login, one request (default 15 s). */
  timeoutMs?: number;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH)/;

/** Maps whatever @xmpp/client or the Transport threw to a typed reason. */
export function classifyFailure(err: unknown): FailureReason {
  if (err instanceof XmppAccountError) return err.reason;
  if (!(err instanceof Error)) return 'protocol';
  if (err.name === 'SASLError') return 'auth-failed';
  const code: unknown = Reflect.get(err, 'code');
  if (typeof code === 'string') {
    if (TLS_CODES.test(code)) return 'tls-failed';
    if (code === 'transport-down' || code.startsWith('proxy-')) return 'transport-down';
    if (code === 'connect-failed' || code === 'connect-timeout' || code === 'invalid-target' || code === 'aborted') return 'unreachable';
    if (code === 'xmpp-transport') return /TLS|encrypt/.test(err.message) ? 'tls-failed' : 'unreachable';
    if (code === 'ECONNRESET' || code === 'EPIPE') return 'unreachable';
  }
  if (err.name === 'StreamError') return Reflect.get(err, 'condition') === 'not-authorized' ? 'auth-failed' : 'stream-error';
  if (err.name === 'TimeoutError' || err.name === 'XmppTimeoutError') return 'timeout';
  return 'protocol';
}

function currentTransport(t: ConnectionSettings['transport']): Transport {
  return typeof t === 'function' ? t() : t;
}

/** The socket factory of socket.ts, over the account's Transport, tagged with its opaque key. */
export function transportSocket(settings: ConnectionSettings): CreateSocket {
  return async (target) => {
    const options: TrackedConnectOptions = {
      isolationKey: settings.accountKey,
      purpose: 'xmpp',
      timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    return currentTransport(settings.transport).connect(target, options);
  };
}

/** An `xmpp://host:port` service URI: complete, so @xmpp/client makes no SRV or host-meta look-up. */
export function serviceUri(server: ServerEndpoint): string {
  const host = isIP(server.host) === 6 ? `[${server.host}]` : server.host;
  return `xmpp://${host}:${server.port}`;
}

/** Prefers SCRAM-SHA-1; PLAIN only because requireTls() ran first (never in clear text). */
export function pickMechanism(mechanisms: readonly string[]): string {
  if (mechanisms.includes('SCRAM-SHA-1')) return 'SCRAM-SHA-1';
  if (mechanisms.includes('PLAIN')) return 'PLAIN';
  throw new XmppAccountError('auth-failed');
}

