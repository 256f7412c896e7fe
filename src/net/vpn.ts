/**
 * VPN mode: plain TCP whose sockets are bound to the tunnel interface's address, behind a kill switch.
 *
 * Binding alone does not keep traffic in the tunnel. Verified on Linux: with the tunnel link set DOWN the kernel keeps
 * its address, a socket bound to it still connects, and its SYN — or the data and the FIN of a socket that was open —
 * leaves by the default route on the physical interface. So the state of the interface is watched and:
 * - connect() goes ahead only while the interface exists, is up (IFF_UP, operstate not down), has an address, and the
 *   kernel's route from that address to the server goes out of the tunnel (vpn-route.ts); else TransportDownError
 *   "blocked by the kill switch: <why>".
 * - A watcher polls every `pollMs` (200 ms; Node has no netlink, and sysfs files cannot be watched with inotify). Every
 *   write, end() and destroy() of a socket made here also checks the link synchronously first (a sysfs read, ~10 µs),
 *   so an app that is sending notices at once rather than at the next poll.
 * - When the interface goes down or disappears the kill switch engages: state 'blocked' (event), new connects are
 *   refused and every open socket is destroyed for its user — but the kernel socket is HELD open, not closed: closing
 *   it would send a FIN (or RST) by the default route. A held socket is closed once that is harmless: the interface is
 *   back and routes to its peer through the tunnel (the FIN goes through it), or its address is gone (the kernel
 *   cannot route from an address it no longer has). Holding uses Node's internal `socket._handle` (Node 22/Electron);
 *   without it the socket is simply destroyed.
 * - When the interface is back up with an address, state is 'open' again; dispose() (the user picked another mode)
 *   ends it: state 'off'.
 * What stays outside an app's reach — the kernel sends it by the default route on its own: an ACK it still owes when
 * the link goes down (TCP delays ACKs by up to 40 ms in interactive traffic: measured one bare ACK per cut and
 * connection with a line every 10–25 ms, none with one every 50 ms), a segment in flight that it retransmits, and a
 * SYN racing a link that goes down between the check and connect(). Node cannot set SO_BINDTODEVICE; only the OS can
 * close those windows: vpn-enforce.ts builds (and as root applies) policy routing that makes the kernel drop them.
 * Names are resolved with the system resolver, and only while the state is 'open'.
 */
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { openTcp } from './direct';
import { AbortedError, ConnectTimeoutError, TransportDownError } from './errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, validateTarget, type ConnectOptions, type Hop, type Target, type Transport } from './transport';
import { addressesOf, IFF_UP, interfaceProblem, isLinkUp, readInterface, readLink, type InterfaceInfo, type TunnelAddress } from './vpn-interfaces';
import { checkRoute, type RouteVerdict } from './vpn-route';
import { HeldSockets } from './vpn-hold';

export type VpnState = 'open' | 'blocked' | 'off';

export interface VpnStatus {
  state: VpnState;
  /** Why the kill switch is engaged (state 'blocked'), or why the mode ended ('off'). Names no address. */
  reason?: string;
  /** Date.now() of the change. */
  since: number;
}

/** How the transport sees the interface; Linux sysfs by default, injectable for tests. */
export interface VpnProbe {
  read(name: string): InterfaceInfo | undefined;
  /** The cheap check made before every write: the link exists and is up. */
  linkUp(name: string): boolean;
}

export interface VpnTransportOptions {
  /** The tunnel interface, e.g. wg0 or tun0. */
  interfaceName: string;
  /** The VPN server, when known: shown as the first hop. */
  peerEndpoint?: { host: string; port: number };
  pollMs?: number;
  probe?: VpnProbe;
  checkRoute?: (iface: string, destination: string, source: string) => Promise<RouteVerdict>;
  resolve?: (host: string, family: 4 | 6) => Promise<string>;
  /**
   * TESTS ONLY: no watcher, no checks — connect() just binds to the last address the interface was seen with, so a
   * test can show what the kernel does on its own (with vpn-enforce.ts applied it must refuse).
   */
  unsafeDisableKillSwitch?: boolean;
}

interface VpnEvents {
  state: [VpnStatus];
}

export const linuxProbe: VpnProbe = {
  read: (name) => readInterface(name),
  linkUp: (name) => {
    const link = readLink(name);
    return link !== undefined && isLinkUp(link);
  },
};

/** Elsewhere (macOS, Windows) Node lists only interfaces that are up and running: present means up. */
export const portableProbe: VpnProbe = {
  read: (name) => {
    const all = networkInterfaces();
    if (all[name] === undefined) return undefined;
    return { name, type: -1, flags: IFF_UP, operstate: 'unknown', up: true, addresses: addressesOf(name, all), tunnel: true };
  },
  linkUp: (name) => networkInterfaces()[name] !== undefined,
};

