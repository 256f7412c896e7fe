/**
 * Network namespaces for leak tests (root): namespaces with unique names, veth links between them, a WireGuard tunnel
 * (wireguard-go, userspace: the kernel here has no WireGuard module), processes run inside a namespace, and tcpdump
 * captures of one interface. Nothing is routed to the host: the veths join namespaces to each other only, so test
 * addresses (e.g. 10.231.x.y) exist nowhere else. IPv6 is disabled in every namespace unless asked for, so that the
 * kernel's own IPv6 chatter (router solicitations, DAD) does not show up in captures; a capture filter that counts
 * "everything but the allowed traffic" still counts any IPv6 packet.
 * Facts: /work/shared/notes/network-namespaces-and-capture.md. Teardown: destroy(), and a sync sweep at process exit.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, RigError, logTail, waitFor } from './util';

const CMD_TIMEOUT_MS = 10_000;

/** Runs a command with a deadline; fails with its stderr. `input` goes to its stdin. */
export function run(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new RigError('empty command'));
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? CMD_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new RigError(`${argv.join(' ')} failed: ${stderr.trim() || err.message}`));
    });
    child.stdin?.on('error', () => undefined); // a command that does not read its stdin
    if (opts.input === undefined) child.stdin?.end();
    else child.stdin?.end(opts.input);
  });
}

// Every namespace not yet deleted, so that a crashed run still removes them.
const liveNamespaces = new Set<string>();
process.once('exit', () => {
  for (const ns of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // already gone
    }
  }
});

export interface VethEnd {
  ns: string;
  name: string;
  /** Address with prefix length, e.g. 10.231.1.2/24. */
  cidr: string;
}

export interface WgEndSpec {
  ns: string;
  /** Must be unique on the whole host: wireguard-go's control socket is /var/run/wireguard/NAME.sock. */
  ifname: string;
  cidr: string;
  listenPort?: number;
  /** The peer's endpoint, ip:port (the side that initiates). */
  endpoint?: string;
  /** What this side sends into the tunnel, e.g. 0.0.0.0/0. */
  allowedIps: string;
}

/** One side of a WireGuard tunnel run by wireguard-go inside a namespace. */
export class WgEnd {
  proc: ManagedProcess | undefined;
  peer: WgEnd | undefined;
  publicKey = '';
  private readonly keyFile: string;
  private starts = 0;

  constructor(
    private readonly rig: NetnsRig,
    readonly spec: WgEndSpec,
  ) {
    this.keyFile = join(rig.dir, `${spec.ifname}.key`);
  }

  get socketPath(): string {
    return `/var/run/wireguard/${this.spec.ifname}.sock`;
  }

  async makeKey(): Promise<void> {
    const key = (await run(['wg', 'genkey'])).trim();
    writeFileSync(this.keyFile, `${key}\n`, { mode: 0o600 });
    this.publicKey = (await run(['wg', 'pubkey'], { input: `${key}\n` })).trim();
  }

  /** Starts the daemon (creating the device), configures keys and peer, adds the address and sets the link up. */
  async start(): Promise<void> {
    const { ns, ifname } = this.spec;
    if (this.peer === undefined) throw new RigError(`${ifname} has no peer`);
    rmSync(this.socketPath, { force: true });
    this.starts += 1;
    const proc = this.rig.spawn(ns, `wireguard-go-${ifname}-${String(this.starts)}`, ['env', 'WG_PROCESS_FOREGROUND=1', 'wireguard-go', ifname]);
    this.proc = proc;
    await waitFor(`${ifname}'s control socket`, () => (existsSync(this.socketPath) ? true : proc.running ? undefined : fail(proc)), 5000, 20);
    const set = ['wg', 'set', ifname, 'private-key', this.keyFile];
    if (this.spec.listenPort !== undefined) set.push('listen-port', String(this.spec.listenPort));
    set.push('peer', this.peer.publicKey, 'allowed-ips', this.spec.allowedIps);
    if (this.spec.endpoint !== undefined) set.push('endpoint', this.spec.endpoint);
    await this.rig.exec(ns, set);
    await this.rig.ip(ns, 'addr', 'add', this.spec.cidr, 'dev', ifname);
    await this.rig.ip(ns, 'link', 'set', ifname, 'up');
  }

  /** SIGKILL: the daemon dies, and with it the device, its address and its routes. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    proc.kill('SIGKILL');
    await Promise.race([proc.exited, sleepReject(5000, `${this.spec.ifname} did not exit`)]);
    rmSync(this.socketPath, { force: true });
    this.proc = undefined;
  }
}

function fail(proc: ManagedProcess): never {
  throw new RigError(`${proc.name} exited:\n${proc.tail()}`);
}

function sleepReject(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => {
      reject(new RigError(what));
    }, ms).unref();
  });
}

/** A tcpdump of one interface inside a namespace, written to a pcap file. */
export class Capture {
  private constructor(
    readonly proc: ManagedProcess,
    readonly file: string,
  ) {}

