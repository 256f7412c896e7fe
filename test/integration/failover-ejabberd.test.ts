/**
 * Failover and load balance across the endpoints of one gateway, on a real two-node ejabberd cluster serving c.test
 * (node 1 on 127.0.0.4, node 2 on 127.0.0.5, see test/rig/ejabberd.ts), every connection through the core's
 * DirectTransport and the account's EndpointPool (src/xmpp/endpoints.ts):
 * - load balance: accounts whose two endpoints have the same priority land on both nodes (seeded random), and the
 *   server's own session list agrees with where each account says it is;
 * - failover: alice (endpoints [node 1, node 2]) sends a numbered stream to bob (on node 2) through the outbox; node 1
 *   is killed with SIGKILL mid-chat; alice is online again through node 2, and bob gets every message exactly once
 *   (repeats dropped by id) and in order. The times from the kill are printed, not asserted (bench/failover.bench.ts);
 * - a connection destroyed locally (as a mode switch does) is no endpoint failure;
 * - the killed node, started again, rejoins the cluster and serves logins.
 */
import type { Socket } from 'node:net';
import { xml, type Client, type Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DirectTransport } from '../../src/net/direct';
import type { ConnectOptions, Hop, Target, Transport } from '../../src/net/transport';
import { XmppAccount, type AccountState } from '../../src/xmpp/account';
import { EndpointPool, type GatewayEndpoint } from '../../src/xmpp/endpoints';
import { Deduplicator, MemoryOutboxStore, OutboxSender } from '../../src/xmpp/outbox';
import { reconnectPromptly } from '../../src/xmpp/socket';
import { connectClient, stopClient } from '../helpers/xmpp';
import { prng } from '../helpers/prng';
import { startEjabberdCluster, type EjabberdCluster, type EjabberdNode } from '../rig/ejabberd';
import { trackFailures } from '../rig/lifecycle';
import { waitFor } from '../rig/util';

const WAIT_MS = 15_000;
const COUNT = 150;
const KILL_AT = 50;
const LB_ACCOUNTS = 6;

/** DirectTransport that remembers where each connection went, per account key, and keeps the sockets. */
class RecordingTransport implements Transport {
  readonly mode = 'direct' as const;
  readonly opened: { key: string; host: string; socket: Socket }[] = [];
  private readonly inner = new DirectTransport();
  firstHop(target: Target): Hop {
    return this.inner.firstHop(target);
  }
  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    const socket = await this.inner.connect(target, options);
    this.opened.push({ key: options.isolationKey ?? '', host: target.host, socket });
    return socket;
  }
  last(key: string): { host: string; socket: Socket } | undefined {
    return this.opened.filter((o) => o.key === key).at(-1);
  }
}

const failures = trackFailures();
const transport = new RecordingTransport();
let cluster: EjabberdCluster | undefined;
const accounts: XmppAccount[] = [];
const clients: Client[] = [];

function rig(): EjabberdCluster {
  if (cluster === undefined) throw new Error('the ejabberd cluster did not start');
  return cluster;
}

const endpointOf = (n: EjabberdNode, priority?: number): GatewayEndpoint => ({ host: n.host, port: n.c2sPort, ...(priority === undefined ? {} : { priority }) });

function account(username: string, endpoints: readonly GatewayEndpoint[] | EndpointPool, backoff?: { minMs: number; maxMs: number }): XmppAccount {
  const [n1] = rig().nodes;
  const a = new XmppAccount({
    domain: rig().domain,
    server: { host: n1.host, port: n1.c2sPort },
    endpoints,
    transport,
    accountKey: `key-${username}`,
    ca: rig().caPem,
    timeoutMs: 10_000,
    username,
    password: `pw-${username}`,
    ...(backoff === undefined ? {} : { backoff }),
  });
  accounts.push(a);
  return a;
}

function endpointsOf(a: XmppAccount): EndpointPool {
  if (a.endpoints === undefined) throw new Error('the account has no endpoint pool');
  return a.endpoints;
}

/** Resolves with the time of the account's next 'online' state (a new session or a resumed one). */
function nextOnline(a: XmppAccount): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      a.off('state', onState);
      reject(new Error(`not online again within ${String(WAIT_MS)} ms`));
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

