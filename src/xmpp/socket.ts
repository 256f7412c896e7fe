/**
 * How Cove drives @xmpp/client 0.14 over a socket the privacy mode's Transport opens, with TLS checked against the
 * CA it is given (the system's by default), and with reconnects that back off. Written here because xmpp.js opens
 * its own sockets (a DNS leak in proxy modes) and has no hook for TLS options:
 *
 * 1. Socket hook. A client picks a transport class from `client.transports` by the service URI and opens
 *    `new Transport.prototype.Socket()`. We empty that list and put in one subclass of the TCP transport whose Socket
 *    is a small wrapper: its connect() calls `createSocket({host, port})` (the current Transport's connect: direct,
 *    SOCKS5, VPN or Tor) and forwards the raw net.Socket's events; a failed connect is an 'error' then a 'close', as
 *    with a net.Socket, so that the client goes to 'disconnect' and its reconnect is scheduled again. Only 'xmpp://host:port' services
 *    are accepted, so there is no Direct TLS, no WebSocket and, since the URI is complete, no SRV/host-meta look-up.
 * 2. STARTTLS with our options. The built-in STARTTLS handler only upgrades a plain net.Socket and passes no `ca`;
 *    our wrapper is not a net.Socket, so it steps aside and the handler added here does the upgrade with
 *    `tls.connect({ socket: raw, servername: domain, ca })`. The wrapper stops forwarding the raw socket first, so
 *    cipher text never reaches the XML parser. The raw socket must be a real net.Socket (the `socks` package's is).
 * 3. No credentials in clear text. Built-in SASL handlers come before ours in the chain; a server that offered SASL
 *    before STARTTLS would reach them first. `requireTls()` is called by the helpers' credentials handlers and
 *    refuses to authenticate (or register) on a stream that is not TLS.
 * 4. Fast SCRAM-SHA-1. sasl-scram-sha-1 computes PBKDF2 with WebCrypto HMAC calls, one per iteration (~2 s for
 *    4096). It skips that when the credentials carry `salt` + `saltedPassword` for the server's salt, so a subclass
 *    computes them with crypto.pbkdf2Sync (~1 ms) just before the client-final message.
 */
