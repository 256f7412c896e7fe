/**
 * The privacy-mode operations: switching (fail closed: a mode that cannot be set up leaves NOTHING going out, never
 * a direct fallback), tor (started when Tor mode is chosen, its bootstrap progress streamed as events), the
 * connections list with tor circuits, the leak check, and the who-sees-what model. The chosen mode is kept in the
 * profile and restored when it opens.
 */
import { join } from 'node:path';
import type { Handlers } from '../api/contract';
import { ModeSettingsSchema, type Connections, type ModeSettings, type ModeStatus, type TorStatus } from '../api/schemas';
import { CoveError } from '../api/result';
import { DirectTransport } from '../net/direct';
import { TransportDownError } from '../net/errors';
import { runLeakCheck, type LeakPolicy } from '../net/leak-check';
import { Socks5Transport, validateSocks5Config } from '../net/socks5';
import { TorTransport } from '../net/tor';
import type { Hop, Transport } from '../net/transport';
import { VpnTransport } from '../net/vpn';
import { listTunnelInterfaces } from '../net/vpn-interfaces';
import { WHO_SEES_WHAT } from '../net/who-sees-what';
import { parseBridgeLines } from '../tor/bridges';
import { OwnedTor } from '../tor/owned-tor';
import type { ConnectionAssist, TorState } from '../tor/provider';
import { torVersionStatus } from '../tor/version';
import type { CoreContext } from './core';
import { accountKeyOf } from './session';

export interface PrivacyState {
  settings: ModeSettings;
  tor: OwnedTor | undefined;
  /** The last switch's failure (the mode in force refuses every connection until it is fixed). */
  error: CoveError | undefined;
  bridges: { enabled: boolean; lines: string[] };
  vpn: VpnTransport | undefined;
  assist?: ConnectionAssist | undefined;
}

type PrivacyOps = Pick<Handlers, 'modeGet' | 'modeSet' | 'whoSeesWhat' | 'vpnInterfaces' | 'torStatus' | 'torSetBridges' | 'torNewIdentity' | 'leakCheck' | 'connections'>;

/** The chosen mode when it could not be set up: it refuses every connection (never a fallback), saying why. */
class ClosedTransport implements Transport {
  constructor(
    readonly mode: ModeSettings['mode'],
    private readonly why: string,
  ) {}
  firstHop(): Hop {
    return { kind: this.mode === 'socks5' ? 'proxy' : this.mode === 'vpn' ? 'tunnel' : this.mode === 'tor' ? 'tor' : 'direct', host: '', port: 0 };
  }
  connect(): Promise<never> {
    return Promise.reject(new TransportDownError(this.why));
  }
}

