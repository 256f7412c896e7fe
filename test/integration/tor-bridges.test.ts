/**
 * The tor Cove owns behind an upstream proxy and behind an obfs4 bridge, and Connection Assist, on the rig's private
 * Tor network (everything on 127.0.0.1):
 *  - through a real dante SOCKS5 proxy with a username and password: tor bootstraps, dante's log shows tor's
 *    connections to the relays' ORPorts, tor holds no direct connection to any relay, and a stream leaves the exit;
 *  - stalls, each ending in the bootstrap timeout with no tor left and one typed Connection Assist: a wrong proxy
 *    password and a proxy that is not running ("check-proxy"), a network that cannot be reached ("use-bridges"), a
 *    bridge that does not answer ("try-other-bridges");
 *  - an obfs4 bridge the authorities never heard of (test/rig/tor-bridge.ts; obfs4proxy on both sides): tor
 *    bootstraps through it only, every circuit starts there, and a stream reaches an echo server on 127.0.0.1 (through
 *    an onion service: see the test for why not through the exit);
 *  - a malformed bridge line, and an obfs4 bridge with no obfs4 plugin: clear typed errors before any tor starts.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorTransport } from '../../src/net/tor';
import { findTorBinaries } from '../../src/tor/binary';
import { BridgeLineError, parseBridgeLine, parseBridgeLines } from '../../src/tor/bridges';
import { OwnedTor, type OwnedTorOptions } from '../../src/tor/owned-tor';
import type { BootstrapProgress, ConnectionAssist } from '../../src/tor/provider';
import { buildTorrc, TorConfigError, torrcPaths } from '../../src/tor/torrc';
import { roundTrip, startEcho, type EchoServer } from '../helpers/echo';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { startObfs4Bridge, type Obfs4Bridge } from '../rig/tor-bridge';
import { clientTorrcLines, networkTorrcLines, startTorNetwork, type TorNetwork } from '../rig/tor-network';
import { finishRunDir, freePort, makeRunDir, waitFor } from '../rig/util';

const failures = trackFailures();
let net: TorNetwork;
let dante: Dante;
let echo: EchoServer;
let runDir: string;
let bridge: Obfs4Bridge | undefined;
const tors: OwnedTor[] = [];
/** Every ORPort and DirPort of the network's relays. */
let relayPorts: Set<number>;

/** An OwnedTor with a fresh data dir `<runDir>/<name>` (names are unique in this file), logging to notice.log there (kept when a test fails). */
async function newTor(opts: Omit<OwnedTorOptions, 'dataDir'> & { name: string }): Promise<OwnedTor> {
  const { name, ...rest } = opts;
  const dataDir = join(runDir, name);
  await mkdir(dataDir, { recursive: true });
  const tor = new OwnedTor({ ...rest, dataDir, extraTorrcLines: [...(rest.extraTorrcLines ?? []), `Log notice file ${join(dataDir, 'notice.log')}`, 'SafeLogging 0'] });
  tors.push(tor);
  return tor;
}

/** Records a tor's bootstrap and Connection Assist events with the time each came. */
function record(tor: OwnedTor): { progress: (BootstrapProgress & { at: number })[]; assists: (ConnectionAssist & { at: number })[] } {
  const out = { progress: [] as (BootstrapProgress & { at: number })[], assists: [] as (ConnectionAssist & { at: number })[] };
  tor.events.on('bootstrap', (p) => out.progress.push({ ...p, at: Date.now() }));
  tor.events.on('assist', (a) => out.assists.push({ ...a, at: Date.now() }));
  return out;
}

const STALL_MS = 4000;

/**
 * Starts a tor that cannot finish bootstrapping, with Connection Assist after STALL_MS: start() must fail with the
 * bootstrap timeout, leave no tor process, and Connection Assist must have fired once, STALL_MS after the last
 * progress (within the tracker's check interval of STALL_MS / 4 and some slack).
 */
