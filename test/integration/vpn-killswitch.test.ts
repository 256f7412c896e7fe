/**
 * VPN mode's kill switch, proven with a real WireGuard tunnel (wireguard-go) between network namespaces (root):
 *
 *   client ──veth "physical" 10.231.1.0/24── gw ──veth 10.231.2.0/24── srv (chat server)
 *   client ══WireGuard 10.231.9.0/24 (over the physical veth, UDP 51820)══ gw
 *
 * The client's default route goes out of the physical veth; only the route to srv's net goes into the tunnel. The
 * client code runs INSIDE the client namespace (a child Node process). tcpdump watches the client's PHYSICAL veth:
 * apart from WireGuard's UDP to gw and ARP, nothing may leave it (IPv6 is disabled in the namespaces, and the filter
 * would count any IPv6 packet). The addresses exist only inside these namespaces; nothing is routed to the host.
 * Cases: (1) the kill switch with the tunnel link set down, then its daemon killed — blocked, no leak, the chat
 * resumes without losing or repeating a message; (2) control: a plain socket bound to the down tunnel's address does
 * leak a SYN (so the capture would see one); (3) vpn-enforce's policy routing alone (watcher off) makes the kernel
 * refuse (EHOSTUNREACH/ENETUNREACH) and nothing leaves; (4) interactive traffic (a line every 10 ms): what the kernel
 * itself still sends after the cut (a delayed ACK it owed) — the app sends nothing — and with vpn-enforce applied as
 * well, nothing at all.
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnforcement, buildEnforcePlan, removeEnforcement, restoreTunnelRoutes, type EnforcePlan } from '../../src/net/vpn-enforce';
import { trackFailures } from '../rig/lifecycle';
import { NetnsRig, type Capture, type WgEnd } from '../rig/netns';
import { finishRunDir, makeRunDir, waitFor, type ManagedProcess } from '../rig/util';

const state = trackFailures();
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const NODE = process.execPath;
const GW_PHYS = '10.231.1.1';
const CLIENT_TUN = '10.231.9.2';
const SRV = '10.231.2.2';
const SRV_NET = '10.231.2.0/24';
const WG_PORT = 51820;
const CHAT_PORT = 7000;
/**
 * Everything on the physical link that is not WireGuard to gw, nor ARP: a leak. Also allowed: the client kernel's
 * ICMP "port unreachable" answering gw's WireGuard packets while the client's daemon is dead (the quoted UDP header's
 * source port, icmp[28:2], is gw's WireGuard port): it is about the tunnel, not about any connection of Cove's.
 */
const WG_ICMP = `icmp and dst host ${GW_PHYS} and icmp[icmptype] == icmp-unreach and icmp[28:2] == ${WG_PORT}`;
const LEAK_FILTER = `not arp and not (udp and host ${GW_PHYS} and port ${WG_PORT}) and not (${WG_ICMP})`;
const WG_FILTER = `udp and host ${GW_PHYS} and port ${WG_PORT}`;

type Event = Record<string, unknown> & { ev: string; at: number };

function events(proc: ManagedProcess): Event[] {
  return proc.jsonLines<Event>();
}

