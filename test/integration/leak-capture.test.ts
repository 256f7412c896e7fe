/**
 * Packet-level proof that SOCKS5, Tor and VPN mode leak nothing during real XMPP sessions (root, network namespaces):
 *
 *   client ──veth 10.231.21.0/24── gw (Prosody pair, dante, private Tor network: all on gw's own loopback)
 *   client ══WireGuard 10.231.29.0/24 (over the veth, UDP 51820)══ gw          (VPN case only)
 *
 * The servers run in a child process inside gw (fixtures/leak-rig-runner.ts); dante and one client tor's SocksPort
 * listen on the gw veth address. The client (fixtures/leak-client.ts) runs inside the client namespace, whose only
 * link is the veth (default route via gw) and whose resolv.conf names gw with `timeout:1 attempts:1`, so ANY DNS attempt
 * is a UDP/53 packet on the veth. It logs alice@a.test and bob@b.test in through the core's ModeManager, exchanges a
 * message each way and runs the in-app leak check. tcpdump watches the client's veth during each session: apart from
 * ARP, only the mode's one hop may appear (dante's address:port; the tor SocksPort; WireGuard's UDP). IPv6 is off in
 * the namespaces and would be counted. A control case shows that a dns.lookup and a direct connect DO show up.
 * Nothing reaches any address outside these namespaces.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackFailures } from '../rig/lifecycle';
import { parseConnections } from '../rig/dante-log';
import { NetnsRig } from '../rig/netns';
import { finishRunDir, makeRunDir, waitFor, type ManagedProcess } from '../rig/util';

const state = trackFailures();
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const NODE = process.execPath;
const GW = '10.231.21.1';
const CLIENT = '10.231.21.2';
const WG_GW = '10.231.29.1';
const WG_CLIENT = '10.231.29.2';
const WG_PORT = 51820;
const canRun = process.getuid?.() === 0 && ['/usr/bin/tcpdump', '/usr/bin/wireguard-go', '/usr/sbin/tor', '/usr/sbin/danted'].every((f) => existsSync(f));

type Event = Record<string, unknown> & { ev: string; at: number };
interface HostPort {
  host: string;
  port: number;
}
interface Ready extends Event {
  dante: HostPort & { username: string; password: string; logFile: string };
  torSocks: HostPort;
  timings: Record<string, unknown>;
}

function events(proc: ManagedProcess): Event[] {
  return proc.jsonLines<Event>();
}

function waitEvent(proc: ManagedProcess, what: string, pred: (e: Event) => boolean, timeoutMs: number): Promise<Event> {
  return waitFor(
    `${proc.name}: ${what}`,
    () => {
      const found = events(proc).find(pred);
      if (found === undefined && !proc.running) throw new Error(`${proc.name} exited:\n${proc.tail(60)}`);
      return found;
    },
    timeoutMs,
    50,
  );
}

/** Packets between the client's veth address and one endpoint of gw's, in either direction. */
const only = (proto: 'tcp' | 'udp', ep: HostPort): string =>
  `(${proto} and src host ${CLIENT} and dst host ${ep.host} and dst port ${String(ep.port)}) or ` +
  `(${proto} and src host ${ep.host} and src port ${String(ep.port)} and dst host ${CLIENT})`;

let dir: string;
let rig: NetnsRig | undefined;
let client: string;
let gw: string;
let physC: string;
let runner: ManagedProcess | undefined;
let ready: Ready;
const timings: Record<string, unknown> = {};

function theRig(): NetnsRig {
  if (rig === undefined) throw new Error('the namespaces were not set up');
  return rig;
}

function fixture(ns: string, label: string, file: string, env: Record<string, string>): ManagedProcess {
  return theRig().spawn(ns, label, [NODE, '--import', 'tsx', resolve(FIXTURES, file)], { cwd: ROOT, env: { ...process.env, ...env } });
}

interface Session {
  ev: Event[];
  leaks: string[];
  dns: string[];
  allowed: number;
  total: number;
}

