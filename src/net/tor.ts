/**
 * Tor mode: SOCKS5 to a tor's SocksPort — the app's own or one the user already runs. Each isolation key (one per
 * account) gets its own SOCKS username/password, so tor (IsolateSOCKSAuth) puts its streams on their own circuits.
 * While tor is not ready every connection is refused with a reason: there is no other path to fall back to.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TransportDownError } from './errors';
import { socks5Connect } from './socks5';
import type { ConnectOptions, Hop, Target, Transport } from './transport';

export interface TorSocksSource {
  /** tor's SOCKS endpoint when it is ready to carry streams, else a reason to show. */
  socksEndpoint(): { host: string; port: number } | { down: string };
}

export class TorTransport implements Transport {
  readonly mode = 'tor' as const;
  /** Rotated by newIdentity(): fresh credentials mean fresh circuits for every account. */
  private epoch = randomBytes(8).toString('hex');

  constructor(private readonly source: TorSocksSource) {}

  firstHop(): Hop {
    const ep = this.source.socksEndpoint();
    return 'down' in ep ? { kind: 'tor', host: '', port: 0 } : { kind: 'tor', host: ep.host, port: ep.port };
  }

  /** The SOCKS credentials of an isolation key (exposed so the connections panel can map circuits to accounts). */
  credentials(isolationKey = 'default'): { username: string; password: string } {
    return { username: `cove:${isolationKey}`, password: this.epoch };
  }

  newIdentity(): void {
    this.epoch = randomBytes(8).toString('hex');
  }

  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    const ep = this.source.socksEndpoint();
    if ('down' in ep) throw new TransportDownError(ep.down);
    return socks5Connect({ ...ep, ...this.credentials(options.isolationKey) }, target, options, 'Tor');
  }
}
