// The private Tor network of the rig is real: its client bootstraps to 100 %, a TCP echo server on 127.0.0.2 is
// reached through the client's SocksPort on a circuit that ends at the rig's exit, an onion service in front of
// another echo server is reached at its .onion address, a second independent client joins with
// `clientTorrcLines()`, and stop() leaves no tor process of the rig behind. Timings go to
// test-results/tor-network-timings.json.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackFailures } from '../rig/lifecycle';
import { TorControlMini } from '../rig/tor-control-mini';
import { roundTrip, startEcho, type EchoServer } from '../helpers/echo';
import { clientTorrcLines, socksConnect, startTorNetwork, type TorNetwork } from '../rig/tor-network';

const NET_TIMEOUT_MS = 30_000;
const state = trackFailures();
const timings: Record<string, number> = {};


/** Pids of live processes whose command line mentions `needle` (the run dir: every torrc of the rig is in it). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(join('/proc', name, 'cmdline'), 'utf8').includes(needle)) found.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let net: TorNetwork | undefined;
let echo2Server: EchoServer | undefined;
let echo3Server: EchoServer | undefined;

beforeAll(async () => {
  echo2Server = await startEcho('127.0.0.2');
  echo3Server = await startEcho('127.0.0.3');
  net = await startTorNetwork();
  Object.assign(timings, net.timings);
  console.log(`[tor-network] ${JSON.stringify(net.timings)}`);
});

afterAll(async () => {
  await net?.stop(state.failed);
  await echo2Server?.close();
  await echo3Server?.close();
  mkdirSync('test-results', { recursive: true });
  writeFileSync(join('test-results', 'tor-network-timings.json'), `${JSON.stringify({ at: new Date().toISOString(), ...timings }, null, 2)}\n`);
  console.log(`[tor-network] timings ${JSON.stringify(timings)}`);
});

function network(): TorNetwork {
  if (net === undefined) throw new Error('the network did not start');
  return net;
}

function echoServer(which: EchoServer | undefined): EchoServer {
  if (which === undefined) throw new Error('the echo server did not start');
  return which;
}

describe('private Tor network on 127.0.0.1', () => {
  it('bootstraps the client to 100 %', async () => {
    const n = network();
    const ctl = await TorControlMini.open(n.clientControl.host, n.clientControl.port, n.clientControl.cookieFile);
    try {
      const phase = await ctl.bootstrapProgress();
      expect(phase.progress).toBe(100);
      expect(phase.tag).toBe('done');
    } finally {
      ctl.close();
    }
    expect(n.dirAuthorityLines).toHaveLength(3);
    for (const line of n.dirAuthorityLines) {
      expect(line).toMatch(/^DirAuthority auth\d orport=\d+ no-v2 v3ident=[0-9A-F]{40} 127\.0\.0\.1:\d+ [0-9A-F]{40}$/);
    }
    expect(n.bootstrapMs).toBeGreaterThan(0);
  });

  it('reaches an echo server on 127.0.0.2 through the SocksPort, on a circuit that ends at the exit', async () => {
    const n = network();
    const echo2 = echoServer(echo2Server);
    const before = echo2.accepted;
    const t0 = Date.now();
    const sock = await socksConnect(n.clientSocks, echo2, NET_TIMEOUT_MS);
    const ctl = await TorControlMini.open(n.clientControl.host, n.clientControl.port, n.clientControl.cookieFile);
    try {
      expect(await roundTrip(sock, 'hello through the exit')).toBe('hello through the exit');
      timings.exitStreamMs = Date.now() - t0;
      // The client's stream to 127.0.0.2 rides a circuit whose last hop is the rig's exit relay.
      const streams = (await ctl.getInfo('stream-status')).split('\n');
      const stream = streams.find((s) => s.includes(` 127.0.0.2:${echo2.port}`));
      expect(stream).toMatch(/^\d+ SUCCEEDED \d+ /);
      const circId = stream?.split(' ')[2] ?? '';
      const circuit = (await ctl.getInfo('circuit-status')).split('\n').find((c) => c.startsWith(`${circId} BUILT `));
      expect(circuit?.split(' ')[2]).toMatch(/~exit$/);
    } finally {
      sock.destroy();
      ctl.close();
    }
    expect(echo2.accepted).toBe(before + 1);
  });

  it('never exits beyond loopback: a stream to TEST-NET-1 is refused, and the exit policy says so', async () => {
    const n = network();
    // 192.0.2.1 (TEST-NET-1) is not routed anywhere; tor must refuse it before any circuit could carry it.
    await expect(socksConnect(n.clientSocks, { host: '192.0.2.1', port: 443 }, NET_TIMEOUT_MS)).rejects.toThrow(/rejected/i);
    const ctl = await TorControlMini.open(n.clientControl.host, n.clientControl.port, n.clientControl.cookieFile);
    try {
      const fpr = readFileSync(join(n.runDir, 'exit', 'fingerprint'), 'utf8').trim().split(' ')[1] ?? '';
      const policy = (await ctl.getInfo(`desc/id/${fpr}`)).split('\n').filter((l) => /^(accept|reject) /.test(l));
      expect(policy.at(-1)).toBe('accept *:*');
      expect(policy).toContain('reject 0.0.0.0/2:*');
      expect(policy).toContain('reject 128.0.0.0/1:*');
      expect(policy).toContain('reject 126.0.0.0/8:*');
    } finally {
      ctl.close();
    }
  });

  it('reaches an onion service in front of an echo server at its .onion address', async () => {
    const n = network();
    const echo3 = echoServer(echo3Server);
    const t0 = Date.now();
    const { onion, port } = await n.addOnion(echo3);
    timings.addOnionMs = Date.now() - t0;
    expect(onion).toMatch(/^[a-z2-7]{56}\.onion$/);
    timings.onionReachableMs = await n.waitForOnion(onion, port, 120_000);
    timings.onionReachableSinceStartMs = Date.now() - n.startedAt;
    const sock = await socksConnect(n.clientSocks, { host: onion, port }, NET_TIMEOUT_MS);
    try {
      expect(await roundTrip(sock, 'hello through the onion')).toBe('hello through the onion');
    } finally {
      sock.destroy();
    }
    expect(echo3.accepted).toBeGreaterThanOrEqual(2); // waitForOnion's probe and this one
  });

  it('runs a second, independent client from clientTorrcLines() that bootstraps and carries streams', async () => {
    const n = network();
    const lines = clientTorrcLines(n);
    expect(lines).toEqual(expect.arrayContaining(['TestingTorNetwork 1', 'UseMicrodescriptors 0', ...n.dirAuthorityLines]));
    const second = await n.startClient({ name: 'client2' });
    timings.secondClientBootstrapMs = await second.waitBootstrapped(60_000);
    expect(readFileSync(second.torrcFile, 'utf8')).toContain(lines.join('\n'));
    const sock = await socksConnect(second.socks, echoServer(echo2Server), NET_TIMEOUT_MS);
    try {
      expect(await roundTrip(sock, 'second client')).toBe('second client');
    } finally {
      sock.destroy();
    }
  });

  it('stop() ends every tor process of the rig, quickly', async () => {
    const n = network();
    const pids = n.pids();
    expect(pids.length).toBeGreaterThanOrEqual(7); // 3 authorities, middle, exit, onion host, client (+ client2)
    expect(pids.every(isAlive)).toBe(true);
    const t0 = Date.now();
    await n.stop();
    timings.stopMs = Date.now() - t0;
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(n.runDir)).toEqual([]);
  });
});
