/**
 * The connections registry: every connection the core has open, with what the connections panel shows — which
 * account (an opaque key, never a JID), what for, where it was asked to go (target), where its bytes really go first
 * (the hop), in which mode, how many bytes went each way, and since when. Connections reach it through
 * TrackedTransport, which wraps the mode's Transport and registers every socket it returns; a closed socket leaves
 * the registry by itself. `closeAll(reason)` is what a mode switch or the kill switch calls.
 *
 * Privacy: the target (host:port) and the hop address are kept in memory for the UI only. Nothing here writes them
 * (or an account key) to a log: log lines name a connection by its id, purpose, hop kind and mode.
 *
 * Byte counts are read from the socket's own counters (`bytesRead` / `bytesWritten`, which keep counting after a TLS
 * upgrade of the socket) by a timer that runs while connections are open, every `updateIntervalMs`: that is also the
 * throttle of the 'updated' event, which carries every connection whose counters changed since the last one. The
 * registry never adds a 'data' listener (that would switch the socket to flowing mode and could lose data) nor an
 * 'error' listener (that would hide errors from the socket's owner).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../log/redact';
import { NetError } from './errors';
import { TransportModeSchema } from './who-sees-what-schema';
import type { ConnectOptions, Hop, ModeId, Target, Transport } from './transport';

export const ConnectionPurposeSchema = z.enum(['xmpp', 'directory', 'http', 'leak-check', 'other']);
export type ConnectionPurpose = z.infer<typeof ConnectionPurposeSchema>;

export const HopSchema = z.object({ kind: z.enum(['direct', 'proxy', 'tunnel', 'tor']), host: z.string(), port: z.number().int().min(0).max(65535) });

export const ConnectionSnapshotSchema = z.object({
  id: z.string().min(1),
  /** An opaque per-account key (the isolation key), or null for connections of no account (the directory fetch). */
  account: z.string().min(1).nullable(),
  purpose: ConnectionPurposeSchema,
  /** host:port the core asked for ([v6]:port for IPv6). For the UI: never log it. */
  target: z.string().min(1),
  /** Where the bytes really go first: the server itself (direct), the proxy, the tunnel, or tor's SOCKS port. */
  hop: HopSchema,
  mode: TransportModeSchema,
  bytesIn: z.number().int().min(0),
  bytesOut: z.number().int().min(0),
  /** Epoch milliseconds. */
  openedAt: z.number(),
  ageMs: z.number().min(0),
});
export type ConnectionSnapshot = z.infer<typeof ConnectionSnapshotSchema>;

export type ClosedConnection = ConnectionSnapshot & { reason: string };

export interface RegistryEvents {
  opened: [ConnectionSnapshot];
  closed: [ClosedConnection];
  /** Connections whose byte counts changed, at most once per `updateIntervalMs`. */
  updated: [ConnectionSnapshot[]];
}

export interface ConnectionInfo {
  account: string | null;
  purpose: ConnectionPurpose;
  target: Target;
  hop: Hop;
  mode: ModeId;
}