/** Captures the client's veth while one leak-client runs to its end; counts what is not `allowFilter`. */
async function session(label: string, env: Record<string, string>, allowFilter: string, timeoutMs: number): Promise<Session> {
  const cap = await theRig().capture(client, physC, label);
  let proc: ManagedProcess | undefined;
  try {
    proc = fixture(client, `client-${label}`, 'leak-client.ts', { RIG: JSON.stringify(ready), GW_ADDR: GW, ...env });
    const end = await waitEvent(proc, 'done', (e) => e.ev === 'done' || e.ev === 'error', timeoutMs);
    await Promise.race([proc.exited, sleep(5000)]);
    await sleep(300); // the last FIN/ACKs
    const ev = events(proc);
    if (end.ev === 'error') console.log(`[leak-capture] ${label}: client error ${JSON.stringify(end)}`);
    await cap.stop();
    const leaks = await cap.read(`not arp and not (${allowFilter})`);
    const dns = await cap.read('udp port 53 or tcp port 53');
    const allowed = (await cap.read(allowFilter)).length;
    const total = (await cap.read()).length;
    console.log(
      `[leak-capture] ${label}: ${String(total)} packets on the client veth, ${String(allowed)} to/from the hop, ` +
        `${String(leaks.length)} other (not ARP), ${String(dns.length)} DNS${leaks.length > 0 ? `:\n  ${leaks.slice(0, 20).join('\n  ')}` : ''}`,
    );
    return { ev, leaks, dns, allowed, total };
  } finally {
    await proc?.stop(2000);
    await cap.stop();
  }
}

