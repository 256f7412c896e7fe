/**
 * Privacy-mode switches at run time, under traffic: alice (a.test) sends 100 messages to bob (b.test) through the
 * core's ModeManager while it switches Direct → SOCKS5 (dante) → Tor (the private network) → Direct. Every switch
 * closes every connection; both clients reconnect by themselves through the new path; the outbox resends what the
 * server had not acked. Bob gets each of the 100 exactly once (after dropping repeats by id), in order per id. The
 * connections of each phase go through that phase's hop only: dante's log and the registry show it.
 */
import type { Client, Element } from '@xmpp/client';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectTransport } from '../../src/net/direct';
import { ModeManager } from '../../src/net/modes';
import { ConnectionRegistry } from '../../src/net/registry';
import { Socks5Transport } from '../../src/net/socks5';
import { TorTransport } from '../../src/net/tor';
import type { Transport } from '../../src/net/transport';
import { Deduplicator, MemoryOutboxStore, OutboxSender } from '../../src/xmpp/outbox';
import { reconnectPromptly } from '../../src/xmpp/socket';
import { connectClient, registerAccount, stopClient } from '../helpers/xmpp';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { startTorNetwork, type TorNetwork } from '../rig/tor-network';
import { waitFor } from '../rig/util';

const COUNT = 100;
const failures = trackFailures();
let pair: ProsodyPair;
let dante: Dante;
let net: TorNetwork;
const clients: Client[] = [];

beforeAll(() =>
  failures.guard(async () => {
    [pair, dante, net] = await Promise.all([startProsodyPair({ name: 'mode-switch' }), startDante({ auth: true }), startTorNetwork()]);
    for (const [server, user] of [[pair.a, 'alice'], [pair.b, 'bob']] as const) {
      await registerAccount({ host: server.host, port: server.c2sPort, domain: server.domain, ca: pair.caPem, username: user, password: `pw-${user}` });
    }
  }),
);

afterAll(async () => {
  await Promise.all(clients.map((c) => stopClient(c)));
  await Promise.all([pair.stop(failures.failed), dante.close(failures.failed), net.stop(failures.failed)]);
});

describe('mode switch under traffic', () => {
  it('delivers 100 messages exactly once across Direct → SOCKS5 → Tor → Direct', async () => {
    const registry = new ConnectionRegistry({ updateIntervalMs: 200 });
    const modes = new ModeManager(registry, new DirectTransport());
    const transports: Record<'direct' | 'socks5' | 'tor', Transport> = {
      direct: new DirectTransport(),
      socks5: new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password }),
      // The exit reaches the rig's servers by address (no DNS on this network).
      tor: new TorTransport({ socksEndpoint: () => net.clientSocks }),
    };
    const hopsSeen = new Set<string>();
    registry.on('opened', (c) => hopsSeen.add(`${c.mode}:${c.hop.kind}`));

    const online = async (server: typeof pair.a, user: string): Promise<Client> => {
      const c = await connectClient({
        host: server.host, port: server.c2sPort, domain: server.domain, ca: pair.caPem, username: user, password: `pw-${user}`,
        reconnect: true, timeoutMs: 60_000,
        createSocket: (t) => modes.connect(t, { isolationKey: user, purpose: 'xmpp', timeoutMs: 60_000 }),
      });
      clients.push(c);
      return c;
    };
    const [alice, bob] = await Promise.all([online(pair.a, 'alice'), online(pair.b, 'bob')]);
    // A switch is on purpose and the new path is ready: reconnect at once, not after the back-off.
    modes.events.on('state', (st) => {
      if (st.phase === 'switching') for (const c of [alice, bob]) reconnectPromptly(c);
    });

    const dedupe = new Deduplicator();
    const received: string[] = [];
    let repeats = 0;
    bob.on('stanza', (s: Element) => {
      if (!s.is('message') || s.getChildText('body') === null) return;
      if (dedupe.accept(s)) received.push(s.getChildText('body') ?? '');
      else repeats += 1;
    });

    const store = new MemoryOutboxStore();
    const outbox = new OutboxSender(alice, store);
    const send = (i: number): Promise<void> => outbox.send({ id: `msg-${String(i)}`, to: 'bob@b.test', payload: [xml('body', {}, `m${String(i)}`)] });

    // Both accounts back online through `mode`: their XMPP connections in the registry are of that mode.
    const backIn = (mode: string): Promise<true> =>
      waitFor(`both accounts online via ${mode}`, () => {
        const live = registry.snapshot().filter((c) => c.purpose === 'xmpp' && c.mode === mode);
        const both = new Set(live.map((c) => c.account)).size === 2 && alice.status === 'online' && bob.status === 'online';
        return both ? true : undefined;
      }, 60_000, 10);

    const t0 = Date.now();
    let sent = 0;
    const sender = (async () => {
      for (let i = 0; i < COUNT; i += 1) {
        await send(i);
        sent = i + 1;
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    const switches: { to: string; closedMs: number; backMs: number }[] = [];
    for (const [at, mode] of [[25, 'socks5'], [50, 'tor'], [75, 'direct']] as const) {
      await waitFor(`message ${String(at)} to be queued`, () => (sent >= at ? true : undefined), 60_000, 5);
      const s0 = Date.now();
      await modes.switchTo(transports[mode]);
      const closedMs = Date.now() - s0;
      await backIn(mode);
      switches.push({ to: mode, closedMs, backMs: Date.now() - s0 });
    }
    await sender;
    await waitFor('bob to have all 100', () => (new Set(received).size >= COUNT ? true : undefined), 120_000, 100);
    await waitFor('the outbox to be empty', () => (store.pending().length === 0 ? true : undefined), 60_000, 100);

    console.log(`mode switch: ${String(COUNT)} messages in ${String(Date.now() - t0)} ms, switches ${JSON.stringify(switches)}, repeats dropped ${String(repeats)}`);
    expect(received).toHaveLength(COUNT);
    expect(new Set(received)).toEqual(new Set(Array.from({ length: COUNT }, (_, i) => `m${String(i)}`)));
    // Every connection of each mode went to that mode's own hop.
    expect(hopsSeen).toEqual(new Set(['direct:direct', 'socks5:proxy', 'tor:tor']));
    expect(dante.connections().filter((c) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(2);
    registry.dispose();
  });
});