  static async start(rig: NetnsRig, ns: string, iface: string, label: string): Promise<Capture> {
    const file = join(rig.dir, `${label}.pcap`);
    const proc = rig.spawn(ns, `tcpdump-${label}`, ['tcpdump', '-Z', 'root', '--immediate-mode', '-U', '-i', iface, '-nn', '-w', file]);
    await waitFor(`tcpdump on ${iface} listening`, () => (logTail(proc.logFile, 5).includes('listening on') ? true : proc.running ? undefined : fail(proc)), 5000, 20);
    return new Capture(proc, file);
  }

  /** SIGINT: tcpdump flushes the file and exits. */
  async stop(): Promise<void> {
    this.proc.kill('SIGINT');
    const timer = setTimeout(() => {
      this.proc.kill('SIGKILL');
    }, 5000);
    await this.proc.exited;
    clearTimeout(timer);
  }

  /** The packets (one text line each) that match a pcap filter. */
  async read(filter = ''): Promise<string[]> {
    const out = await run(['tcpdump', '-r', this.file, '-nn', '-tt', ...(filter === '' ? [] : [filter])]);
    return out.split('\n').filter((l) => l.trim() !== '');
  }
}

export class NetnsRig {
  /** Five random base-36 characters: names of namespaces and interfaces of this rig carry it. */
  readonly tag = BigInt(`0x${randomBytes(4).toString('hex')}`).toString(36).padStart(5, '0').slice(-5);
  private readonly namespaces: string[] = [];
  private readonly procs: ManagedProcess[] = [];
  private readonly wgEnds: WgEnd[] = [];

  constructor(readonly dir: string) {}

  /** Creates `cove-<tag>-<role>` with lo up (and IPv6 off unless `ipv6`). */
  async addNamespace(role: string, opts: { ipv6?: boolean } = {}): Promise<string> {
    const ns = `cove-${this.tag}-${role}`;
    await run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    liveNamespaces.add(ns);
    if (opts.ipv6 !== true) {
      await this.exec(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    await this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair made straight inside the two namespaces, addressed and up. */
  async veth(a: VethEnd, b: VethEnd): Promise<void> {
    await run(['ip', 'link', 'add', a.name, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns]);
    for (const end of [a, b]) {
      await this.ip(end.ns, 'addr', 'add', end.cidr, 'dev', end.name);
      await this.ip(end.ns, 'link', 'set', end.name, 'up');
    }
  }

  /** `ip -n NS …` */
  ip(ns: string, ...args: string[]): Promise<string> {
    return run(['ip', '-n', ns, ...args]);
  }

  exec(ns: string, argv: readonly string[], timeoutMs = CMD_TIMEOUT_MS): Promise<string> {
    return run(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs });
  }

  /** A long-running process inside the namespace (`ip netns exec` execs it: the pid is the program's own). */
  spawn(ns: string, label: string, argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ManagedProcess {
    const proc = new ManagedProcess(label, 'ip', ['netns', 'exec', ns, ...argv], join(this.dir, `${label}.log`), opts);
    this.procs.push(proc);
    return proc;
  }

  /** Writes /etc/netns/<ns>/<file> (resolv.conf, hosts), which `ip netns exec` mounts over /etc/<file>. */
  writeEtc(ns: string, file: 'resolv.conf' | 'hosts', text: string): void {
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns}/${file}`, text);
  }

  /** Two wireguard-go ends with fresh keys, started and up (routes are the caller's). */
  async wireguard(a: WgEndSpec, b: WgEndSpec): Promise<[WgEnd, WgEnd]> {
    const ea = new WgEnd(this, a);
    const eb = new WgEnd(this, b);
    ea.peer = eb;
    eb.peer = ea;
    this.wgEnds.push(ea, eb);
    await Promise.all([ea.makeKey(), eb.makeKey()]);
    await Promise.all([eb.start(), ea.start()]);
    return [ea, eb];
  }

  capture(ns: string, iface: string, label: string): Promise<Capture> {
    return Capture.start(this, ns, iface, label);
  }

  /** Stops every process, deletes the namespaces (their veths and tun devices go with them). Never throws. */
  async destroy(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(2000).catch(() => undefined)));
    for (const end of this.wgEnds) rmSync(end.socketPath, { force: true });
    for (const ns of this.namespaces.reverse()) {
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
      liveNamespaces.delete(ns);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
}