import { pbkdf2Sync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { CoveError } from '../api/result';
import { jid, xml, type Client, type Element, type SaslMechanismClass, type SocketParameters, type XmppSocket } from '@xmpp/client';

export class XmppTransportError extends CoveError {
  override name = 'XmppTransportError';
  constructor(message: string, options?: ErrorOptions) {
    super('xmpp-transport', message, options);
  }
}

/** Where the client wants to connect (from the service URI). */
/** @xmpp/client hands an IPv6 literal over as in its URI, `[fd00::1]`: the transports take the bare address. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export interface SocketTarget {
  host: string;
  port: number;
}

/** Returns a CONNECTED net.Socket to the target, e.g. through a SOCKS5 proxy or Tor. */
export type CreateSocket = (target: SocketTarget) => Promise<Socket>;

export interface TransportOptions {
  /** PEM text of the CA(s) that sign the server certificate; default: the system's trusted CAs. */
  ca?: string | Buffer;
  /** Opens the connection: the privacy mode's Transport. */
  createSocket: CreateSocket;
  /** Timeout of the socket connect and of the TLS handshake (default 10 s). */
  timeoutMs?: number;
  /**
   * Told when a connection `createSocket` opened ends without the client closing it: the peer closed it (a killed
   * server, a shutdown) or it failed with `error`. Not when it is destroyed locally (a mode switch) or closed by the
   * client. `raw` is the socket `createSocket` returned. Failover uses it to mark the endpoint failed.
   */
  onConnectionLost?: (raw: Socket, error: Error | undefined) => void;
}

type LostListener = NonNullable<TransportOptions['onConnectionLost']>;

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** The plain (pre-TLS) socket a client sees: a raw net.Socket made by `createSocket`, events forwarded. */
class HookedSocket extends EventEmitter implements XmppSocket {
  readonly secure = false;
  private raw: Socket | undefined;
  /** The client asked to close (end/destroy): what follows is no lost connection. */
  private closing = false;
  private readonly forward = {
    data: (chunk: Buffer): void => void this.emit('data', chunk),
    close: (hadError: boolean): void => void this.emit('close', hadError),
    error: (err: Error): void => {
      this.lost(err);
      this.emit('error', err);
    },
    end: (): void => {
      this.lost(undefined);
    },
  };

  constructor(
    private readonly createSocket: CreateSocket,
    readonly onLost: LostListener | undefined,
  ) {
    super();
  }

  private lost(err: Error | undefined): void {
    if (!this.closing && this.raw !== undefined) this.onLost?.(this.raw, err);
  }

  connect(parameters: SocketParameters): void {
    this.createSocket({ host: unbracket(parameters.host), port: parameters.port ?? 5222 }).then(
      (raw) => {
        raw.setNoDelay(true);
        this.raw = raw;
        raw.on('data', this.forward.data);
        raw.on('close', this.forward.close);
        raw.on('error', this.forward.error);
        raw.on('end', this.forward.end);
        this.emit('connect');
      },
      (err: unknown) => {
        this.emit('error', err instanceof Error ? err : new XmppTransportError('the connection could not be opened'));
        this.emit('close', true);
      },
    );
  }

  write(data: string, callback: (err?: Error | null) => void): void {
    if (this.raw === undefined) callback(new XmppTransportError('socket not connected'));
    else this.raw.write(data, callback);
  }

  end(): void {
    this.closing = true;
    if (this.raw !== undefined) this.raw.end();
    // Never connected (or handed over to TLS): nothing will close, so say so now that the caller listens.
    else setImmediate(() => this.emit('close', false));
  }

  destroy(): void {
    this.closing = true;
    this.raw?.destroy();
  }

  /** Hands the raw socket over (to TLS) and stops forwarding its events. */
  release(): Socket {
    const raw = this.raw;
    if (raw === undefined) throw new XmppTransportError('socket not connected');
    raw.removeListener('data', this.forward.data);
    raw.removeListener('close', this.forward.close);
    raw.removeListener('error', this.forward.error);
    raw.removeListener('end', this.forward.end);
    this.raw = undefined;
    return raw;
  }
}

/** The TLS socket a client sees after STARTTLS (like @xmpp/tls's Socket, but with our TLS options). */
class TlsUpgradedSocket extends EventEmitter implements XmppSocket {
  readonly secure = true;
  private readonly tls: TLSSocket;
  private closing = false;

  constructor(raw: Socket, servername: string, ca: string | Buffer | undefined, onLost: LostListener | undefined) {
    super();
    this.tls = tlsConnect({ socket: raw, servername, minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }) });
    const lost = (err: Error | undefined): void => {
      if (!this.closing) onLost?.(raw, err);
    };
    this.tls.on('data', (chunk: Buffer) => void this.emit('data', chunk));
    this.tls.on('end', () => {
      lost(undefined);
    });
    this.tls.on('close', (hadError: boolean) => void this.emit('close', hadError));
    this.tls.on('error', (err: Error) => {
      lost(err);
      this.emit('error', err);
    });
    this.tls.once('secureConnect', () => void this.emit('connect'));
  }

  connect(): void {
    throw new XmppTransportError('a TLS socket is made connected');
  }

  write(data: string, callback: (err?: Error | null) => void): void {
    this.tls.write(data, callback);
  }

  end(): void {
    this.closing = true;
    this.tls.end();
  }

  destroy(): void {
    this.closing = true;
    this.tls.destroy();
  }
}

/** Destroys the client's current socket, if it is one of ours: the last resort after a failed stop(). */
export function destroySocket(socket: XmppSocket | null): void {
  if (socket instanceof HookedSocket || socket instanceof TlsUpgradedSocket) socket.destroy();
}

/**
 * Closes the stream (waiting at most `timeoutMs` for the server, which may be gone), then destroys the socket
 * whatever happened. Never throws. It does not stop reconnecting: the caller decides that.
 */