const DEFAULT_POLL_MS = 200;

export class VpnTransport extends EventEmitter<VpnEvents> implements Transport {
  readonly mode = 'vpn' as const;
  readonly interfaceName: string;
  private current: VpnStatus;
  private readonly probe: VpnProbe;
  private readonly routeCheck: (iface: string, destination: string, source: string) => Promise<RouteVerdict>;
  private readonly resolveName: (host: string, family: 4 | 6) => Promise<string>;
  private readonly unsafe: boolean;
  /** Open sockets made here, with the tunnel address each is bound to. */
  private readonly sockets = new Map<Socket, string>();
  private readonly held: HeldSockets;
  private lastAddresses: TunnelAddress[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: VpnTransportOptions) {
    super();
    this.interfaceName = options.interfaceName;
    this.probe = options.probe ?? (process.platform === 'linux' ? linuxProbe : portableProbe);
    const onLinux = process.platform === 'linux';
    this.routeCheck =
      options.checkRoute ?? (onLinux ? (iface, dst, src) => checkRoute(iface, dst, src) : () => Promise.resolve({ ok: true, dev: this.interfaceName }));
    this.resolveName = options.resolve ?? (async (host, family) => (await lookup(host, { family })).address);
    this.unsafe = options.unsafeDisableKillSwitch === true;
    this.held = new HeldSockets(this.interfaceName, this.routeCheck);
    const why = this.problem(this.read());
    this.current = why === undefined ? { state: 'open', since: Date.now() } : { state: 'blocked', reason: why, since: Date.now() };
    if (!this.unsafe) {
      this.timer = setInterval(() => {
        this.check();
      }, options.pollMs ?? DEFAULT_POLL_MS);
      this.timer.unref();
    }
  }

  get status(): VpnStatus {
    return { ...this.current };
  }

  firstHop(): Hop {
    const peer = this.options.peerEndpoint;
    return peer === undefined ? { kind: 'tunnel', host: this.interfaceName, port: 0 } : { kind: 'tunnel', host: peer.host, port: peer.port };
  }

