/**
 * The rig's third proof: accounts on a.test and b.test register and chat over federation through the private Tor
 * network, with the core's TorTransport over a client tor of the rig: alice reaches a.test at its .onion address (an
 * onion service in front of a.test's client port), bob reaches b.test through the network's exit. Stopping a.test
 * makes the onion unreachable with a typed error; stopping the tor makes every connection fail with "unreachable",
 * and nothing goes to the servers directly.
 */
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyRefusedError, ProxyUnreachableError } from '../../src/net/errors';
import { TorTransport } from '../../src/net/tor';
import { chatMessage, connectClient, registerAccount, stopClient, waitForMessage, type CreateSocket } from '../helpers/xmpp';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { startTorNetwork, type ClientTor, type TorNetwork } from '../rig/tor-network';

const WAIT_MS = 60_000;
const failures = trackFailures();
let net: TorNetwork;
let pair: ProsodyPair;
let tor: ClientTor;
let transport: TorTransport;
let onion: { onion: string; port: number };
const clients: Client[] = [];

beforeAll(() =>
  failures.guard(async () => {
    [net, pair] = await Promise.all([startTorNetwork(), startProsodyPair({ name: 'tor-federation' })]);
    // A client tor of our own on the network, so the test may stop it without breaking the network.
    tor = await net.startClient({ name: 'fedclient' });
    await tor.waitBootstrapped(WAIT_MS);
    transport = new TorTransport({ socksEndpoint: () => tor.socks });
    onion = await net.addOnion({ host: pair.a.host, port: pair.a.c2sPort });
    await net.waitForOnion(onion.onion, onion.port, 90_000);
  }),
);

afterAll(async () => {
  await Promise.all(clients.map((c) => stopClient(c)));
  await Promise.all([net.stop(failures.failed), pair.stop(failures.failed)]);
});

const toAliceOnion: CreateSocket = () => transport.connect({ host: onion.onion, port: onion.port }, { isolationKey: 'alice', timeoutMs: WAIT_MS });
// The exit cannot resolve names on this network (no DNS anywhere): b.test by its address, through the exit.
const toBobViaExit: CreateSocket = () => transport.connect({ host: pair.b.host, port: pair.b.c2sPort }, { isolationKey: 'bob', timeoutMs: WAIT_MS });

function account(domain: 'a.test' | 'b.test', username: string, createSocket: CreateSocket) {
  const server = domain === 'a.test' ? pair.a : pair.b;
  return { host: server.host, port: server.c2sPort, domain, ca: pair.caPem, username, password: `pw-${username}`, createSocket, timeoutMs: WAIT_MS };
}

describe('federation through the private Tor network', () => {
  it("registers and chats both ways, alice over a.test's .onion, bob through the exit", async () => {
    const alice = account('a.test', 'alice', toAliceOnion);
    const bob = account('b.test', 'bob', toBobViaExit);
    await Promise.all([registerAccount(alice), registerAccount(bob)]);
    const t0 = Date.now();
    const [ca, cb] = await Promise.all([connectClient(alice), connectClient(bob)]);
    clients.push(ca, cb);
    const online = Date.now() - t0;

    const toBob = waitForMessage(cb, (m) => m.getChildText('body') === 'hello over tor', WAIT_MS);
    const sent = Date.now();
    await ca.send(chatMessage('bob@b.test', 'hello over tor'));
    expect((await toBob).attrs.from).toMatch(/^alice@a\.test\//);
    const oneWay = Date.now() - sent;
    const toAlice = waitForMessage(ca, (m) => m.getChildText('body') === 'and back over tor', WAIT_MS);
    await cb.send(chatMessage('alice@a.test', 'and back over tor'));
    expect((await toAlice).attrs.from).toMatch(/^bob@b\.test\//);
    console.log(`over tor: both clients online in ${String(online)} ms; alice → bob delivered in ${String(oneWay)} ms`);
  });

  it('with a.test stopped, its onion refuses with a typed error', async () => {
    await pair.a.stop();
    try {
      const err = await transport.connect({ host: onion.onion, port: onion.port }, { isolationKey: 'alice', timeoutMs: WAIT_MS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProxyRefusedError);
    } finally {
      await pair.a.start();
    }
  });

  it('with the tor stopped, every connection fails as unreachable and none is made another way', async () => {
    await tor.stop();
    await expect(toAliceOnion({ host: onion.onion, port: onion.port })).rejects.toBeInstanceOf(ProxyUnreachableError);
    await expect(toBobViaExit({ host: pair.b.host, port: pair.b.c2sPort })).rejects.toBeInstanceOf(ProxyUnreachableError);
  });
});