async function stallingStart(opts: Omit<OwnedTorOptions, 'dataDir'> & { name: string }): Promise<{ assist: ConnectionAssist; last: BootstrapProgress; assistAfterMs: number }> {
  const tor = await newTor({ stallMs: STALL_MS, bootstrapTimeoutMs: STALL_MS + 6000, ...opts });
  const seen = record(tor);
  let pid: number | undefined;
  tor.events.on('bootstrap', () => (pid ??= tor.pid));
  const t0 = Date.now();
  await expect(tor.start()).rejects.toMatchObject({ name: 'TorStartError', code: 'tor-bootstrap-timeout' });
  expect(tor.state().kind).toBe('failed');
  expect(pid).toBeTypeOf('number');
  await waitFor('the stalled tor to be gone', () => (alive(pid ?? 0) ? undefined : true), 5000);
  expect(seen.assists).toHaveLength(1);
  const [assist] = seen.assists;
  const last = seen.progress.at(-1);
  const lastRise = seen.progress.find((p) => p.progress === last?.progress);
  if (assist === undefined || last === undefined || lastRise === undefined) throw new Error('no progress or no Connection Assist');
  expect(assist.stalledForMs).toBeGreaterThanOrEqual(STALL_MS);
  expect(assist.at - lastRise.at).toBeGreaterThanOrEqual(STALL_MS - 50);
  expect(assist.progress).toBe(last.progress);
  const assistAfterMs = assist.at - t0;
  console.log(`${opts.name}: stuck at ${String(last.progress)} % (${last.tag}${last.reason === undefined ? '' : `, ${last.reason}`}); Connection Assist "${assist.suggestion}" (reason ${assist.reason}) ${String(assistAfterMs)} ms after start()`);
  return { assist, last, assistAfterMs };
}

/** The established TCP connections a process holds: its socket inodes matched against /proc/net/tcp. */
function tcpConnectionsOf(pid: number): { localPort: number; remotePort: number }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${String(pid)}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: { localPort: number; remotePort: number }[] = [];
  for (const row of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = row.trim().split(/\s+/);
    const [, local = '', remote = '', st = ''] = cols;
    if (st !== '01' || !inodes.has(cols[9] ?? '')) continue; // 01: ESTABLISHED
    out.push({ localPort: parseInt(local.split(':')[1] ?? '', 16), remotePort: parseInt(remote.split(':')[1] ?? '', 16) });
  }
  return out;
}

const alive = (pid: number): boolean => existsSync(`/proc/${String(pid)}`);

/** Tear-down steps, added as each part of the rig comes up (so a failed start still tears down what did start). */
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  runDir = await makeRunDir('tor-bridges');
  cleanups.push(() => finishRunDir(runDir, failures.failed));
  [net, dante, echo] = await Promise.all([
    startTorNetwork().then((n) => {
      cleanups.push(async () => {
        await n.stop(failures.failed);
      });
      return n;
    }),
    startDante({ auth: true }).then((d) => {
      cleanups.push(() => d.close(failures.failed));
      return d;
    }),
    startEcho('127.0.0.1').then((e) => {
      cleanups.push(() => e.close());
      return e;
    }),
  ]);
  relayPorts = new Set<number>();
  for (const node of ['auth0', 'auth1', 'auth2', 'middle', 'exit']) {
    const torrc = readFileSync(join(net.runDir, node, 'torrc'), 'utf8');
    for (const m of torrc.matchAll(/^(?:OR|Dir)Port 127\.0\.0\.1:(\d+)$/gm)) relayPorts.add(Number(m[1]));
  }
  expect(relayPorts.size).toBe(8);
});

afterAll(async () => {
  await Promise.all(tors.map((t) => t.stop()));
  await bridge?.stop(failures.failed);
  for (const step of cleanups.reverse()) await step();
});