function waitEvent(proc: ManagedProcess, what: string, pred: (e: Event) => boolean, from = 0, timeoutMs = 10_000): Promise<Event> {
  return waitFor(
    `${proc.name}: ${what}`,
    () => {
      if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.tail()}`);
      return events(proc).slice(from).find(pred);
    },
    timeoutMs,
    10,
  );
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const received = (server: ManagedProcess): number[] => events(server).filter((e) => e.ev === 'msg').map((e) => Number(e.n));
const lastSent = (client: ManagedProcess): number => Math.max(0, ...events(client).filter((e) => e.ev === 'sent').map((e) => Number(e.n)));

let dir: string;
let rig: NetnsRig;
let client: string;
let gw: string;
let srv: string;
let physC: string;
let wgC: WgEnd;
let chatPort = CHAT_PORT;

function fixture(ns: string, label: string, file: string, env: Record<string, string>): ManagedProcess {
  return rig.spawn(ns, label, [NODE, '--import', 'tsx', resolve(FIXTURES, file)], { cwd: ROOT, env: { ...process.env, ...env } });
}

/** Link up and the route into the tunnel put back (the kernel deleted it when the link went down). */
async function restoreLink(): Promise<void> {
  if (wgC.proc === undefined) await wgC.start(); // an earlier test failed after killing the daemon
  await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'up');
  await rig.ip(client, 'route', 'replace', SRV_NET, 'dev', wgC.spec.ifname);
}

async function stopAndRead(cap: Capture): Promise<{ leaks: string[]; wg: number; total: number }> {
  await cap.stop();
  return { leaks: await cap.read(LEAK_FILTER), wg: (await cap.read(WG_FILTER)).length, total: (await cap.read()).length };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces, tcpdump)');
  dir = await makeRunDir('vpn-killswitch');
  rig = new NetnsRig(dir);
  const t0 = performance.now();
  [client, gw, srv] = [await rig.addNamespace('client'), await rig.addNamespace('gw'), await rig.addNamespace('srv')];
  physC = `c${rig.tag}`;
  await rig.veth({ ns: client, name: physC, cidr: '10.231.1.2/24' }, { ns: gw, name: `g${rig.tag}`, cidr: `${GW_PHYS}/24` });
  await rig.veth({ ns: gw, name: `gs${rig.tag}`, cidr: '10.231.2.1/24' }, { ns: srv, name: `s${rig.tag}`, cidr: `${SRV}/24` });
  await rig.exec(gw, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await rig.ip(client, 'route', 'add', 'default', 'via', GW_PHYS);
  await rig.ip(srv, 'route', 'add', 'default', 'via', '10.231.2.1');
  const tNet = performance.now();
  [wgC] = await rig.wireguard(
    { ns: client, ifname: `wg${rig.tag}c`, cidr: `${CLIENT_TUN}/24`, endpoint: `${GW_PHYS}:${WG_PORT}`, allowedIps: '0.0.0.0/0' },
    { ns: gw, ifname: `wg${rig.tag}g`, cidr: '10.231.9.1/24', listenPort: WG_PORT, allowedIps: `${CLIENT_TUN}/32` },
  );
  await rig.ip(client, 'route', 'add', SRV_NET, 'dev', wgC.spec.ifname);
  console.log(`[vpn-killswitch] 3 namespaces + 2 veths ${(tNet - t0).toFixed(0)} ms; WireGuard tunnel ${(performance.now() - tNet).toFixed(0)} ms`);
  // A listener for the probes (the chat runs get servers of their own).
  const target = fixture(srv, 'probe-target', 'chat-server.ts', { CHAT_HOST: SRV, CHAT_PORT: String(CHAT_PORT) });
  await waitEvent(target, 'listening', (e) => e.ev === 'listening', 0, 15_000);
});

afterAll(async () => {
  await rig.destroy();
  await finishRunDir(dir, state.failed);
});

interface ChatRun {
  leaks: string[];
  last: number;
  got: number[];
}

/**
 * The chat through the tunnel while it is cut twice: (a) its link set down, (b) its daemon killed; each time restored
 * after a second (with `plan`, the enforcement table's tunnel routes are restored too). Checks the kill switch's
 * states on the way, and returns what the capture of the physical veth saw and what the server got.
 */
async function runChat(label: string, everyMs: number, plan?: EnforcePlan): Promise<ChatRun> {
  chatPort += 1;
  const chat = fixture(srv, `chat-server-${label}`, 'chat-server.ts', { CHAT_HOST: SRV, CHAT_PORT: String(chatPort) });
  await waitEvent(chat, 'listening', (e) => e.ev === 'listening', 0, 15_000);
  const cap = await rig.capture(client, physC, label);
  const cli = fixture(client, `vpn-chat-client-${label}`, 'vpn-chat-client.ts', {
    VPN_IF: wgC.spec.ifname,
    CHAT_HOST: SRV,
    CHAT_PORT: String(chatPort),
    SEND_EVERY_MS: String(everyMs),
    POLL_MS: '200',
  });
  const tSpawn = Date.now();
  const first = await waitEvent(cli, 'first connection', (e) => e.ev === 'connected', 0, 20_000);
  await waitFor('10 lines at the server', () => (received(chat).length >= 10 ? true : undefined), 5000, 20);
  const restoreRoutes = async (): Promise<void> => {
    await rig.ip(client, 'route', 'replace', SRV_NET, 'dev', wgC.spec.ifname);
    if (plan !== undefined) await restoreTunnelRoutes(plan, { netns: client });
  };
  // The chat goes on after `mark`: the client connects again and the server gets lines made after the cut.
  const resume = async (mark: number, tRestore: number): Promise<string> => {
    const open = await waitEvent(cli, 'state open', (e) => e.ev === 'state' && e.state === 'open', mark);
    const connected = await waitEvent(cli, 'reconnected', (e) => e.ev === 'connected', mark);
    const target = lastSent(cli) + 3;
    await waitFor(`line ${String(target)} at the server`, () => (received(chat).includes(target) ? true : undefined), 10_000, 10);
    const arrived = events(chat).find((e) => e.ev === 'msg' && e.n === target)?.at ?? 0;
    return `open ${String(open.at - tRestore)} ms, reconnected ${String(connected.at - tRestore)} ms, new lines ${String(arrived - tRestore)} ms`;
  };

  // (a) The tunnel's link goes down: the kernel keeps its address, so only the kill switch stands in the way.
  let mark = events(cli).length;
  const tDown = Date.now();
  await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'down');
  const blockedA = await waitEvent(cli, 'blocked (link down)', (e) => e.ev === 'state' && e.state === 'blocked', mark, 5000);
  expect(blockedA.reason).toMatch(/is down/);
  await sleep(1000);
  const duringA = events(cli).slice(mark);
  expect(duringA.filter((e) => e.ev === 'connected')).toEqual([]);
  expect(duringA.some((e) => e.ev === 'sent' && e.written === false)).toBe(true);
  mark = events(cli).length;
  const tUpA = Date.now();
  await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'up');
  await restoreRoutes();
  const resumeA = await resume(mark, tUpA);

  // (b) The daemon dies: the device, its address and its routes are gone.
  mark = events(cli).length;
  const tKill = Date.now();
  await wgC.kill();
  // The device goes in steps (not running, address gone, device gone): the first reason seen may be any of them.
  const blockedB = await waitEvent(cli, 'blocked (device going)', (e) => e.ev === 'state' && e.state === 'blocked', mark, 5000);
  expect(blockedB.reason).toMatch(/does not exist|has no address|is down/);
  await waitEvent(cli, 'blocked (device gone)', (e) => e.ev === 'state' && /does not exist/.test(str(e.reason)), mark, 5000);
  await sleep(1000);
  expect(events(cli).slice(mark).filter((e) => e.ev === 'connected')).toEqual([]);
  mark = events(cli).length;
  const tUpB = Date.now();
  await wgC.start();
  await restoreRoutes();
  const tConfigured = Date.now();
  const resumeB = await resume(mark, tUpB);

  // Drain: the client stops making lines, sends whatever is unacked, and exits.
  const doneMark = events(cli).length;
  cli.kill('SIGUSR2');
  const done = await waitEvent(cli, 'done', (e) => e.ev === 'done', doneMark, 20_000);
  await cli.exited;
  await sleep(100);
  const { leaks, wg, total } = await stopAndRead(cap);
  await chat.stop();
  const got = received(chat);
  const dups = events(chat).filter((e) => e.ev === 'dup').length;
  console.log(
    `[vpn-killswitch] ${label}: client up ${String(first.at - tSpawn)} ms after spawn; ` +
      `(a) link down -> blocked ${String(blockedA.at - tDown)} ms; link up + route -> ${resumeA}; ` +
      `(b) daemon killed -> blocked ${String(blockedB.at - tKill)} ms; restart + configure ${String(tConfigured - tUpB)} ms -> ${resumeB}`,
  );
  console.log(
    `[vpn-killswitch] ${label}: ${str(done.last)} lines, ${String(got.length)} received, ${String(dups)} duplicates dropped, ` +
      `${str(done.pending)} pending, ${str(done.held)} sockets held; physical veth: ${String(total)} packets, ${String(wg)} WireGuard, ` +
      `${String(leaks.length)} leaks${leaks.length > 0 ? `:\n  ${leaks.join('\n  ')}` : ''}`,
  );
  expect(wg).toBeGreaterThan(0);
  expect(done.pending).toBe(0);
  return { leaks, last: Number(done.last), got };
}

const allOnceInOrder = (run: ChatRun): void => {
  expect(run.got).toEqual(Array.from({ length: run.last }, (_, i) => i + 1));
};

describe('VPN kill switch over a real WireGuard tunnel', () => {
  it('a line every 50 ms: blocks on link down and on daemon death, leaks nothing, every line arrives once, in order', async () => {
    const run = await runChat('chat-50ms', 50);
    expect(run.leaks).toEqual([]);
    allOnceInOrder(run);
    expect(run.last).toBeGreaterThan(40);
  });

  it('control: without the kill switch, a socket bound to the down tunnel address sends its SYN out of the physical link', async () => {
    await restoreLink();
    const probe = fixture(client, 'probe-plain', 'vpn-bind-probe.ts', {
      MODE: 'plain',
      BIND: CLIENT_TUN,
      TARGET_HOST: SRV,
      TARGET_PORT: String(CHAT_PORT),
    });
    await waitEvent(probe, 'ready', (e) => e.ev === 'ready', 0, 15_000);
    await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'down');
    const cap = await rig.capture(client, physC, 'control');
    try {
      const mark = events(probe).length;
      probe.kill('SIGUSR2');
      const result = await waitEvent(probe, 'result', (e) => e.ev === 'result', mark, 5000);
      await sleep(200);
      const { leaks, total } = await stopAndRead(cap);
      const syns = leaks.filter((l) => l.includes(`${CLIENT_TUN}.`) && l.includes(`> ${SRV}.${String(CHAT_PORT)}:`) && l.includes('Flags [S]'));
      console.log(
        `[vpn-killswitch] control: bind to the down tunnel address -> ${str(result.outcome)} ${str(result.code)}; ` +
          `${String(total)} packets captured, ${String(leaks.length)} leaks, ${String(syns.length)} SYNs from the tunnel address`,
      );
      expect(syns.length).toBeGreaterThan(0);
    } finally {
      await probe.stop();
      await restoreLink();
    }
  });

  it('kernel-enforced: with the policy rule and the watcher off, the bind gets EHOSTUNREACH and nothing leaves', async () => {
    await restoreLink();
    const plan = buildEnforcePlan({ interfaceName: wgC.spec.ifname, addresses: [CLIENT_TUN] });
    await applyEnforcement(plan, { netns: client });
    const probe = fixture(client, 'probe-enforce', 'vpn-bind-probe.ts', {
      MODE: 'vpn-unsafe',
      VPN_IF: wgC.spec.ifname,
      TARGET_HOST: SRV,
      TARGET_PORT: String(CHAT_PORT),
    });
    const attempt = async (what: string): Promise<Event> => {
      const mark = events(probe).length;
      probe.kill('SIGUSR2');
      return waitEvent(probe, what, (e) => e.ev === 'result', mark, 5000);
    };
    try {
      expect((await waitEvent(probe, 'ready', (e) => e.ev === 'ready', 0, 15_000)).status).toBe('open');
      expect(await rig.ip(client, 'rule', 'show')).toContain(`from ${CLIENT_TUN} lookup ${String(plan.table)}`);
      // The tunnel path still works with the rule in place.
      expect((await attempt('connect through the tunnel')).outcome).toBe('connected');
      await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'down');
      const cap = await rig.capture(client, physC, 'enforce');
      const refused = await attempt('refused connect');
      await sleep(200);
      const { leaks, total } = await stopAndRead(cap);
      console.log(
        `[vpn-killswitch] enforced: bind to the down tunnel address -> ${str(refused.outcome)} ${str(refused.code)} ` +
          `in ${String(refused.ms)} ms; ${String(total)} packets captured, ${String(leaks.length)} leaks`,
      );
      expect(refused.outcome).toBe('error');
      expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(refused.code);
      expect(leaks).toEqual([]);
      // Link up is not enough (the kernel dropped the tunnel routes): fail closed until they are put back.
      await rig.ip(client, 'link', 'set', wgC.spec.ifname, 'up');
      expect((await attempt('still refused after link up')).code).toMatch(/^E(HOST|NET)UNREACH$/);
      await restoreTunnelRoutes(plan, { netns: client });
      expect((await attempt('connect after routes restored')).outcome).toBe('connected');
    } finally {
      await probe.stop();
      await removeEnforcement(plan, { netns: client });
      await restoreLink();
    }
    expect(await rig.ip(client, 'rule', 'show')).not.toContain(`lookup ${String(plan.table)}`);
    expect((await rig.ip(client, 'route', 'show', 'table', String(plan.table))).trim()).toBe('');
  });

  it('a line every 10 ms: the app cannot stop the kernel’s own delayed ACK; with vpn-enforce nothing leaks at all', async () => {
    // Interactive traffic puts TCP in delayed-ACK mode: an ACK the kernel owes when the link goes down goes out by the
    // default route a few ms later. The app sends nothing (no data, no SYN, no FIN, no RST): only the kernel does.
    const alone = await runChat('chat-10ms', 10);
    allOnceInOrder(alone);
    for (const leak of alone.leaks) {
      expect(leak).toContain(`${CLIENT_TUN}.`);
      expect(leak).toMatch(/Flags \[(\.|P\.)\]/);
    }
    const plan = buildEnforcePlan({ interfaceName: wgC.spec.ifname, addresses: [CLIENT_TUN] });
    await applyEnforcement(plan, { netns: client });
    try {
      const enforced = await runChat('chat-10ms-enforced', 10, plan);
      expect(enforced.leaks).toEqual([]);
      allOnceInOrder(enforced);
    } finally {
      await removeEnforcement(plan, { netns: client });
      await restoreLink();
    }
  });
});
