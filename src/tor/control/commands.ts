/**
 * The typed commands of the control client, built on one primitive, `command(line)` (see client.ts). Every argument
 * goes through syntax.ts (`key`, `token`, `quoteString`), which refuses CR/LF/NUL, so no argument can start a second
 * command.
 */
import { TorArgumentError, TorProtocolError } from './errors';
import {
  parseBootstrapPhase,
  parseCircuitStatus,
  parseGetConfReply,
  parseGetInfoReply,
  parseListeners,
  parseStreamStatus,
  type BootstrapStatus,
  type CircuitStatus,
  type Listener,
  type StreamStatus,
} from './parsers';
import type { Reply } from './reply-parser';
import { key, parseKeywordArgs, quoteString, token } from './syntax';

export type OnionKey = { readonly type: 'NEW'; readonly algorithm: 'BEST' | 'ED25519-V3' } | { readonly type: 'ED25519-V3'; readonly blob: string };

export interface AddOnionOptions {
  readonly key: OnionKey;
  /** virtPort, and where tor forwards it (`port`, `host:port` or `unix:/path`; default: the same port on 127.0.0.1). */
  readonly ports: readonly { readonly virtPort: number; readonly target?: string }[];
  readonly flags?: readonly ('DiscardPK' | 'Detach' | 'V3Auth' | 'NonAnonymous' | 'MaxStreamsCloseCircuit')[];
  readonly maxStreams?: number;
  /** base32 x25519 public keys of authorised clients. */
  readonly clientAuthV3?: readonly string[];
  readonly timeoutMs?: number;
}

export interface AddedOnion {
  /** The address without `.onion`. */
  readonly serviceId: string;
  /** `ED25519-V3:<base64>` when tor made a new key and DiscardPK was not set. A secret: never log it. */
  readonly privateKey?: string;
}

export abstract class TorCommands {
  /** Sends one line; resolves with the reply, throws TorCommandError on 4xx/5xx. */
  abstract command(line: string, timeoutMs?: number): Promise<Reply>;

  /** GETINFO: the raw value of each key (tor answers all or fails with 552 for an unknown key). */
  async getInfo(keys: readonly string[], timeoutMs?: number): Promise<Map<string, string>> {
    if (keys.length === 0) throw new TorArgumentError('GETINFO needs at least one key');
    const values = parseGetInfoReply(await this.command(`GETINFO ${keys.map((k) => key(k, 'a GETINFO key')).join(' ')}`, timeoutMs));
    for (const k of keys) if (!values.has(k)) throw new TorProtocolError('GETINFO did not answer every key');
    return values;
  }

  async getInfoOne(k: string, timeoutMs?: number): Promise<string> {
    return (await this.getInfo([k], timeoutMs)).get(k) ?? '';
  }

  /** GETCONF: [key, value] in tor's order; a multi-valued option comes once per value; unset: value undefined. */
  async getConf(keys: readonly string[], timeoutMs?: number): Promise<[string, string | undefined][]> {
    if (keys.length === 0) throw new TorArgumentError('GETCONF needs at least one key');
    return parseGetConfReply(await this.command(`GETCONF ${keys.map((k) => key(k, 'a config key')).join(' ')}`, timeoutMs));
  }

  /**
   * SETCONF, atomically for all pairs. A key given several times gets all those values (e.g. several Bridge lines);
   * a value of undefined resets the key to its default.
   */
  async setConf(pairs: readonly (readonly [string, string | undefined])[], timeoutMs?: number): Promise<void> {
    if (pairs.length === 0) throw new TorArgumentError('SETCONF needs at least one key');
    const args = pairs.map(([k, v]) => (v === undefined ? key(k, 'a config key') : `${key(k, 'a config key')}=${quoteString(v, 'a config value')}`));
    await this.command(`SETCONF ${args.join(' ')}`, timeoutMs);
  }

  /** RESETCONF: back to the defaults (tor's, not the torrc's). */
  async resetConf(keys: readonly string[], timeoutMs?: number): Promise<void> {
    if (keys.length === 0) throw new TorArgumentError('RESETCONF needs at least one key');
    await this.command(`RESETCONF ${keys.map((k) => key(k, 'a config key')).join(' ')}`, timeoutMs);
  }

