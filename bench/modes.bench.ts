/**
 * Privacy modes, measured in one run against the rig:
 *  - connection set-up time (TCP to a server on 127.0.0.2, through each mode's first hop, until the socket is usable)
 *    for Direct, SOCKS5 (dante, username/password) and Tor (the private network's client, via its exit), medians of
 *    N interleaved rounds, each as a ratio to Direct;
 *  - reconnect time on a mode switch: an XMPP account (alice on a.test) is online, the ModeManager switches
 *    Direct → SOCKS5 → Direct … and the time from the switch to the account being online again through the new path
 *    is taken (median), with nothing lost (the account keeps its stream by XEP-0198 resumption or a new session).
 * VPN is not in these figures: a tunnel needs network namespaces (test/integration/vpn-killswitch.test.ts measures
 * its block/resume times).
 */
import { DirectTransport } from '../src/net/direct';
import { ModeManager } from '../src/net/modes';
import { ConnectionRegistry } from '../src/net/registry';
import { Socks5Transport } from '../src/net/socks5';
import { TorTransport } from '../src/net/tor';
import type { Transport } from '../src/net/transport';
import { reconnectPromptly } from '../src/xmpp/socket';
import { startEcho } from '../test/helpers/echo';
import { connectClient, registerAccount, stopClient } from '../test/helpers/xmpp';
import { startDante } from '../test/rig/dante';
import { startProsodyPair } from '../test/rig/prosody';
import { startTorNetwork } from '../test/rig/tor-network';
import { waitFor } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const ROUNDS = 30;
const SWITCHES = 10;

async function setupMs(t: Transport, host: string, port: number, isolationKey: string): Promise<number> {
  const t0 = performance.now();
  const s = await t.connect({ host, port }, { isolationKey, timeoutMs: 60_000 });
  const ms = performance.now() - t0;
  s.destroy();
  return ms;
}

const bench: Bench = {
  title: 'connection set-up per mode vs Direct; reconnect time on a mode switch',
  async run(signal) {
    const [pair, dante, net, echo] = await Promise.all([startProsodyPair({ name: 'bench-modes' }), startDante({ auth: true }), startTorNetwork({ signal }), startEcho('127.0.0.2')]);
    try {
      const modes: Record<'direct' | 'socks5' | 'tor', Transport> = {
        direct: new DirectTransport(),
        socks5: new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password }),
        tor: new TorTransport({ socksEndpoint: () => net.clientSocks }),
      };
      // Warm up each path once (tor builds its first circuit to the exit here).
      for (const t of Object.values(modes)) await setupMs(t, echo.host, echo.port, 'warm');
      const times: Record<string, number[]> = { direct: [], socks5: [], tor: [] };
      for (let i = 0; i < ROUNDS; i += 1) {
        signal.throwIfAborted();
        for (const [name, t] of Object.entries(modes)) times[name]?.push(await setupMs(t, echo.host, echo.port, 'bench'));
      }
      const direct = median(times.direct ?? []);
      const figures: Figure[] = Object.entries(times).map(([name, xs]) => ({
        name: `connection set-up, ${name} (median of ${String(ROUNDS)})`,
        value: median(xs),
        unit: 'ms',
        ...(name === 'direct' ? {} : { ratio: { value: median(xs) / direct, against: 'vs direct' } }),
      }));

      await registerAccount({ host: pair.a.host, port: pair.a.c2sPort, domain: 'a.test', ca: pair.caPem, username: 'alice', password: 'pw-alice' });
      const registry = new ConnectionRegistry();
      const manager = new ModeManager(registry, modes.direct);
      const alice = await connectClient({
        host: pair.a.host, port: pair.a.c2sPort, domain: 'a.test', ca: pair.caPem, username: 'alice', password: 'pw-alice', reconnect: true,
        createSocket: (t) => manager.connect(t, { isolationKey: 'alice', purpose: 'xmpp', timeoutMs: 30_000 }),
      });
      manager.events.on('state', (s) => {
        if (s.phase === 'switching') reconnectPromptly(alice);
      });
      const back: number[] = [];
      for (let i = 0; i < SWITCHES; i += 1) {
        const to = i % 2 === 0 ? 'socks5' : 'direct';
        const t0 = performance.now();
        await manager.switchTo(modes[to]);
        await waitFor('alice online again', () => (alice.status === 'online' && registry.snapshot().some((c) => c.mode === to) ? true : undefined), 30_000, 2);
        back.push(performance.now() - t0);
      }
      await stopClient(alice);
      registry.dispose();
      figures.push({ name: `reconnect after a mode switch, Direct ↔ SOCKS5 (median of ${String(SWITCHES)})`, value: median(back), unit: 'ms', ratio: { value: median(back) / 1000, against: 'of the 1 s goal' } });
      return figures;
    } finally {
      await Promise.all([pair.stop(), dante.close(false), net.stop(), echo.close()]);
    }
  },
};

export default bench;
