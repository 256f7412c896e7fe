/**
 * What an account connection and a registration share: where the server is (one endpoint, or a pool of them with
 * failover, see endpoints.ts), the Transport that opens the socket (tagged with the account's opaque key, never its
 * JID), the service URI (complete: no SRV/host-meta look-up), the SASL mechanism choice and the mapping of failures
 * to typed reasons.
 */
import { isIP, type Socket } from 'node:net';
import type { Client } from '@xmpp/client';
import type { TrackedConnectOptions } from '../net/registry';
import type { Transport } from '../net/transport';
import { EndpointError, EndpointPool, reachableIn, type Endpoint, type GatewayEndpoint } from './endpoints';
import { FATAL_REASONS, XmppAccountError, type FailureReason } from './errors';
import { reconnectPromptly, type CreateSocket } from './socket';

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
  /**
   * The gateway's endpoints in order of preference (clearnet, .onion, the nodes of a cluster serving `domain`), or a
   * pool of them (e.g. shared, or with a seeded random). When given, every connection attempt goes to the endpoint
   * the pool picks, a lost connection marks its endpoint failed, and `server` only fills in the service URI.
   */
  endpoints?: readonly GatewayEndpoint[] | EndpointPool;
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
    if (code === 'endpoint-none-usable') return 'unreachable';
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

/** The settings' endpoint pool: the one given, or a new one over the list given; undefined without endpoints. */
export function endpointPool(settings: ConnectionSettings): EndpointPool | undefined {
  const e = settings.endpoints;
  if (e === undefined) return undefined;
  return e instanceof EndpointPool ? e : new EndpointPool(e);
}

// Where each socket opened through a pool went, so that a lost connection marks the right endpoint failed.
const openedTo = new WeakMap<Socket, { pool: EndpointPool; endpoint: Endpoint }>();

// Connect failures that are the privacy mode's doing (proxy or Tor down, kill switch, a switch in progress), not the
// endpoint's: they do not mark it failed.
const TRANSPORT_SIDE = new Set(['transport-down', 'proxy-unreachable', 'proxy-auth-failed', 'proxy-protocol-error', 'aborted']);

function endpointAtFault(err: unknown): boolean {
  const code: unknown = err instanceof Error ? Reflect.get(err, 'code') : undefined;
  return typeof code !== 'string' || !TRANSPORT_SIDE.has(code);
}

/**
 * The socket factory of socket.ts, over the account's Transport, tagged with its opaque key. With a pool, each
 * attempt goes to the endpoint it picks (among those the current mode can reach) instead of the service URI's.
 */
export function transportSocket(settings: ConnectionSettings, pool = endpointPool(settings)): CreateSocket {
  return async (target) => {
    const options: TrackedConnectOptions = {
      isolationKey: settings.accountKey,
      purpose: 'xmpp',
      timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    const transport = currentTransport(settings.transport);
    if (pool === undefined) return transport.connect(target, options);
    const endpoint = pool.pick(reachableIn(transport.mode));
    try {
      const socket = await transport.connect({ host: endpoint.host, port: endpoint.port }, options);
      openedTo.set(socket, { pool, endpoint });
      return socket;
    } catch (err) {
      if (endpointAtFault(err)) pool.failed(endpoint);
      throw err;
    }
  };
}

/**
 * Keeps a pool's health in step with the client, and returns the `onConnectionLost` to give useTransport:
 * - an endpoint is up once a session through it is online (new or resumed);
 * - it has failed when the connect fails (transportSocket), when the connection is lost by the peer or an error
 *   (not when the client closed the stream itself, nor on a local destroy such as a mode switch), when a connection
 *   problem comes before login, or on a stream error;
 * - after a disconnect that failed it, the reconnect goes at once when another endpoint is ready (the account's
 *   back-off is for when every endpoint is failing).
 * Call it on a fresh client before reconnect.start(): its 'disconnect' listener must run before @xmpp/reconnect's,
 * which reads the delay. `active` is false while the account is stopping or halted.
 */
export function trackEndpoints(client: Client, settings: ConnectionSettings, pool: EndpointPool, active: () => boolean): (raw: Socket) => void {
  let closingItself = false;
  client.on('status', (status) => {
    if (status === 'closing' || status === 'disconnecting') closingItself = true;
    else if (status === 'connecting') closingItself = false;
  });
  const up = (): void => {
    if (pool.current !== undefined) pool.succeeded(pool.current);
  };
  client.on('online', up);
  client.streamManagement.on('resumed', up);
  client.on('error', (err) => {
    const reason = classifyFailure(err);
    if (!active() || FATAL_REASONS.has(reason) || err instanceof EndpointError || !endpointAtFault(err)) return;
    if (client.status === 'online' && reason !== 'stream-error') return;
    if (pool.current !== undefined) pool.failed(pool.current);
  });
  client.on('disconnect', () => {
    const current = pool.current;
    if (!active() || current === undefined) return;
    if (pool.shouldFailOver(current, reachableIn(currentTransport(settings.transport).mode))) reconnectPromptly(client);
  });
  return (raw) => {
    const opened = openedTo.get(raw);
    if (opened !== undefined && active() && !closingItself) opened.pool.failed(opened.endpoint);
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