  /** SETEVENTS: the full set of events wanted from now on (an empty list turns them all off). */
  async setEvents(names: readonly string[], timeoutMs?: number): Promise<void> {
    const list = names.map((n) => token(n, 'an event name'));
    await this.command(list.length === 0 ? 'SETEVENTS' : `SETEVENTS ${list.join(' ')}`, timeoutMs);
  }

  /** SIGNAL, e.g. NEWNYM, HEARTBEAT, DORMANT, ACTIVE, SHUTDOWN. */
  async signal(name: string, timeoutMs?: number): Promise<void> {
    await this.command(`SIGNAL ${token(name, 'a signal name')}`, timeoutMs);
  }

  /**
   * TAKEOWNERSHIP (tor exits when this connection closes), then RESETCONF __OwningControllerProcess so that tor no
   * longer also watches the pid it was started with: the connection is now the one owner, as Tor Browser does it.
   */
  async takeOwnership(timeoutMs?: number): Promise<void> {
    await this.command('TAKEOWNERSHIP', timeoutMs);
    await this.resetConf(['__OwningControllerProcess'], timeoutMs);
  }

  async addOnion(opts: AddOnionOptions): Promise<AddedOnion> {
    if (opts.ports.length === 0) throw new TorArgumentError('ADD_ONION needs at least one port');
    const keyArg = opts.key.type === 'NEW' ? `NEW:${opts.key.algorithm}` : `ED25519-V3:${token(opts.key.blob, 'an onion key')}`;
    const args = [keyArg];
    if (opts.flags !== undefined && opts.flags.length > 0) args.push(`Flags=${opts.flags.join(',')}`);
    if (opts.maxStreams !== undefined) args.push(`MaxStreams=${port(opts.maxStreams, 0)}`);
    for (const p of opts.ports) {
      const target = p.target === undefined ? '' : `,${token(p.target, 'an onion port target')}`;
      args.push(`Port=${port(p.virtPort, 1)}${target}`);
    }
    for (const c of opts.clientAuthV3 ?? []) args.push(`ClientAuthV3=${token(c, 'a client auth key')}`);
    const reply = await this.command(`ADD_ONION ${args.join(' ')}`, opts.timeoutMs);
    let serviceId: string | undefined;
    let privateKey: string | undefined;
    for (const line of reply.lines) {
      const kv = parseKeywordArgs(line.text).values;
      serviceId ??= kv.get('ServiceID');
      privateKey ??= kv.get('PrivateKey');
    }
    if (serviceId === undefined || !/^[a-z2-7]{56}$/.test(serviceId)) throw new TorProtocolError('ADD_ONION did not return a v3 ServiceID');
    return { serviceId, ...(privateKey === undefined ? {} : { privateKey }) };
  }

  async delOnion(serviceId: string, timeoutMs?: number): Promise<void> {
    await this.command(`DEL_ONION ${token(serviceId, 'a service id')}`, timeoutMs);
  }

  async getBootstrapPhase(timeoutMs?: number): Promise<BootstrapStatus> {
    return parseBootstrapPhase(await this.getInfoOne('status/bootstrap-phase', timeoutMs));
  }

  /** tor's SOCKS listeners. Empty while DisableNetwork is 1: tor opens no listener but the control port then. */
  async getSocksListeners(timeoutMs?: number): Promise<Listener[]> {
    return parseListeners(await this.getInfoOne('net/listeners/socks', timeoutMs));
  }

  async getCircuits(timeoutMs?: number): Promise<CircuitStatus[]> {
    return parseCircuitStatus(await this.getInfoOne('circuit-status', timeoutMs));
  }

  async getStreams(timeoutMs?: number): Promise<StreamStatus[]> {
    return parseStreamStatus(await this.getInfoOne('stream-status', timeoutMs));
  }
}

function port(n: number, min: number): number {
  if (!Number.isInteger(n) || n < min || n > 65535) throw new TorArgumentError('a port or count is out of range');
  return n;
}