export async function closeClient(client: Client, timeoutMs = 3000): Promise<void> {
  const socket = client.socket;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (client.status !== 'offline') {
      await Promise.race([client.stop(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    }
  } catch {
    // The server may be gone already; the socket is destroyed below either way.
  } finally {
    clearTimeout(timer);
    destroySocket(socket);
    destroySocket(client.socket);
  }
}

async function handshake(socket: TlsUpgradedSocket, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new XmppTransportError(`The TLS handshake did not finish within ${Math.round(timeoutMs / 1000)} s.`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/** Installs the socket hook and our STARTTLS on a fresh (not started) client. */
export function useTransport(client: Client, opts: TransportOptions): void {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const createSocket = opts.createSocket;
  const tcp = client.transports.find((T) => T.prototype.socketParameters('xmpp://127.0.0.1:1') !== undefined);
  if (tcp === undefined) throw new XmppTransportError('@xmpp/client has no TCP transport');
  class HookedTcp extends tcp {}
  HookedTcp.prototype.Socket = class extends HookedSocket {
    constructor() {
      super(createSocket, opts.onConnectionLost);
    }
  };
  client.transports.splice(0, client.transports.length, HookedTcp);

  client.streamFeatures.use('starttls', NS_TLS, async ({ entity }, next) => {
    const plain = entity.socket;
    if (!(plain instanceof HookedSocket)) return next();
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new XmppTransportError('The server refused to encrypt the connection (STARTTLS).');
    const secure = new TlsUpgradedSocket(plain.release(), entity.options.domain, opts.ca, plain.onLost);
    secure.on('error', () => undefined); // no unhandled 'error' between the handshake and _attachSocket
    await handshake(secure, timeoutMs);
    entity._attachSocket(secure);
    await entity.restart();
    return undefined;
  });
  useFastScram(client);
  guardIncoming(client);
}

/**
 * Guards what the parser hands the client. @xmpp/middleware builds a context for every element and throws, inside the
 * socket's data handler, on a stanza whose `from` or `to` is not a valid JID (e.g. `a@`): a hostile server could crash
 * the app with one stanza. Such a stanza is dropped here (`onDropped` says why), and a throw from any listener
 * further down becomes the client's 'error' event instead of an uncaught exception.
 */
export function guardIncoming(client: Client, onDropped: (reason: string) => void = () => undefined): void {
  const original = client._onElement.bind(client);
  client._onElement = (element: Element): void => {
    for (const name of ['from', 'to'] as const) {
      const value = element.attrs[name];
      if (value !== undefined && !validJid(value)) {
        onDropped(`a stanza's ${name} is not a valid JID`);
        return;
      }
    }
    try {
      original(element);
    } catch (err) {
      client.emit('error', err instanceof Error ? err : new XmppTransportError('an incoming element could not be handled'));
    }
  };
}

function validJid(text: string): boolean {
  try {
    jid(text);
    return true;
  } catch {
    return false;
  }
}

/** Throws unless the client's stream is TLS: call it before sending credentials or registration data. */
export function requireTls(client: Client): void {
  if (!client.isSecure()) throw new XmppTransportError('Cove will not send a password on a connection that is not encrypted.');
}

/** Replaces SCRAM-SHA-1 by a subclass that feeds it a PBKDF2 result computed with Node's crypto (see 4. above). */
export function useFastScram(client: Client): void {
  const entry = client.saslFactory._mechs.find((m) => m.name === 'SCRAM-SHA-1');
  if (entry === undefined) return;
  const Base: SaslMechanismClass = entry.mech;
  entry.mech = class FastScramSha1 extends Base {
    override response(credentials: Record<string, unknown>): string | Promise<string> {
      const stage: unknown = Reflect.get(this, '_stage');
      const salt: unknown = Reflect.get(this, '_salt');
      const iterations: unknown = Reflect.get(this, '_iterationCount');
      const password = credentials.password;
      if (stage === 'challenge' && salt instanceof Uint8Array && typeof iterations === 'number' && typeof password === 'string') {
        const saltedPassword = new Uint8Array(pbkdf2Sync(password, salt, iterations, 20, 'sha1'));
        return super.response({ ...credentials, salt, saltedPassword });
      }
      return super.response(credentials);
    }
  };
}

/**
 * Reconnects that back off: @xmpp/reconnect retries after a fixed delay, once per 'disconnect'. This makes the delay
 * grow after each disconnect in a row (1 s, 2 s, 4 s … capped at `maxMs`) and go back to `minMs` once the client is
 * online again, by a new session ('online') or by XEP-0198 resumption (which sets the status without an 'online'
 * event). @xmpp/reconnect reads the delay when the disconnect happens, so each value set here serves the NEXT one.
 */
export function useBackoff(client: Client, minMs = 1000, maxMs = 30_000): void {
  let inARow = 0;
  client.reconnect.delay = minMs;
  const reset = (): void => {
    inARow = 0;
    client.reconnect.delay = minMs;
  };
  // 'reconnecting' fires when a reconnect starts, i.e. after its delay was used: set the next one. (Not 'disconnect':
  // its listeners run in the order they were added, and a reconnect.stop()/start() would put ours first.)
  client.reconnect.on('reconnecting', () => {
    inARow += 1;
    client.reconnect.delay = Math.min(maxMs, minMs * 2 ** inARow);
  });
  client.on('online', reset);
  client.streamManagement.on('resumed', reset);
}

/**
 * The next reconnect happens at once instead of after the back-off: for a disconnect Cove causes on purpose (a
 * privacy-mode switch), where the new path is known to be ready. Call it before closing the connection.
 */
export function reconnectPromptly(client: Client): void {
  client.reconnect.delay = 0;
}