  /** One look at the interface (the watcher calls this every poll): engages or releases the kill switch. */
  check(): VpnStatus {
    if (this.current.state === 'off') {
      this.held.release(this.read(), true);
      return this.status;
    }
    const info = this.read();
    const why = this.problem(info);
    if (why !== undefined) {
      this.engage(why);
    } else {
      if (this.current.state === 'blocked') this.setState({ state: 'open', since: Date.now() });
      // A socket whose address the interface no longer has would leave by another route: treat it as blocked.
      const have = new Set(info?.addresses.map((a) => a.address));
      for (const [socket, local] of this.sockets) {
        if (!have.has(local)) this.quarantine(socket, `the VPN interface ${this.interfaceName} lost the address this connection used`);
      }
    }
    this.held.release(info, false);
    return this.status;
  }

  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    validateTarget(target);
    if (this.current.state === 'off') throw new TransportDownError('VPN mode is off: choose a connection mode again.');
    if (options.signal?.aborted === true) throw new AbortedError();
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    if (this.unsafe) {
      const local = this.lastAddresses.find((a) => a.family === 'IPv4') ?? this.lastAddresses[0];
      if (local === undefined) throw new TransportDownError(`the VPN interface ${this.interfaceName} was never seen with an address`);
      return openTcp(target.host, target.port, { ...options, localAddress: local.address });
    }
    const info = this.read();
    this.refuseIfBlocked(info);
    const family = isIP(target.host) === 6 ? 6 : isIP(target.host) === 4 ? 4 : info?.addresses.some((a) => a.family === 'IPv4') === true ? 4 : 6;
    const local = info?.addresses.find((a) => a.family === (family === 4 ? 'IPv4' : 'IPv6'));
    if (local === undefined) throw this.blocked(`the VPN interface ${this.interfaceName} has no IPv${family} address`);
    const remote = isIP(target.host) === 0 ? await withDeadline(this.resolveName(target.host, family), deadline) : target.host;
    const route = await withDeadline(this.routeCheck(this.interfaceName, remote, local.address), deadline);
    if (!route.ok) throw this.blocked(route.why);
    this.refuseIfBlocked(this.read());
    let socket: Socket;
    try {
      socket = await openTcp(remote, target.port, { ...options, timeoutMs: Math.max(1, deadline - Date.now()), localAddress: local.address });
    } catch (err) {
      // The interface went away while connecting (EADDRNOTAVAIL, ENETUNREACH…): say so, not "server unreachable".
      this.refuseIfBlocked(this.read());
      throw err;
    }
    if (this.current.state !== 'open' || !this.linkUp()) {
      this.held.take(socket, local.address, remote);
      socket.destroy();
      throw this.blocked(this.current.reason ?? `the VPN interface ${this.interfaceName} is down`);
    }
    this.track(socket, local.address);
    return socket;
  }

  /** The user picked another mode: refuse everything from now on; sockets still open are closed (or held). */
  dispose(): void {
    if (this.current.state === 'off') return;
    this.setState({ state: 'off', reason: 'VPN mode was turned off', since: Date.now() });
    const up = this.linkUp();
    for (const socket of [...this.sockets.keys()]) {
      if (up) {
        this.sockets.delete(socket);
        socket.destroy();
      } else {
        this.quarantine(socket, 'VPN mode was turned off');
      }
    }
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // Held sockets still wait for a moment when closing them sends nothing out of the physical interface.
    this.held.drainAfterDispose(() => this.read());
  }

  /** Kernel sockets held open by the kill switch (for the connections panel and tests). */
  get heldCount(): number {
    return this.held.size;
  }

  /** The interface now; a probe that fails counts as no interface (fail closed, never an exception in a timer). */
  private read(): InterfaceInfo | undefined {
    let info: InterfaceInfo | undefined;
    try {
      info = this.probe.read(this.interfaceName);
    } catch {
      info = undefined;
    }
    if (info !== undefined && info.addresses.length > 0) this.lastAddresses = info.addresses;
    return info;
  }

  private linkUp(): boolean {
    try {
      return this.probe.linkUp(this.interfaceName);
    } catch {
      return false;
    }
  }

  private problem(info: InterfaceInfo | undefined): string | undefined {
    return interfaceProblem(this.interfaceName, info);
  }

  /** Engages and throws when the interface cannot carry traffic; reopens when it can and the watcher is behind. */
  private refuseIfBlocked(info: InterfaceInfo | undefined): void {
    const why = this.problem(info);
    if (why !== undefined) {
      this.engage(why);
      throw this.blocked(why);
    }
    if (this.current.state === 'blocked') this.setState({ state: 'open', since: Date.now() });
  }

  private blocked(why: string): TransportDownError {
    return new TransportDownError(`blocked by the kill switch: ${why}`);
  }

  private engage(why: string): void {
    if (this.current.state !== 'blocked' || this.current.reason !== why) {
      this.setState({ state: 'blocked', reason: why, since: Date.now() });
    }
    for (const socket of [...this.sockets.keys()]) this.quarantine(socket, why);
  }

  private setState(next: VpnStatus): void {
    this.current = next;
    this.emit('state', this.status);
  }

  /** Hides a socket from its user (destroyed, with the reason if it listens for errors) while its kernel side is held. */
  private quarantine(socket: Socket, why: string): void {
    const local = this.sockets.get(socket);
    this.sockets.delete(socket);
    this.held.take(socket, local ?? '', socket.remoteAddress ?? '');
    if (socket.listenerCount('error') > 0) socket.destroy(this.blocked(why));
    else socket.destroy();
  }

  /** Routes every write, end() and destroy() of the socket through a synchronous look at the link. */
  private track(socket: Socket, local: string): void {
    this.sockets.set(socket, local);
    socket.once('close', () => this.sockets.delete(socket));
    const proto = Object.getPrototypeOf(socket) as Socket;
    const gate = (cb: (error?: Error | null) => void): boolean => {
      if (this.sockets.has(socket) && this.linkUp()) return true;
      const why = this.problem(this.read()) ?? `the VPN interface ${this.interfaceName} is down`;
      this.engage(why);
      cb(this.blocked(why));
      return false;
    };
    socket._write = (chunk: unknown, encoding: BufferEncoding, cb: (error?: Error | null) => void): void => {
      if (gate(cb)) proto._write.call(socket, chunk, encoding, cb);
    };
    if (proto._writev !== undefined) {
      socket._writev = (chunks: { chunk: unknown; encoding: BufferEncoding }[], cb: (error?: Error | null) => void): void => {
        if (gate(cb)) proto._writev?.call(socket, chunks, cb);
      };
    }
    socket._final = (cb: (error?: Error | null) => void): void => {
      if (gate(cb)) proto._final.call(socket, cb);
    };
    socket._destroy = (error: Error | null, cb: (error?: Error | null) => void): void => {
      // Closed by its user while the link is down: hold the kernel socket rather than let the FIN leak.
      if (this.sockets.has(socket) && !this.linkUp()) {
        this.sockets.delete(socket);
        this.held.take(socket, local, socket.remoteAddress ?? '');
      }
      proto._destroy.call(socket, error, cb);
    };
  }
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  const ms = Math.max(1, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ConnectTimeoutError(ms));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