export interface RegistryOptions {
  /** How often byte counters are read and 'updated' may fire (default 1000 ms). */
  updateIntervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** The registry was used wrongly, e.g. given a JID where an opaque account key belongs. */
export class RegistryUsageError extends NetError {
  override name = 'RegistryUsageError';
  constructor(detail: string) {
    super('registry-usage', detail);
  }
}

/** Refuses account keys that look like a JID: the registry (and the UI state it feeds) keeps opaque keys only. */
export function checkAccountKey(account: string | null): string | null {
  if (account !== null && (account.length === 0 || account.includes('@'))) {
    throw new RegistryUsageError('an account is named by an opaque, non-empty key, never by its JID');
  }
  return account;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${String(port)}` : `${host}:${String(port)}`;
}

interface Entry extends ConnectionInfo {
  readonly id: string;
  readonly socket: Socket;
  readonly openedAt: number;
  lastIn: number;
  lastOut: number;
  closeReason: string | undefined;
  readonly closed: Promise<void>;
}

export class ConnectionRegistry extends EventEmitter<RegistryEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly updateIntervalMs: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(options: RegistryOptions = {}) {
    super();
    this.updateIntervalMs = options.updateIntervalMs ?? 1000;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Registers an open socket; it leaves the registry when it closes. Returns the connection's id. */
  add(socket: Socket, info: ConnectionInfo): string {
    checkAccountKey(info.account);
    const id = `c${String(this.nextId++)}`;
    if (socket.destroyed) {
      this.logger?.debug(`connection ${id} (${info.purpose}) was closed before it could be registered`);
      return id;
    }
    let onClosed: () => void = () => undefined;
    const entry: Entry = {
      ...info,
      id,
      socket,
      openedAt: this.now(),
      lastIn: socket.bytesRead,
      lastOut: socket.bytesWritten,
      closeReason: undefined,
      closed: new Promise<void>((resolve) => {
        onClosed = resolve;
      }),
    };
    this.entries.set(id, entry);
    socket.once('close', (hadError: boolean) => {
      this.entries.delete(id);
      if (this.entries.size === 0) this.stopTimer();
      const reason = entry.closeReason ?? (hadError ? 'error' : 'closed');
      const snap = this.snap(entry);
      this.logger?.debug(`connection ${id} (${entry.purpose}) closed: ${reason}; ${String(snap.bytesIn)} bytes in, ${String(snap.bytesOut)} out`);
      this.emitSafely('closed', { ...snap, reason });
      onClosed();
    });
    this.logger?.debug(`connection ${id} opened (${info.purpose}, mode ${info.mode}, first hop: ${info.hop.kind})`);
    this.emitSafely('opened', this.snap(entry));
    this.startTimer();
    return id;
  }

  /** Every open connection, with live byte counts and age. */
  snapshot(): ConnectionSnapshot[] {
    return [...this.entries.values()].map((e) => this.snap(e));
  }

  get(id: string): ConnectionSnapshot | undefined {
    const e = this.entries.get(id);
    return e === undefined ? undefined : this.snap(e);
  }

  /** Reads the counters now; emits 'updated' if any changed. The timer calls this every `updateIntervalMs`. */
  refresh(): void {
    const changed: ConnectionSnapshot[] = [];
    for (const e of this.entries.values()) {
      const bytesIn = e.socket.bytesRead;
      const bytesOut = e.socket.bytesWritten;
      if (bytesIn !== e.lastIn || bytesOut !== e.lastOut) {
        e.lastIn = bytesIn;
        e.lastOut = bytesOut;
        changed.push(this.snap(e));
      }
    }
    if (changed.length > 0) this.emitSafely('updated', changed);
  }

  /** Closes one connection; resolves when its socket has closed. */
  async close(id: string, reason: string): Promise<boolean> {
    const e = this.entries.get(id);
    if (e === undefined) return false;
    e.closeReason ??= reason;
    e.socket.destroy();
    await e.closed;
    return true;
  }

  /**
   * Closes every connection (mode switch, kill switch). The sockets are destroyed without an error, so their owners
   * see a plain 'close'; the reason goes with the 'closed' events. Resolves with how many were closed once every
   * socket has closed, or after `timeoutMs` at the latest.
   */
  async closeAll(reason: string, timeoutMs = 5000): Promise<number> {
    const all = [...this.entries.values()];
    if (all.length === 0) return 0;
    this.logger?.info(`closing ${String(all.length)} connection(s): ${reason}`);
    for (const e of all) {
      e.closeReason ??= reason;
      e.socket.destroy();
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(all.map((e) => e.closed)), deadline]);
    clearTimeout(timer);
    return all.length;
  }

  /** Stops the update timer (the registry keeps working; the next connection starts it again). */
  dispose(): void {
    this.stopTimer();
  }

  private snap(e: Entry): ConnectionSnapshot {
    return {
      id: e.id,
      account: e.account,
      purpose: e.purpose,
      target: formatHostPort(e.target.host, e.target.port),
      hop: { ...e.hop },
      mode: e.mode,
      bytesIn: e.socket.bytesRead,
      bytesOut: e.socket.bytesWritten,
      openedAt: e.openedAt,
      ageMs: Math.max(0, this.now() - e.openedAt),
    };
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.refresh();
    }, this.updateIntervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A listener that throws must not break the socket's close handling or the timer. */
  private emitSafely<K extends keyof RegistryEvents>(event: K, ...args: RegistryEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: RegistryEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger?.warn(`a connections-registry '${event}' listener failed`, err);
    }
  }
}

export interface TrackedConnectOptions extends ConnectOptions {
  purpose?: ConnectionPurpose;
  /** The account's opaque key; default: `isolationKey`; null when neither is given. */
  account?: string;
}

/**
 * A Transport that registers every socket its inner transport returns. The core opens every connection through one
 * of these, so every connection is in the registry.
 */
export class TrackedTransport implements Transport {
  constructor(
    readonly inner: Transport,
    readonly registry: ConnectionRegistry,
    private readonly defaultPurpose: ConnectionPurpose = 'other',
  ) {}

  get mode(): ModeId {
    return this.inner.mode;
  }

  firstHop(target: Target): Hop {
    return this.inner.firstHop(target);
  }

  async connect(target: Target, options: TrackedConnectOptions = {}): Promise<Socket> {
    const { purpose, account, ...rest } = options;
    const key = checkAccountKey(account ?? rest.isolationKey ?? null);
    const socket = await this.inner.connect(target, rest);
    this.registry.add(socket, { account: key, purpose: purpose ?? this.defaultPurpose, target, hop: this.inner.firstHop(target), mode: this.inner.mode });
    return socket;
  }
}
