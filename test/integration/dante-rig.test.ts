// The dante rig is a real SOCKS5 proxy: the `socks` client reaches a loopback echo server through it by NAME (the
// proxy resolves a.test from its private hosts file), wrong passwords are refused before anything is connected, a
// stopped proxy refuses connections, the no-auth variant works, and stop() leaves no dante process behind.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { SocksClient } from 'socks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTrip, startEcho, type EchoServer } from '../helpers/echo';
import { waitFor } from '../rig/util';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';

const NET_TIMEOUT_MS = 5000;
const state = trackFailures();

async function viaSocks(proxy: Dante, host: string, port: number, creds?: { userId: string; password: string }): Promise<Socket> {
  const { socket } = await SocksClient.createConnection({
    proxy: { host: proxy.host, port: proxy.port, type: 5, ...creds },
    command: 'connect',
    destination: { host, port },
    timeout: NET_TIMEOUT_MS,
  });
  return socket;
}

const credsOf = (d: Dante) => ({ userId: d.username, password: d.password });
const pgrepDanted = (): number[] => {
  try {
    return execFileSync('pgrep', ['-x', 'danted'], { timeout: 5000 }).toString().trim().split('\n').map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

let echoServer: EchoServer;
let dante: Dante;

beforeAll(async () => {
  echoServer = await startEcho('127.0.0.2');
  dante = await startDante();
  console.log(`[dante-rig] danted (auth) up in ${dante.startedInMs} ms on ${dante.host}:${dante.port}`);
});

afterAll(async () => {
  await dante.close(state.failed);
  await echoServer.close();
});

describe('dante rig with username/password', () => {
  it('connects by name: the proxy resolves a.test from its own hosts file, data echoes, the log names it', async () => {
    const mark = dante.logMark();
    const before = echoServer.peers.length;
    const sock = await viaSocks(dante, 'a.test', echoServer.port, credsOf(dante));
    try {
      expect(await roundTrip(sock, 'hello through dante')).toBe('hello through dante');
    } finally {
      sock.destroy();
    }
    // The echo server saw dante (bound to 127.0.0.1), not the client.
    expect(echoServer.peers.slice(before)).toEqual(['127.0.0.1']);
    const conns = dante.connections(mark);
    expect(conns).toHaveLength(1);
    expect(conns[0]).toMatchObject({
      user: dante.username,
      destinationHost: 'a.test',
      destinationPort: echoServer.port,
      addressType: 'domain',
      resolvedAddress: '127.0.0.2',
      verdict: 'pass',
      connected: true,
    });
    expect(conns[0]?.client).toMatch(/^127\.0\.0\.1:\d+$/);
    // Nothing changed on the machine: the test user and the test names exist only inside dante's mount namespace.
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain(`${dante.username}:`);
    expect(readFileSync('/etc/shadow', 'utf8')).not.toContain(`${dante.username}:`);
    expect(readFileSync('/etc/hosts', 'utf8')).not.toMatch(/\ba\.test\b/);
  });

  it('never asks a DNS server: an unknown name fails inside the proxy, and the DNS trap (which works) stays silent', async () => {
    const mark = dante.logMark();
    await expect(viaSocks(dante, 'nowhere.test', echoServer.port, credsOf(dante))).rejects.toThrow(/HostUnreachable/);
    expect(dante.dnsQueries()).toBe(0);
    const conns = await waitForLogged(dante, mark, 1);
    expect(conns[0]).toMatchObject({ destinationHost: 'nowhere.test', addressType: 'domain', verdict: 'block', connected: false });
    expect(conns[0]?.reason).toMatch(/could not resolve hostname "nowhere\.test"/);

    // Control: the trap does count queries. The same namespace resolv.conf with `hosts: files dns` makes glibc ask it.
    const nss = join(dante.runDir, 'nsswitch-with-dns.conf');
    writeFileSync(nss, 'hosts: files dns\n');
    const resolv = join(dante.runDir, 'etc', 'resolv.conf');
    const script = `mount --bind '${resolv}' /etc/resolv.conf && mount --bind '${nss}' /etc/nsswitch.conf && exec getent hosts nowhere.test`;
    // getent gets no answer; what matters is the query it sent (unshare and sh exec into it, so kill() reaches it).
    const getent = execFile('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { timeout: 10_000 }, () => undefined);
    try {
      expect(await waitForItems(() => (dante.dnsQueries() > 0 ? [true] : []), 1)).toEqual([true]);
    } finally {
      getent.kill('SIGKILL');
    }
  });

  it('blocks destinations outside loopback before connecting, and logs the block', async () => {
    const mark = dante.logMark();
    // 192.0.2.1 is TEST-NET-1; the rule blocks it before any packet could leave.
    await expect(viaSocks(dante, '192.0.2.1', 443, credsOf(dante))).rejects.toThrow(/NotAllowed/);
    const conns = await waitForLogged(dante, mark, 1);
    expect(conns[0]).toMatchObject({ destinationHost: '192.0.2.1', destinationPort: 443, addressType: 'ipv4', verdict: 'block', connected: false });
  });

  it('refuses a wrong password with a clear error, and connects nothing', async () => {
    const mark = dante.logMark();
    const before = echoServer.peers.length;
    await expect(viaSocks(dante, 'a.test', echoServer.port, { userId: dante.username, password: 'not-the-password' })).rejects.toThrow(
      /Socks5 Authentication failed/,
    );
    const failures = await waitForItems(() => dante.authFailures(mark), 1);
    expect(failures[0]).toMatchObject({ user: dante.username });
    expect(failures[0]?.reason).toMatch(/password authentication failed/);
    expect(dante.connections(mark)).toEqual([]);
    expect(echoServer.peers.length).toBe(before);
  });

  it('refuses connections while stopped (ECONNREFUSED, nothing reaches the echo server), and works again after start()', async () => {
    const port = dante.port;
    await dante.stop();
    expect(dante.running).toBe(false);
    const before = echoServer.peers.length;
    const err = await viaSocks(dante, 'a.test', echoServer.port, credsOf(dante)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(echoServer.peers.length).toBe(before);

    await dante.start();
    console.log(`[dante-rig] danted restarted in ${dante.startedInMs} ms`);
    expect(dante.port).toBe(port);
    const sock = await viaSocks(dante, 'a.test', echoServer.port, credsOf(dante));
    try {
      expect(await roundTrip(sock, 'again')).toBe('again');
    } finally {
      sock.destroy();
    }
  });

  it('stop() leaves no dante process, even when the mother was killed with SIGKILL first', async () => {
    for (const kill of [false, true]) {
      if (!dante.running) await dante.start();
      const mother = dante.pid;
      expect(mother).toBeDefined();
      // The mother forks children (negotiate, request, io, monitor; more while it runs): all of them are counted.
      // Under load the children may take a moment to appear: wait for them (pgrep exits 1 while there are none).
      const children = await waitFor('dante to fork its children', () => {
        try {
          const out = execFileSync('pgrep', ['-P', String(mother)], { timeout: 5000 }).toString().trim();
          return out === '' ? undefined : out.split('\n').map(Number);
        } catch {
          return undefined;
        }
      }, 10_000, 50);
      expect(children.length).toBeGreaterThan(0);
      const pids = dante.pids();
      expect(pids).toEqual(expect.arrayContaining([mother, ...children]));
      if (kill && mother !== undefined) process.kill(mother, 'SIGKILL');
      const t0 = performance.now();
      await dante.stop();
      console.log(`[dante-rig] stop() ${kill ? 'after SIGKILL of the mother ' : ''}took ${Math.round(performance.now() - t0)} ms`);
      expect(pgrepDanted().filter((p) => pids.includes(p))).toEqual([]);
      expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    }
  });
});

describe('dante rig without authentication', () => {
  it('connects by name with no credentials and logs the destination', async () => {
    const open = await startDante({ auth: false });
    let failed = true;
    try {
      console.log(`[dante-rig] danted (no auth) up in ${open.startedInMs} ms`);
      const sock = await viaSocks(open, 'a.test', echoServer.port);
      try {
        expect(await roundTrip(sock, 'no auth')).toBe('no auth');
      } finally {
        sock.destroy();
      }
      const conns = open.connections();
      expect(conns).toHaveLength(1);
      expect(conns[0]).toMatchObject({ destinationHost: 'a.test', resolvedAddress: '127.0.0.2', verdict: 'pass', connected: true });
      expect(conns[0]?.user).toBeUndefined();
      failed = false;
    } finally {
      const pids = open.pids();
      await open.close(failed);
      expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    }
  });
});

/** dante's processes write the log; give the line a moment to land. */
/** What `read` returns once it has `n` items, or what it has at the deadline (the test then asserts on it). */
async function waitForItems<T>(read: () => T[], n: number): Promise<T[]> {
  const deadline = Date.now() + NET_TIMEOUT_MS;
  for (;;) {
    const got = read();
    if (got.length >= n || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const waitForLogged = (d: Dante, mark: number, n: number) => waitForItems(() => d.connections(mark), n);