describe('tor behind an upstream SOCKS5 proxy', () => {
  it('bootstraps through dante with a username and password: dante connected it to the relays, tor to nothing else', async () => {
    const mark = dante.logMark();
    const tor = await newTor({
      name: 'proxy',
      upstreamProxy: { type: 'socks5', host: dante.host, port: dante.port, username: dante.username, password: dante.password },
      extraTorrcLines: clientTorrcLines(net),
    });
    const t0 = Date.now();
    await tor.start();
    console.log(`owned tor via dante: bootstrap to 100 % in ${String(Date.now() - t0)} ms`);

    const viaProxy = dante.connections(mark);
    const toRelays = viaProxy.filter((c) => c.destinationHost === '127.0.0.1' && relayPorts.has(c.destinationPort));
    expect(toRelays.length).toBeGreaterThan(0);
    for (const c of toRelays) expect(c).toMatchObject({ verdict: 'pass', connected: true, user: dante.username });
    // tor's own sockets: none goes straight to a relay (the control connection and streams are incoming).
    const pid = tor.pid ?? 0;
    const direct = tcpConnectionsOf(pid).filter((c) => relayPorts.has(c.remotePort));
    expect(direct).toEqual([]);
    expect(tcpConnectionsOf(pid).some((c) => c.remotePort === dante.port)).toBe(true);

    const sock = await new TorTransport(tor).connect({ host: echo.host, port: echo.port }, { isolationKey: 'proxy', timeoutMs: 60_000 });
    expect(await roundTrip(sock, 'through dante and tor')).toBe('through dante and tor');
    sock.destroy();
    await tor.stop();
    expect(alive(pid)).toBe(false);
  });

  it('with a wrong proxy password: tor stalls at "connected to proxy", Connection Assist says check the proxy', async () => {
    const mark = dante.logMark();
    const { assist, last } = await stallingStart({
      name: 'proxy-badpw',
      upstreamProxy: { type: 'socks5', host: dante.host, port: dante.port, username: dante.username, password: `${dante.password}-wrong` },
      extraTorrcLines: clientTorrcLines(net),
    });
    // dante turned every attempt away, and connected tor to nothing.
    expect(dante.authFailures(mark).length).toBeGreaterThan(0);
    expect(dante.connections(mark).filter((c) => c.connected)).toEqual([]);
    // tor 0.4.9 reports no bootstrap problem (no REASON=) for a failed proxy handshake: it only logs a warning
    // ('Proxy Client: unable to connect OR connection (handshaking (proxy)) with … ("authentication failed")') and
    // stays at 4 % (conn_done_proxy). Connection Assist goes by that tag.
    expect(last).toMatchObject({ progress: 4, tag: 'conn_done_proxy' });
    expect(last.reason).toBeUndefined();
    expect(assist).toMatchObject({ suggestion: 'check-proxy', reason: 'stalled', progress: 4 });
    expect(readFileSync(join(runDir, 'proxy-badpw', 'notice.log'), 'utf8')).toMatch(/Proxy Client: unable to connect OR connection .*"authentication failed"/);
  });

  it('with the proxy not running: tor stalls at "connecting to proxy" (CONNECTREFUSED), Connection Assist says check the proxy', async () => {
    const { assist, last } = await stallingStart({
      name: 'proxy-down',
      upstreamProxy: { type: 'socks5', host: '127.0.0.1', port: await freePort(), username: 'u', password: 'p' },
      extraTorrcLines: clientTorrcLines(net),
    });
    expect(last).toMatchObject({ progress: 3, tag: 'conn_proxy', reason: 'CONNECTREFUSED' });
    expect(assist).toMatchObject({ suggestion: 'check-proxy', reason: 'connectrefused' });
  });
});

describe('Connection Assist', () => {
  it('a network that cannot be reached: "use-bridges" with tor\'s reason, then the bootstrap timeout, and no tor left', async () => {
    // A directory authority that looks valid but listens nowhere: loopback ports nothing is bound to.
    const [orPort, dirPort] = [await freePort(), await freePort()];
    const fake = `DirAuthority nowhere orport=${String(orPort)} no-v2 v3ident=${'A'.repeat(40)} 127.0.0.1:${String(dirPort)} ${'B'.repeat(40)}`;
    const { assist, last, assistAfterMs } = await stallingStart({ name: 'unreachable', extraTorrcLines: networkTorrcLines([fake]) });
    expect(last).toMatchObject({ progress: 5, tag: 'conn', reason: 'CONNECTREFUSED' });
    expect(assist).toMatchObject({ suggestion: 'use-bridges', reason: 'connectrefused', progress: 5 });
    expect(assistAfterMs).toBeGreaterThanOrEqual(STALL_MS);
  });

  it('a bridge that does not answer: "try-other-bridges"', async () => {
    const dead = `obfs4 127.0.0.1:${String(await freePort())} ${'D'.repeat(40)} cert=${'A'.repeat(70)} iat-mode=0`;
    const { assist } = await stallingStart({ name: 'dead-bridge', bridges: parseBridgeLines(dead), extraTorrcLines: clientTorrcLines(net) });
    expect(assist.suggestion).toBe('try-other-bridges');
  });
});