function expectCleanXmpp(s: Session, label: string): void {
  const err = s.ev.find((e) => e.ev === 'error');
  expect(err, `client error: ${JSON.stringify(err)}`).toBeUndefined();
  const delivered = s.ev.filter((e) => e.ev === 'delivered');
  expect(delivered.map((e) => e.dir)).toEqual(['alice->bob', 'bob->alice']);
  expect(String(delivered[0]?.from)).toMatch(/^alice@a\.test\//);
  expect(String(delivered[1]?.from)).toMatch(/^bob@b\.test\//);
  const check = s.ev.find((e) => e.ev === 'leak-check');
  console.log(`[leak-capture] ${label}: in-app leak check ${JSON.stringify(check)}`);
  expect(check?.ok).toBe(true);
  expect(check?.flagged).toEqual([]);
  expect(check?.dns).toBe(0);
  expect(check?.hop).toBe(2); // alice's and bob's connections, both judged to be the mode's hop
  const online = s.ev.find((e) => e.ev === 'online');
  timings[`${label}Login`] = { both: online?.ms, alice: online?.alice, bob: online?.bob };
  timings[`${label}Delivery`] = delivered.map((e) => e.ms);
}

describe.skipIf(!canRun)('no leak on the wire: SOCKS5, Tor and VPN mode with XMPP sessions, captured in namespaces', () => {
  beforeAll(async () => {
    const t0 = Date.now();
    dir = await makeRunDir('leak-capture');
    const r = new NetnsRig(dir);
    rig = r;
    [gw, client] = await Promise.all([r.addNamespace('gw'), r.addNamespace('client')]);
    physC = `c${r.tag}`;
    await r.veth({ ns: client, name: physC, cidr: `${CLIENT}/24` }, { ns: gw, name: `g${r.tag}`, cidr: `${GW}/24` });
    await r.ip(client, 'route', 'add', 'default', 'via', GW);
    r.writeEtc(client, 'resolv.conf', `nameserver ${GW}\noptions timeout:1 attempts:1\n`);
    timings.namespacesMs = Date.now() - t0;
    const t1 = Date.now();
    runner = fixture(gw, 'rig-runner', 'leak-rig-runner.ts', { GW_ADDR: GW });
    const first = await waitEvent(runner, 'ready', (e) => e.ev === 'ready' || e.ev === 'error', 280_000);
    if (first.ev === 'error') throw new Error(`the rig runner failed: ${String(first.message)}`);
    ready = first as Ready;
    timings.runnerReadyMs = Date.now() - t1;
    timings.runner = ready.timings;
  }, 300_000);

  afterAll(async () => {
    if (runner?.running === true) {
      runner.kill(state.failed ? 'SIGUSR1' : 'SIGTERM');
      await Promise.race([runner.exited, sleep(20_000)]);
    }
    await rig?.destroy();
    console.log(`[leak-capture] timings ${JSON.stringify(timings)}`);
    if (rig !== undefined) await finishRunDir(dir, state.failed);
  }, 60_000);

  it('SOCKS5: alice and bob chat through dante by name; the wire shows only dante, no DNS; the in-app check agrees', async () => {
    const logStart = existsSync(ready.dante.logFile) ? readFileSync(ready.dante.logFile).length : 0;
    const s = await session('socks5', { MODE: 'socks5' }, only('tcp', ready.dante), 90_000);
    expectCleanXmpp(s, 'socks5');
    // dante got the NAMES (ATYP domain) from the client namespace, and resolved them itself, inside gw.
    const asked = parseConnections(readFileSync(ready.dante.logFile), logStart).filter((c) => c.client.startsWith(`${CLIENT}:`));
    console.log(`[leak-capture] socks5: dante saw ${JSON.stringify(asked.map((c) => [c.addressType, c.destinationHost, c.resolvedAddress, c.verdict]))}`);
    expect(asked.map((c) => `${c.addressType ?? '?'} ${c.destinationHost} -> ${c.resolvedAddress ?? '?'}`).sort()).toEqual([
      'domain a.test -> 127.0.0.2',
      'domain b.test -> 127.0.0.3',
    ]);
    expect(s.allowed).toBeGreaterThan(0);
    expect(s.dns).toEqual([]);
    expect(s.leaks).toEqual([]);
  });

  it('Tor: alice over a.test’s .onion, bob through the exit; the wire shows only the tor SocksPort, no DNS', async () => {
    const s = await session('tor', { MODE: 'tor' }, only('tcp', ready.torSocks), 200_000);
    expectCleanXmpp(s, 'tor');
    expect(s.allowed).toBeGreaterThan(0);
    expect(s.dns).toEqual([]);
    expect(s.leaks).toEqual([]);
  }, 240_000);

  it('control: a dns.lookup and a direct connect in the client namespace do show up (capture and in-app check)', async () => {
    const s = await session('control', { MODE: 'control', CONTROL_PORT: String(ready.torSocks.port) }, only('tcp', ready.dante), 30_000);
    const lookedUp = s.ev.find((e) => e.ev === 'lookup');
    console.log(`[leak-capture] control: lookup ${JSON.stringify(lookedUp)}`);
    expect(s.dns.length).toBeGreaterThan(0);
    expect(s.dns.some((l) => l.includes(`> ${GW}.53:`) && l.includes('a.test'))).toBe(true);
    const syn = `${CLIENT}.`;
    expect(s.leaks.some((l) => l.includes(syn) && l.includes(`> ${GW}.${String(ready.torSocks.port)}:`) && l.includes('Flags [S]'))).toBe(true);
    expect(s.allowed).toBe(0);
    const check = s.ev.find((e) => e.ev === 'leak-check');
    console.log(`[leak-capture] control: in-app leak check ${JSON.stringify(check)}`);
    expect(check?.ok).toBe(false);
    expect(check?.dns).toBe(1);
    expect(check?.flagged).toEqual([
      expect.objectContaining({ protocol: 'tcp', reason: 'not-the-hop', remote: { address: GW, port: ready.torSocks.port } }),
    ]);
  });

  it('VPN: alice and bob chat by IP through a WireGuard tunnel; the veth shows only WireGuard UDP, no DNS', async () => {
    const t0 = Date.now();
    const r = theRig();
    const wgc = `wgc${r.tag}`;
    await r.wireguard(
      { ns: client, ifname: wgc, cidr: `${WG_CLIENT}/24`, endpoint: `${GW}:${String(WG_PORT)}`, allowedIps: '10.231.29.0/24' },
      { ns: gw, ifname: `wgg${r.tag}`, cidr: `${WG_GW}/24`, listenPort: WG_PORT, allowedIps: `${WG_CLIENT}/32` },
    );
    timings.wireguardMs = Date.now() - t0;
    const env = { MODE: 'vpn', VPN_IF: wgc, VPN_PEER: WG_GW, VPN_LOCAL: WG_CLIENT };
    const s = await session('vpn', env, only('udp', { host: GW, port: WG_PORT }), 60_000);
    expectCleanXmpp(s, 'vpn');
    expect(s.allowed).toBeGreaterThan(0);
    expect(s.dns).toEqual([]);
    expect(s.leaks).toEqual([]);
  });
});
