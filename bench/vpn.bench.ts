/**
 * VPN mode's figures of the privacy-mode benchmark (bench/modes.bench.ts has Direct, SOCKS5 and Tor; a tunnel needs
 * network namespaces, so VPN is measured here), in one run (root):
 *
 *   client ──veth "physical" 10.233.1.0/24── gw      echo server on 10.233.1.1 and 10.233.9.1, same port
 *   client ══WireGuard 10.233.9.0/24 (wireguard-go, over the veth, UDP 51820)══ gw
 *
 * The namespaces and interfaces carry a random tag (test/rig/netns.ts) and are deleted at the end, also on error and
 * abort; nothing is routed to or from the host. The client code runs INSIDE the client namespace as a child
 * `node --import tsx bench/fixtures/vpn-bench-child.ts` reporting JSON lines; the echo server is the same file with
 * ROLE=echo, inside gw. Figures:
 *  - connection set-up time (connect() called → socket usable, as in modes.bench.ts): DirectTransport to gw's veth
 *    address vs VpnTransport (kill switch on: interface check + `ip route get` + bind to the tunnel address) to gw's
 *    tunnel address; medians of ROUNDS interleaved rounds, VPN as a ratio to Direct; and, to split that figure, the
 *    same VpnTransport with its kill switch off (test-only option: a bare bind to the tunnel address), i.e. what the
 *    tunnel itself costs (wireguard-go on both ends) without the kill switch's checks;
 *  - reconnect time on a mode switch Direct ↔ VPN with ModeManager: an open connection is closed by the switch and
 *    its owner connects again at once through the new mode; time from switchTo() to the new connection's first echo,
 *    medians over SWITCHES switches (and per direction), as a ratio to the 1 s goal.
 * The warm-up checks that each path uses its own local address, and WireGuard's counters that the tunnel carried data.
 */
import { resolve } from 'node:path';
import { NetnsRig } from '../test/rig/netns';
import { finishRunDir, makeRunDir, RigError, waitFor, type ManagedProcess } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const ROUNDS = 30;
const SWITCHES = 20;
const GOAL_MS = 1000;
const ROOT = resolve(import.meta.dirname, '..');
const CHILD = resolve(import.meta.dirname, 'fixtures/vpn-bench-child.ts');
const CLIENT_PHYS = '10.233.1.2';
const GW_PHYS = '10.233.1.1';
const CLIENT_TUN = '10.233.9.2';
const GW_TUN = '10.233.9.1';
const WG_PORT = 51820;
const ECHO_PORT = 7000;

type Event = Record<string, unknown> & { ev: string };

function events(proc: ManagedProcess): Event[] {
  return proc.jsonLines<Event>();
}

/** Waits for the child's event `ev`; fails early on abort, on an "error" event, or when the child exits. */
function waitEvent(proc: ManagedProcess, ev: string, timeoutMs: number, signal: AbortSignal): Promise<Event> {
  return waitFor(
    `${proc.name}: ${ev}`,
    () => {
      signal.throwIfAborted();
      const all = events(proc);
      const error = all.find((e) => e.ev === 'error');
      if (error !== undefined) throw new RigError(`${proc.name} failed: ${String(error.message)}\n${proc.tail()}`);
      const hit = all.find((e) => e.ev === ev);
      if (hit === undefined && !proc.running) throw new RigError(`${proc.name} exited:\n${proc.tail()}`);
      return hit;
    },
    timeoutMs,
    20,
  );
}

const num = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RigError(`not a number: ${JSON.stringify(v)}`);
  return v;
};

/** Bytes received and sent by the WireGuard interface, from `wg show IF transfer`. */
async function wgTransfer(rig: NetnsRig, ns: string, ifname: string): Promise<number> {
  const out = await rig.exec(ns, ['wg', 'show', ifname, 'transfer']);
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .reduce((sum, cols) => sum + Number(cols[1] ?? 0) + Number(cols[2] ?? 0), 0);
}