let pairOnline: { alice: XmppAccount; bob: Client } | undefined;

/** alice with endpoints [node 1, node 2] (so on node 1), and bob on node 2 with presence (to get bare-JID messages). */
async function aliceAndBob(): Promise<{ alice: XmppAccount; bob: Client }> {
  if (pairOnline !== undefined) return pairOnline;
  const [n1, n2] = rig().nodes;
  const bob = await connectClient({ host: n2.host, port: n2.c2sPort, domain: rig().domain, ca: rig().caPem, username: 'bob', password: 'pw-bob' });
  clients.push(bob);
  // A back-off far longer than any wait here: she is back in time only if the failover reconnects at once.
  const alice = account('alice', [endpointOf(n1), endpointOf(n2)], { minMs: 60_000, maxMs: 60_000 });
  await alice.start();
  pairOnline = { alice, bob };
  return pairOnline;
}

beforeAll(() =>
  failures.guard(async () => {
    cluster = await startEjabberdCluster({ name: 'failover' });
    const users = ['alice', 'bob', 'carol', ...Array.from({ length: LB_ACCOUNTS }, (_, i) => `lb${String(i)}`)];
    await Promise.all(users.map((u) => rig().register(u, `pw-${u}`)));
    console.log(`[failover] ejabberd cluster up in ${cluster.startedInMs.toFixed(0)} ms`);
  }),
);

afterAll(async () => {
  await Promise.all([...accounts.map((a) => a.stop()), ...clients.map((c) => stopClient(c))]);
  await cluster?.stop(failures.failed);
});