describe('tor behind an obfs4 bridge of the private network', () => {
  it('bootstraps through the bridge only (obfs4proxy on both sides) and carries a stream to a loopback echo server', async () => {
    const b = await startObfs4Bridge(net);
    bridge = b;
    console.log(`obfs4 bridge up (bootstrapped, obfs4 listening) in ${String(b.startMs)} ms`);
    const line = parseBridgeLine(b.bridgeLine);
    expect(line).toMatchObject({ transport: 'obfs4', address: `127.0.0.1:${String(b.obfs4.port)}`, fingerprint: b.fingerprint });
    expect(line.params.cert).toMatch(/^[A-Za-z0-9+/]{70}$/);
    expect(line.params['iat-mode']).toBe('0');
    // The client's transport plugin is the one binary discovery finds: Debian's obfs4proxy.
    expect(findTorBinaries().obfs4).toBe('/usr/bin/obfs4proxy');

    // Microdescriptors, unlike the rig's other clients: tor (0.4.4 and later) counts no relay as a possible first hop
    // for a bridge user that has full descriptors (router_can_choose_node() rejects bridge-purpose descriptors for
    // direct connections too), so with `UseMicrodescriptors 0` it never builds a circuit ("Not enough acceptable
    // routers (0/3 direct ...)"). A microdescriptor client sees the rig's exit as rejecting every port (its policy
    // summary only counts public addresses), so the stream goes to the echo server through an onion service.
    const lines = clientTorrcLines(net).filter((l) => l !== 'UseMicrodescriptors 0');
    const tor = await newTor({ name: 'obfs4-client', bridges: [line], extraTorrcLines: lines });
    const t0 = Date.now();
    await tor.start();
    console.log(`owned tor via the obfs4 bridge: bootstrap to 100 % in ${String(Date.now() - t0)} ms`);
    const torrc = readFileSync(torrcPaths(join(runDir, 'obfs4-client')).torrc, 'utf8');
    expect(torrc).toContain('ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy');
    expect(torrc).toContain(`Bridge ${line.line}`);
    expect(b.obfs4Connections()).toBeGreaterThan(0);

    const onion = await net.addOnion({ host: echo.host, port: echo.port });
    const transport = new TorTransport(tor);
    const t1 = Date.now();
    const sock = await waitFor('the onion in front of the echo server, through the bridge', () =>
      transport.connect({ host: onion.onion, port: onion.port }, { isolationKey: 'bridged', timeoutMs: 30_000 }).catch(() => undefined), 90_000, 500);
    expect(await roundTrip(sock, 'through obfs4')).toBe('through obfs4');
    console.log(`stream through the bridge to the echo server's onion: ${String(Date.now() - t1)} ms`);
    // Every circuit starts at the bridge, and tor holds no connection of its own to any relay.
    const circuits = (await tor.circuits()).filter((c) => c.path.length > 0);
    expect(circuits.filter((c) => c.isolationKey === 'bridged').length).toBeGreaterThan(0);
    for (const c of circuits) expect(c.path[0]?.fingerprint).toBe(b.fingerprint);
    expect(tcpConnectionsOf(tor.pid ?? 0).filter((c) => relayPorts.has(c.remotePort) || c.remotePort === b.orPort)).toEqual([]);
    sock.destroy();
    await tor.stop();
  }, 180_000);
});

describe('bridge lines and transport plugins that cannot work', () => {
  const cert = 'A'.repeat(70);
  const good = `obfs4 127.0.0.1:9 ${'C'.repeat(40)} cert=${cert} iat-mode=0`;

  it('a malformed line among good ones: BridgeLineError naming the line', () => {
    const text = `# my bridges\n${good}\nobfs4 127.0.0.1:9 ${'C'.repeat(40)} cert=tooshort iat-mode=0\n`;
    let error: unknown;
    try {
      parseBridgeLines(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BridgeLineError);
    expect(error).toMatchObject({ code: 'bridge-line-invalid' });
    expect((error as Error).message).toMatch(/^line 3: .*cert=/);
    expect(() => parseBridgeLines('obfs4 127.0.0.1:9')).toThrow(/line 1: .*fingerprint/);
    expect(parseBridgeLines(`${good}\n\n# nothing\n`)).toHaveLength(1);
  });

  it('an obfs4 bridge with no obfs4 plugin: TorConfigError before any tor starts', async () => {
    const [line] = parseBridgeLines(good);
    if (line === undefined) throw new Error('no bridge line');
    expect(() => buildTorrc({ dataDir: '/nonexistent', bridges: [line], transportPlugins: {} })).toThrow(TorConfigError);
    // With an explicit tor binary OwnedTor looks for no transport plugin: there is none to give tor.
    const tor = await newTor({ name: 'no-plugin', transportPlugins: {}, bridges: [line], extraTorrcLines: clientTorrcLines(net) });
    const spawned: (number | undefined)[] = [];
    tor.events.on('state', () => spawned.push(tor.pid));
    const error: unknown = await tor.start().then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(TorConfigError);
    expect(error).toMatchObject({ code: 'tor-config-invalid', message: expect.stringMatching(/no obfs4 transport plugin/) as unknown });
    expect(spawned.filter((p) => p !== undefined)).toEqual([]);
    expect(tor.state()).toMatchObject({ kind: 'failed', error: { code: 'tor-config-invalid' } });
    const files = torrcPaths(join(runDir, 'no-plugin'));
    expect(existsSync(files.torrc)).toBe(false);
    expect(existsSync(files.pidFile)).toBe(false);
  });
});
