/**
 * The rig's second proof: accounts on a.test and b.test register and chat over federation with every client
 * connection going through the real dante SOCKS5 proxy (username/password), using the core's Socks5Transport. The
 * servers are asked for BY NAME: the proxy resolves `a.test`/`b.test` from its own hosts file, this process makes no
 * DNS look-up at all, and dante's log shows where it connected. With the proxy stopped, connecting fails with a
 * typed "proxy unreachable" error and nothing goes to the servers directly.
 */
import dns from 'node:dns';
import { connect } from 'node:net';
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ProxyAuthError, ProxyUnreachableError } from '../../src/net/errors';
import { Socks5Transport } from '../../src/net/socks5';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair, type ProsodyServer } from '../rig/prosody';
import { chatMessage, connectClient, registerAccount, stopClient, waitForMessage, XmppConnectError, type CreateSocket } from '../helpers/xmpp';

const WAIT_MS = 10_000;
const failures = trackFailures();
let pair: ProsodyPair;
let dante: Dante;
const clients: Client[] = [];
const lookups: MockInstance[] = [];

function viaProxy(transport: Socks5Transport, server: ProsodyServer): CreateSocket {
  // The target is the server's NAME and its port: the proxy resolves the name.
  return () => transport.connect({ host: server.domain, port: server.c2sPort }, { timeoutMs: WAIT_MS });
}

function account(server: ProsodyServer, username: string, createSocket: CreateSocket) {
  return { host: server.domain, port: server.c2sPort, domain: server.domain, ca: pair.caPem, username, password: `pw-${username}`, createSocket };
}

function dnsCalls(): number {
  return lookups.reduce((n, spy) => n + spy.mock.calls.length, 0);
}

beforeAll(async () => {
  [pair, dante] = await Promise.all([startProsodyPair({ name: 'socks5' }), startDante({ auth: true })]);
  // Every way Node can ask a resolver: counted from here on.
  for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveSrv', 'resolveAny'] as const) {
    lookups.push(vi.spyOn(dns, name));
    lookups.push(vi.spyOn(dns.promises, name));
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all(clients.map((c) => stopClient(c)));
  await Promise.all([pair.stop(failures.failed), dante.close(failures.failed)]);
});

describe('federation through the SOCKS5 proxy', () => {
  it('the DNS spy sees a look-up when one is made (control case)', async () => {
    const before = dnsCalls();
    await new Promise<void>((resolve) => {
      const s = connect({ host: 'localhost', port: 9 });
      s.on('error', () => {
        resolve();
      });
      s.on('connect', () => {
        s.destroy();
        resolve();
      });
    });
    expect(dnsCalls()).toBeGreaterThan(before);
  });

  it('carries registration, login and messages both ways, by name, with no local DNS', async () => {
    const transport = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
    const mark = dante.logMark();
    const before = dnsCalls();
    const alice = account(pair.a, 'alice', viaProxy(transport, pair.a));
    const bob = account(pair.b, 'bob', viaProxy(transport, pair.b));
    await Promise.all([registerAccount(alice), registerAccount(bob)]);
    const [ca, cb] = await Promise.all([connectClient(alice), connectClient(bob)]);
    clients.push(ca, cb);

    const toBob = waitForMessage(cb, (m) => m.getChildText('body') === 'hello over socks', WAIT_MS);
    await ca.send(chatMessage('bob@b.test', 'hello over socks'));
    expect((await toBob).attrs.from).toMatch(/^alice@a\.test\//);
    const toAlice = waitForMessage(ca, (m) => m.getChildText('body') === 'and back', WAIT_MS);
    await cb.send(chatMessage('alice@a.test', 'and back'));
    expect((await toAlice).attrs.from).toMatch(/^bob@b\.test\//);

    expect(dnsCalls() - before).toBe(0);
    expect(dante.dnsQueries()).toBe(0);
    const seen = dante.connections(mark).filter((c) => c.verdict === 'pass');
    // Two registrations and two logins: each asked the proxy for the server by name, and the proxy resolved it.
    expect(seen.filter((c) => c.destinationHost === 'a.test' && c.destinationPort === pair.a.c2sPort)).toHaveLength(2);
    expect(seen.filter((c) => c.destinationHost === 'b.test' && c.destinationPort === pair.b.c2sPort)).toHaveLength(2);
    for (const c of seen) {
      expect(c.addressType).toBe('domain');
      expect(c.resolvedAddress).toBe(c.destinationHost === 'a.test' ? '127.0.0.2' : '127.0.0.3');
    }
  });

  it('works with a proxy that asks for no authentication too', async () => {
    const open = await startDante({ auth: false });
    try {
      const transport = new Socks5Transport({ host: open.host, port: open.port });
      const mark = open.logMark();
      const client = await connectClient(account(pair.b, 'bob', viaProxy(transport, pair.b)));
      clients.push(client);
      expect(open.connections(mark).filter((c) => c.verdict === 'pass').map((c) => c.destinationHost)).toEqual(['b.test']);
    } finally {
      await open.close(failures.failed);
    }
  });

  it('refuses a wrong password with a typed error and connects nowhere', async () => {
    const transport = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: 'wrong' });
    const mark = dante.logMark();
    await expect(transport.connect({ host: 'a.test', port: pair.a.c2sPort }, { timeoutMs: WAIT_MS })).rejects.toBeInstanceOf(ProxyAuthError);
    expect(dante.connections(mark)).toEqual([]);
  });

  it('fails closed when the proxy is stopped: a clear error, no direct connection', async () => {
    const transport = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
    await dante.stop();
    try {
      await expect(transport.connect({ host: 'a.test', port: pair.a.c2sPort }, { timeoutMs: WAIT_MS })).rejects.toBeInstanceOf(ProxyUnreachableError);
      const err = await connectClient(account(pair.a, 'alice', viaProxy(transport, pair.a))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(XmppConnectError);
      expect(String((err as XmppConnectError).cause)).toMatch(/cannot be reached/);
    } finally {
      await dante.start();
    }
    // Back: the same transport works again once the proxy is.
    const again = await connectClient(account(pair.a, 'alice', viaProxy(transport, pair.a)));
    clients.push(again);
  });
});