const bench: Bench = {
  title: 'VPN (WireGuard in network namespaces): connection set-up vs Direct; reconnect time on a Direct ↔ VPN switch',
  async run(signal) {
    if (process.getuid?.() !== 0) throw new RigError('this benchmark needs root (network namespaces, wireguard-go)');
    const dir = await makeRunDir('vpn-bench');
    const rig = new NetnsRig(dir);
    let failed = true;
    try {
      const client = await rig.addNamespace('bclient');
      const gw = await rig.addNamespace('bgw');
      signal.throwIfAborted();
      await rig.veth({ ns: client, name: `c${rig.tag}`, cidr: `${CLIENT_PHYS}/24` }, { ns: gw, name: `g${rig.tag}`, cidr: `${GW_PHYS}/24` });
      const [wgC] = await rig.wireguard(
        { ns: client, ifname: `wg${rig.tag}c`, cidr: `${CLIENT_TUN}/24`, endpoint: `${GW_PHYS}:${String(WG_PORT)}`, allowedIps: `${GW_TUN}/32` },
        { ns: gw, ifname: `wg${rig.tag}g`, cidr: `${GW_TUN}/24`, listenPort: WG_PORT, allowedIps: `${CLIENT_TUN}/32` },
      );
      signal.throwIfAborted();
      const child = (ns: string, label: string, env: Record<string, string>): ManagedProcess =>
        rig.spawn(ns, label, [process.execPath, '--import', 'tsx', CHILD], { cwd: ROOT, env: { ...process.env, ECHO_PORT: String(ECHO_PORT), ...env } });
      const echo = child(gw, 'echo', { ROLE: 'echo', ECHO_HOSTS: `${GW_PHYS},${GW_TUN}` });
      await waitEvent(echo, 'listening', 20_000, signal);

      const wgBefore = await wgTransfer(rig, client, wgC.spec.ifname);
      const cli = child(client, 'client', {
        ROLE: 'client',
        DIRECT_HOST: GW_PHYS,
        VPN_HOST: GW_TUN,
        VPN_IF: wgC.spec.ifname,
        ROUNDS: String(ROUNDS),
        SWITCHES: String(SWITCHES),
      });
      const ready = await waitEvent(cli, 'ready', 20_000, signal);
      if (ready.directLocal !== CLIENT_PHYS || ready.vpnLocal !== CLIENT_TUN || ready.tunnelLocal !== CLIENT_TUN) {
        throw new RigError(`wrong paths: Direct used ${String(ready.directLocal)}, VPN ${String(ready.vpnLocal)}, bare tunnel ${String(ready.tunnelLocal)}`);
      }
      await waitEvent(cli, 'done', 120_000, signal);
      const wgBytes = (await wgTransfer(rig, client, wgC.spec.ifname)) - wgBefore;
      if (wgBytes <= 0) throw new RigError('the WireGuard interface carried nothing');

      const all = events(cli);
      const setups = all.filter((e) => e.ev === 'setup');
      const switches = all.filter((e) => e.ev === 'switch');
      if (setups.length !== ROUNDS || switches.length !== SWITCHES) {
        throw new RigError(`expected ${String(ROUNDS)} rounds and ${String(SWITCHES)} switches, got ${String(setups.length)} and ${String(switches.length)}`);
      }
      const direct = median(setups.map((e) => num(e.direct)));
      const vpn = median(setups.map((e) => num(e.vpn)));
      const tunnel = median(setups.map((e) => num(e.tunnel)));
      const back = (pred: (e: Event) => boolean): number => median(switches.filter(pred).map((e) => num(e.reconnectMs)));
      const goal = (ms: number): NonNullable<Figure['ratio']> => ({ value: ms / GOAL_MS, against: 'of the 1 s goal' });
      const both = back(() => true);
      const toVpn = back((e) => e.to === 'vpn');
      const toDirect = back((e) => e.to === 'direct');
      const half = String(SWITCHES / 2);
      failed = false;
      return [
        { name: `connection set-up, direct (median of ${String(ROUNDS)})`, value: direct, unit: 'ms' },
        { name: `connection set-up, vpn (median of ${String(ROUNDS)})`, value: vpn, unit: 'ms', ratio: { value: vpn / direct, against: 'vs direct' } },
        {
          name: `connection set-up, vpn with the kill switch off: the tunnel alone (median of ${String(ROUNDS)})`,
          value: tunnel,
          unit: 'ms',
          ratio: { value: tunnel / direct, against: 'vs direct' },
        },
        { name: `reconnect after a mode switch, Direct ↔ VPN (median of ${String(SWITCHES)})`, value: both, unit: 'ms', ratio: goal(both) },
        { name: `reconnect after a mode switch, Direct → VPN (median of ${half})`, value: toVpn, unit: 'ms', ratio: goal(toVpn) },
        { name: `reconnect after a mode switch, VPN → Direct (median of ${half})`, value: toDirect, unit: 'ms', ratio: goal(toDirect) },
      ];
    } finally {
      await rig.destroy();
      await finishRunDir(dir, failed && !signal.aborted); // logs kept on failure, not when the user stopped the run
    }
  },
};

export default bench;