describe('endpoints of a clustered gateway (ejabberd, two nodes, one domain)', () => {
  it('spreads accounts over endpoints of equal priority (seeded random), as the server sees it', async () => {
    const [n1, n2] = rig().nodes;
    const random = prng(20_240_601);
    const lb = Array.from({ length: LB_ACCOUNTS }, (_, i) =>
      account(`lb${String(i)}`, new EndpointPool([endpointOf(n1, 0), endpointOf(n2, 0)], { random })),
    );
    await Promise.all(lb.map((a) => a.start()));
    const hostOf = new Map(lb.map((a) => [a.bareJid, a.endpoints?.current?.host]));
    const sessions = (await rig().sessions()).filter((s) => s.jid.startsWith('lb'));
    const perNode = new Map<string, number>();
    for (const s of sessions) perNode.set(s.node, (perNode.get(s.node) ?? 0) + 1);
    console.log(`[failover] load balance over ${String(LB_ACCOUNTS)} accounts: ${JSON.stringify(Object.fromEntries(perNode))}`);
    expect(sessions).toHaveLength(LB_ACCOUNTS);
    expect(perNode.get(n1.name)).toBeGreaterThanOrEqual(1);
    expect(perNode.get(n2.name)).toBeGreaterThanOrEqual(1);
    // Where each account says it connected is where the server has its session.
    for (const s of sessions) {
      const host = hostOf.get(s.jid.split('/')[0] ?? '');
      expect(s.node).toBe(host === n1.host ? n1.name : n2.name);
    }
    await Promise.all(lb.map((a) => a.stop()));
  });

  it('a connection destroyed locally (as a mode switch does) is not an endpoint failure', async () => {
    const { alice } = await aliceAndBob();
    const pool = endpointsOf(alice);
    const current = pool.current;
    const failed = vi.spyOn(pool, 'failed');
    try {
      const back = nextOnline(alice);
      reconnectPromptly(alice.client); // what a mode switch does before it closes the connections
      transport.last('key-alice')?.socket.destroy();
      await back;
      expect(failed).not.toHaveBeenCalled();
      expect(pool.current).toBe(current);
      expect(transport.last('key-alice')?.host).toBe(rig().nodes[0].host);
    } finally {
      failed.mockRestore();
    }
  });

  it('kill -9 of the node alice uses mid-chat: she is back through the other node, and bob gets every message once, in order', async () => {
    const [n1, n2] = rig().nodes;
    const { alice, bob } = await aliceAndBob();
    const pool = endpointsOf(alice);
    // The list order is the preference: alice is on node 1 (bob is on node 2, which stays up).
    expect(transport.last('key-alice')?.host).toBe(n1.host);
    expect(pool.current?.host).toBe(n1.host);
    await expect.poll(() => alice.client.streamManagement.enabled, { timeout: WAIT_MS }).toBe(true);
    const dedupe = new Deduplicator();
    const received: { id: string; at: number }[] = [];
    let repeats = 0;
    bob.on('stanza', (s: Element) => {
      if (!s.is('message') || s.getChildText('body') === null) return;
      if (dedupe.accept(s)) received.push({ id: s.attrs.id ?? '', at: performance.now() });
      else repeats += 1;
    });
    const states: AccountState[] = [];
    alice.on('state', (s) => states.push(s));

    const store = new MemoryOutboxStore();
    const outbox = new OutboxSender(alice.client, store);
    const ids = Array.from({ length: COUNT }, (_, i) => `fo-${String(i).padStart(3, '0')}`);
    let queued = 0;
    const sender = (async () => {
      for (const id of ids) {
        await outbox.send({ id, to: 'bob@c.test', payload: [xml('body', {}, id)] });
        queued += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await waitFor(`${String(KILL_AT)} messages queued`, () => (queued >= KILL_AT ? true : undefined), WAIT_MS, 5);
    const backOnline = nextOnline(alice);
    const tKill = performance.now();
    await n1.kill();
    const tOnline = await backOnline;
    await sender;
    await waitFor(`bob to have all ${String(COUNT)}`, () => (received.length >= COUNT ? true : undefined), WAIT_MS, 20);
    await waitFor('every message written', () => (store.pending().every((e) => e.state !== 'queued') ? true : undefined), WAIT_MS, 20);
    await outbox.settled();
    // Stream management asks for an ack once sending pauses (250 ms): then everything it tracks is acked.
    const smQueue = (): unknown => Reflect.get(alice.client.streamManagement, 'outbound_q');
    await waitFor('the acks', () => (Array.isArray(smQueue()) && (smQueue() as unknown[]).length === 0 ? true : undefined), WAIT_MS, 20);

    const firstAfter = received.find((r) => r.at > tKill);
    const before = received.filter((r) => r.at < tKill).length;
    // OutboxSender waits out the gap between 'online' and XEP-0198 <enable/>: every message written is acked.
    const unacked = store.pending().length;
    console.log(
      `[failover] kill -9 → alice online through the other node ${(tOnline - tKill).toFixed(0)} ms; → first message delivered ` +
        `${firstAfter === undefined ? '?' : (firstAfter.at - tKill).toFixed(0)} ms; ${String(before)} delivered before the kill, ` +
        `${String(repeats)} repeats dropped by id, ${String(unacked)} written but not acked; states ` +
        states.map((s) => (s.state === 'offline' || s.state === 'error' ? `${s.state}:${s.reason ?? ''}` : s.state)).join(' '),
    );
    expect(unacked).toBe(0);
    // Through the other node: her socket, the pool and the server's session list agree.
    expect(transport.last('key-alice')?.host).toBe(n2.host);
    const [e1, e2] = pool.endpoints;
    if (e1 === undefined || e2 === undefined) throw new Error('two endpoints');
    expect(pool.current).toBe(e2);
    expect(pool.health(e1).state).toBe('failed');
    expect(pool.health(e2).state).toBe('up');
    const sessions = await rig().sessions();
    expect(sessions.filter((s) => s.jid.startsWith('alice@')).map((s) => s.node)).toEqual([n2.name]);
    expect(states.some((s) => s.state === 'offline' && s.retrying)).toBe(true);
    // Every message exactly once (after dropping repeats by id), in the order sent.
    expect(received.map((r) => r.id)).toEqual(ids);
  });

  it('the killed node, started again, rejoins the cluster and serves logins', async () => {
    const [n1, n2] = rig().nodes;
    const t0 = performance.now();
    await n1.start();
    console.log(`[failover] node 1 restarted (c2s open) in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(await n2.ctl(['list_cluster'])).toContain(n1.name);
    const carol = account('carol', [endpointOf(n1)]);
    await carol.start();
    expect(transport.last('key-carol')?.host).toBe(n1.host);
    const sessions = await rig().sessions();
    expect(sessions.find((s) => s.jid.startsWith('carol@'))?.node).toBe(n1.name);
    await carol.stop();
  });
});
