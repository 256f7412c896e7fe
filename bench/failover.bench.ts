/**
 * Failover time across the endpoints of one gateway, on the rig's two-node ejabberd cluster (c.test on 127.0.0.4 and
 * 127.0.0.5). Each round: alice (XmppAccount, endpoints [node 1, node 2], the app's default back-off) streams a
 * message every 20 ms to bob (on node 2) through the outbox; node 1 is killed with SIGKILL; measured from the kill:
 * alice online again through node 2, and the first new message bob gets. Node 1 is then started again (it rejoins
 * the cluster) for the next round. Medians over the rounds.
 * Baseline, same rounds and same account: the connection dropped locally (as a mode switch does, reconnect at once)
 * with the node alive → online again on the same node: what any reconnect costs (TCP, TLS, SCRAM, XEP-0198).
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml, type Client, type Element } from '@xmpp/client';
import { DirectTransport } from '../src/net/direct';
import type { ConnectOptions, Hop, Target, Transport } from '../src/net/transport';
import { XmppAccount, type AccountState } from '../src/xmpp/account';
import { Deduplicator, MemoryOutboxStore, OutboxSender } from '../src/xmpp/outbox';
import { reconnectPromptly } from '../src/xmpp/socket';
import { connectClient, stopClient } from '../test/helpers/xmpp';
import { startEjabberdCluster, type EjabberdCluster } from '../test/rig/ejabberd';
import { RigError, waitFor } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const ROUNDS = 5;
const WAIT_MS = 15_000;
const BEFORE_KILL = 10;
const AFTER_KILL = 20;

class SocketKeepingTransport implements Transport {
  readonly mode = 'direct' as const;
  last: Socket | undefined;
  private readonly inner = new DirectTransport();
  firstHop(target: Target): Hop {
    return this.inner.firstHop(target);
  }
  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    this.last = await this.inner.connect(target, options);
    return this.last;
  }
}

function nextOnline(a: XmppAccount): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      a.off('state', onState);
      reject(new RigError(`alice not online again within ${String(WAIT_MS)} ms`));
    }, WAIT_MS);
    const onState = (s: AccountState): void => {
      if (s.state !== 'online') return;
      clearTimeout(timer);
      a.off('state', onState);
      resolve(performance.now());
    };
    a.on('state', onState);
  });
}

interface Round {
  online: number;
  firstMessage: number;
  reconnect: number;
  restart: number;
}

async function round(cluster: EjabberdCluster, received: Map<string, number>, r: number): Promise<Round> {
  const [n1, n2] = cluster.nodes;
  const transport = new SocketKeepingTransport();
  const alice = new XmppAccount({
    domain: cluster.domain,
    server: { host: n1.host, port: n1.c2sPort },
    endpoints: [
      { host: n1.host, port: n1.c2sPort },
      { host: n2.host, port: n2.c2sPort },
    ],
    transport,
    accountKey: 'bench-alice',
    ca: cluster.caPem,
    timeoutMs: 10_000,
    username: 'alice',
    password: 'pw-alice',
  });
  try {
    await alice.start();
    if (alice.endpoints?.current?.host !== n1.host) throw new RigError('alice did not start on node 1');
    await waitFor('stream management', () => (alice.client.streamManagement.enabled ? true : undefined), WAIT_MS, 10);

    // Baseline: a local drop, reconnect at once, same node.
    const back = nextOnline(alice);
    const t0 = performance.now();
    reconnectPromptly(alice.client);
    transport.last?.destroy();
    const reconnect = (await back) - t0;
    await waitFor('stream management', () => (alice.client.streamManagement.enabled ? true : undefined), WAIT_MS, 10);

    const outbox = new OutboxSender(alice.client, new MemoryOutboxStore());
    const ids = Array.from({ length: BEFORE_KILL + AFTER_KILL }, (_, i) => `r${String(r)}-${String(i)}`);
    let queued = 0;
    const sender = (async () => {
      for (const id of ids) {
        await outbox.send({ id, to: 'bob@c.test', payload: [xml('body', {}, id)] });
        queued += 1;
        await sleep(20);
      }
    })();
    await waitFor('messages before the kill', () => (queued >= BEFORE_KILL ? true : undefined), WAIT_MS, 2);
    const online = nextOnline(alice);
    const tKill = performance.now();
    await n1.kill();
    const tOnline = await online;
    await sender;
    await waitFor('bob to get every message', () => (ids.every((id) => received.has(id)) ? true : undefined), WAIT_MS, 10);
    const firstAfter = Math.min(...ids.map((id) => received.get(id) ?? Infinity).filter((t) => t > tKill));
    if (alice.endpoints.current.host !== n2.host) throw new RigError('alice is not on node 2 after the kill');

    await alice.stop();
    const tRestart = performance.now();
    await n1.start();
    return { online: tOnline - tKill, firstMessage: firstAfter - tKill, reconnect, restart: performance.now() - tRestart };
  } finally {
    await alice.stop();
  }
}

const bench: Bench = {
  title: 'failover across the endpoints of one gateway: kill -9 of an ejabberd cluster node mid-chat',
  run: async (signal) => {
    let cluster: EjabberdCluster | undefined;
    let bob: Client | undefined;
    let failed = true;
    try {
      cluster = await startEjabberdCluster({ name: 'bench-failover' });
      const c = cluster;
      await Promise.all(['alice', 'bob'].map((u) => c.register(u, `pw-${u}`)));
      const [, n2] = cluster.nodes;
      bob = await connectClient({ host: n2.host, port: n2.c2sPort, domain: cluster.domain, ca: cluster.caPem, username: 'bob', password: 'pw-bob' });
      const received = new Map<string, number>();
      const dedupe = new Deduplicator();
      bob.on('stanza', (s: Element) => {
        if (s.is('message') && s.attrs.id !== undefined && dedupe.accept(s)) received.set(s.attrs.id, performance.now());
      });
      const rounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r += 1) {
        signal.throwIfAborted();
        rounds.push(await round(cluster, received, r));
      }
      failed = false;
      const m = (k: keyof Round): number => median(rounds.map((x) => x[k]));
      const n = `median of ${String(ROUNDS)}`;
      const ms = (value: number): number => Math.round(value);
      const figures: Figure[] = [
        {
          name: `failover: kill -9 of the node in use → online through the other node (${n})`,
          value: ms(m('online')),
          unit: 'ms',
          ratio: { value: m('online') / m('reconnect'), against: 'vs a local drop → online again on the same node' },
        },
        { name: `failover: kill -9 → first new message delivered to the contact (${n})`, value: ms(m('firstMessage')), unit: 'ms' },
        { name: `failover: slowest kill -9 → online of ${String(ROUNDS)}`, value: ms(Math.max(...rounds.map((x) => x.online))), unit: 'ms' },
        { name: `baseline: local drop (reconnect at once) → online again on the same node (${n})`, value: ms(m('reconnect')), unit: 'ms' },
        { name: `ejabberd cluster start: CA, 2 nodes, join`, value: ms(cluster.startedInMs), unit: 'ms' },
        { name: `ejabberd killed node started again → c2s open (${n})`, value: ms(m('restart')), unit: 'ms' },
      ];
      return figures;
    } finally {
      if (bob !== undefined) await stopClient(bob);
      await cluster?.stop(failed);
    }
  },
};
export default bench;
