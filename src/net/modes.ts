/**
 * The privacy mode in force, as the one Transport the core connects through. A switch at run time:
 *   1. refuses every new connection at once ("switching") — nothing goes out by the old path from then on;
 *   2. aborts connections still being set up, and closes every open one (through the registry);
 *   3. installs the new mode's transport; connections made from then on take the new path.
 * Accounts reconnect by themselves (their reconnect loop asks this transport again); their unacked messages wait in
 * the outbox and are resent once, by id. A connection that finishes setting up after a switch began is destroyed
 * and refused, never handed out, so no byte of it reaches the caller's stream.
 */
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { TransportDownError } from './errors';
import { TrackedTransport, type ConnectionRegistry, type TrackedConnectOptions } from './registry';
import type { Hop, ModeId, Target, Transport } from './transport';

export type ModeState = { mode: ModeId; phase: 'ready' } | { mode: ModeId; phase: 'switching'; to: ModeId };

export interface ModeEvents {
  state: [ModeState];
}

export class ModeManager implements Transport {
  readonly events = new EventEmitter<ModeEvents>();
  private transport: TrackedTransport;
  private switching: ModeId | undefined;
  /** Aborts the connects of the current mode when it is left. */
  private epoch = new AbortController();

  constructor(
    private readonly registry: ConnectionRegistry,
    initial: Transport,
  ) {
    this.transport = new TrackedTransport(initial, registry);
  }

  get mode(): ModeId {
    return this.transport.mode;
  }

  state(): ModeState {
    return this.switching === undefined ? { mode: this.mode, phase: 'ready' } : { mode: this.mode, phase: 'switching', to: this.switching };
  }

  firstHop(target: Target): Hop {
    return this.transport.firstHop(target);
  }

  async connect(target: Target, options: TrackedConnectOptions = {}): Promise<Socket> {
    if (this.switching !== undefined) throw new TransportDownError(`Cove is switching to ${label(this.switching)}: nothing is sent until it is done.`);
    const epoch = this.epoch;
    const signal = options.signal === undefined ? epoch.signal : AbortSignal.any([options.signal, epoch.signal]);
    let socket: Socket;
    try {
      socket = await this.transport.connect(target, { ...options, signal });
    } catch (err) {
      if (epoch.signal.aborted) throw new TransportDownError('The privacy mode changed while connecting: connect again.');
      throw err;
    }
    if (epoch.signal.aborted) {
      socket.destroy();
      throw new TransportDownError('The privacy mode changed while connecting: connect again.');
    }
    return socket;
  }

  /**
   * Switches to `next`. Resolves once every connection of the old mode is closed and the new mode is in force.
   * While it runs, connect() refuses; a second switch waits for the first.
   */
  async switchTo(next: Transport): Promise<void> {
    await this.queue;
    const run = this.doSwitch(next);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private queue: Promise<void> = Promise.resolve();

  private async doSwitch(next: Transport): Promise<void> {
    this.switching = next.mode;
    this.events.emit('state', this.state());
    try {
      this.epoch.abort();
      await this.registry.closeAll(`switching to ${label(next.mode)}`);
      this.transport = new TrackedTransport(next, this.registry);
      this.epoch = new AbortController();
    } finally {
      this.switching = undefined;
      this.events.emit('state', this.state());
    }
  }
}

function label(mode: ModeId): string {
  return { direct: 'a direct connection', socks5: 'your SOCKS5 proxy', vpn: 'your VPN', tor: 'Tor' }[mode];
}