export function privacyHandlers(ctx: CoreContext): { handlers: PrivacyOps; restore: () => Promise<void>; close: () => Promise<void> } {
  const p = ctx.privacy;

  const torStatus = (): TorStatus => {
    const state: TorState = p.tor?.state() ?? { kind: 'stopped' };
    const version = torVersionStatus(p.tor?.version());
    const base = { outdated: version.outdated, bridges: p.bridges, ...(version.version === undefined ? {} : { version: version.version }) };
    const assist = p.assist === undefined ? {} : { assist: { suggestion: p.assist.suggestion, reason: p.assist.message } };
    switch (state.kind) {
      case 'stopped':
        return { ...base, state: 'off', progress: 0, summary: 'Tor is off.' };
      case 'starting':
        return { ...base, ...assist, state: state.bootstrap.progress > 0 ? 'bootstrapping' : 'starting', progress: state.bootstrap.progress, summary: state.bootstrap.summary };
      case 'ready':
        return { ...base, state: 'ready', progress: 100, summary: 'Connected to the Tor network.' };
      case 'down':
        return { ...base, state: 'down', progress: 0, summary: `Tor stopped (${state.reason}); nothing is sent until it is back.` };
      case 'failed':
        return { ...base, ...assist, state: 'failed', progress: 0, summary: state.error.message, error: state.error };
    }
  };

  const modeStatus = (): ModeStatus => {
    const s = ctx.modes.state();
    const socks5 = p.settings.mode === 'socks5' ? { socks5: { host: p.settings.socks5.host, port: p.settings.socks5.port, ...(p.settings.socks5.username === undefined ? {} : { username: p.settings.socks5.username }) } } : {};
    const vpn = p.settings.mode === 'vpn' ? { vpn: { interface: p.settings.vpn.interface, holding: p.vpn?.status.state === 'blocked' } } : {};
    const error = p.error === undefined ? {} : { error: p.error.toApiError() };
    if (s.phase === 'switching') return { mode: p.settings.mode, phase: 'switching', to: s.to, ...socks5, ...vpn };
    return { mode: p.settings.mode, phase: p.error === undefined ? 'ready' : 'failed', ...error, ...socks5, ...vpn };
  };

  const emitTor = (): void => {
    ctx.emit({ type: 'tor', status: torStatus() });
  };

  const ensureTor = (): OwnedTor => {
    if (p.tor !== undefined) return p.tor;
    const opts = ctx.options.tor ?? {};
    const tor = new OwnedTor({
      dataDir: join(ctx.options.profileDir, 'tor'),
      ...(opts.torBinary === undefined ? {} : { torBinary: opts.torBinary }),
      ...(opts.bundledDir === undefined ? {} : { bundledDir: opts.bundledDir }),
      ...(opts.extraTorrcLines === undefined ? {} : { extraTorrcLines: opts.extraTorrcLines }),
      ...(p.bridges.enabled ? { bridges: parseBridgeLines(p.bridges.lines.join('\n')) } : {}),
    });
    tor.events.on('state', emitTor);
    tor.events.on('bootstrap', emitTor);
    tor.events.on('assist', (a) => {
      p.assist = a;
      emitTor();
    });
    tor.events.on('circuits', () => {
      ctx.emit({ type: 'connections' });
    });
    p.tor = tor;
    tor.start().catch((err: unknown) => {
      ctx.log.warn('tor did not start', err);
      emitTor();
    });
    return tor;
  };

  const stopTor = async (): Promise<void> => {
    const tor = p.tor;
    p.tor = undefined;
    p.assist = undefined;
    if (tor !== undefined) await tor.stop();
    emitTor();
  };

  const transportFor = (settings: ModeSettings): Transport => {
    switch (settings.mode) {
      case 'direct':
        return new DirectTransport();
      case 'socks5':
      {
        const { host, port, username, password } = settings.socks5;
        return new Socks5Transport(validateSocks5Config({ host, port, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) }));
      }
      case 'vpn': {
        const vpn = new VpnTransport({ interfaceName: settings.vpn.interface });
        vpn.on('state', () => {
          ctx.emit({ type: 'mode', status: modeStatus() });
        });
        return vpn;
      }
      case 'tor':
        return new TorTransport(ensureTor());
    }
  };

  const apply = async (settings: ModeSettings): Promise<ModeStatus> => {
    let next: Transport;
    try {
      next = transportFor(settings);
      p.error = undefined;
    } catch (err) {
      // Fail closed: the chosen mode is in force but refuses every connection, with the reason shown.
      p.error = err instanceof CoveError ? err : new CoveError('mode-failed', 'The privacy mode could not be set up.');
      next = new ClosedTransport(settings.mode, p.error.message);
    }
    const previousVpn = p.vpn;
    p.vpn = next instanceof VpnTransport ? next : undefined;
    p.settings = settings;
    ctx.emit({ type: 'mode', status: { ...modeStatus(), phase: 'switching', to: settings.mode } });
    await ctx.modes.switchTo(next);
    if (previousVpn !== undefined && previousVpn !== p.vpn) previousVpn.dispose();
    if (settings.mode !== 'tor' && p.tor !== undefined) await stopTor();
    if (p.error === undefined) ctx.store().settings.set('mode', settings);
    const status = modeStatus();
    ctx.emit({ type: 'mode', status });
    return status;
  };

  const leakPolicy = (): LeakPolicy => {
    const s = p.settings;
    if (s.mode === 'socks5') return { mode: 'socks5', proxy: { host: s.socks5.host, port: s.socks5.port } };
    if (s.mode === 'tor') {
      const ep = p.tor?.socksEndpoint();
      if (ep === undefined || 'down' in ep) throw new CoveError('leak-check-tor-down', 'Tor is not running yet: run the check once it is connected.');
      return { mode: 'tor', socks: ep };
    }
    if (s.mode === 'vpn') {
      const address = p.vpn?.check().state === 'open' ? listTunnelInterfaces().find((i) => i.name === s.vpn.interface)?.addresses[0]?.address : undefined;
      if (address === undefined) throw new CoveError('leak-check-vpn-down', 'The VPN interface has no address: nothing can leave now.');
      return { mode: 'vpn', tunnelAddress: address };
    }
    return { mode: 'direct' };
  };

  const handlers: PrivacyOps = {
    modeGet: () => Promise.resolve(modeStatus()),
    modeSet: (settings) => apply(settings),
    whoSeesWhat: () => Promise.resolve(WHO_SEES_WHAT),
    vpnInterfaces: () =>
      Promise.resolve(
        listTunnelInterfaces().map((i) => ({ name: i.name, up: i.up, addresses: i.addresses.map((a) => a.cidr ?? a.address), ...(i.up ? {} : { problem: 'The interface is down.' }) })),
      ),
    torStatus: () => Promise.resolve(torStatus()),
    torSetBridges: async ({ enabled, lines }) => {
      if (enabled) parseBridgeLines(lines.join('\n')); // a bad line is a BridgeLineError with its reason
      p.bridges = { enabled, lines };
      ctx.store().settings.set('bridges', p.bridges);
      if (p.tor !== undefined) {
        // New bridges take a new tor: connections wait (Tor mode refuses while tor is down), nothing goes direct.
        await stopTor();
        await apply(p.settings);
      }
      return torStatus();
    },
    torNewIdentity: async () => {
      if (p.tor === undefined) throw new CoveError('tor-not-running', 'New identity works in Tor mode only.');
      await p.tor.newIdentity(AbortSignal.timeout(15_000));
      return {};
    },
    leakCheck: async () => {
      const result = await runLeakCheck(leakPolicy());
      if (!result.supported) return { supported: false, ok: false, checked: 0, leaks: [], note: result.message };
      const leaks = result.sockets.filter((s) => !s.allowed).map((s) => `${s.protocol} socket to port ${String(s.remote.port)} (${s.reason})`);
      const dns = result.dnsLookupsSinceModeStart;
      return { supported: true, ok: result.ok, checked: result.sockets.length, leaks, ...(dns === null ? {} : { note: `${String(dns)} local name look-ups since the mode started.` }) };
    },
    connections: async (): Promise<Connections> => {
      const labels = new Map([...ctx.sessions.keys()].map((id) => [accountKeyOf(id), `Account ${String(id)}`]));
      const connections = ctx.registry.snapshot().map((c) => ({
        id: c.id,
        purpose: c.purpose,
        account: c.account === null ? null : (labels.get(c.account) ?? 'Account'),
        mode: c.mode,
        target: c.target,
        hops: [c.hop],
        openedAt: c.openedAt,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
      }));
      const circuits = p.tor?.state().kind === 'ready' ? await p.tor.circuits().catch(() => []) : [];
      return {
        connections,
        circuits: circuits.map((c) => ({ id: c.id, status: c.status, purpose: c.purpose, path: c.path.map((r) => ({ nickname: r.nickname ?? '', fingerprint: r.fingerprint })) })),
      };
    },
  };

  return {
    handlers,
    restore: async () => {
      const store = ctx.store();
      const bridges = store.settings.get('bridges');
      if (bridges !== null && typeof bridges === 'object' && 'enabled' in bridges && 'lines' in bridges && Array.isArray(bridges.lines)) {
        p.bridges = { enabled: bridges.enabled === true, lines: bridges.lines.filter((l): l is string => typeof l === 'string') };
      }
      const saved = ModeSettingsSchema.safeParse(store.settings.get('mode'));
      await apply(saved.success ? saved.data : { mode: 'direct' });
    },
    close: async () => {
      p.vpn?.dispose();
      await stopTor();
    },
  };
}
