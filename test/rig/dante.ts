/**
 * A real SOCKS5 proxy for the tests: Debian's `danted` (dante-server 1.4) on 127.0.0.1 at a free port.
 *
 * dante checks RFC 1929 passwords against the SYSTEM password files and resolves destination names with the system
 * resolver. So that nothing on the machine changes, danted runs as root in a private mount namespace
 * (`unshare --mount --propagation private`) in which generated /etc/passwd, /etc/shadow, /etc/group (root, nobody, the
 * test user), /etc/hosts (the rig's test domains), /etc/nsswitch.conf (files only) and /etc/resolv.conf (a loopback
 * "DNS trap" that only counts datagrams) are bind-mounted over the real ones. The namespace dies with its last process.
 *
 * danted forks a dozen children. It also runs as pid 1 of its own PID namespace (`--pid --fork`): when it exits or is
 * killed, the kernel kills and reaps every child, so stop() leaves no process, not even a zombie (orphans of a
 * plain mount namespace were seen waiting as zombies for 1-5 s until this machine's init reaped them). `unshare --fork` forwards no signal, so we signal danted's pid directly.
 *
 * The log is read back by `connections()`: with `requestLog` (default) dante runs at `debug: 1`, which names what each
 * client asked for (the domain name when the client sent ATYP 3) next to the address dante connected to. That costs
 * about 27 KB of log per connection, and no measurable time. Without it, the log holds only the address dante
 * connected to, and a name it could not resolve is not listed at all.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseAuthFailures, parseConnections, type DanteAuthFailure, type DanteConnection } from './dante-log';
import { ManagedProcess, RigError, finishRunDir, freePort, makeRunDir, waitFor, waitForTcp } from './util';

export type { DanteAuthFailure, DanteConnection } from './dante-log';

export const DEFAULT_TEST_HOSTS: Readonly<Record<string, string>> = { 'a.test': '127.0.0.2', 'b.test': '127.0.0.3' };
const NOBODY = 65534;

export interface DanteOptions {
  /** RFC 1929 username/password (default) or no authentication (`socksmethod: none`). */
  auth?: boolean;
  username?: string;
  /** Default: random. */
  password?: string;
  /** Names dante resolves from its private /etc/hosts. Default DEFAULT_TEST_HOSTS. */
  hosts?: Readonly<Record<string, string>>;
  /** Destination networks dante may connect to; everything else is blocked (and logged). Default 127.0.0.0/8. */
  allow?: readonly string[];
  /** Run at `debug: 1` so that the log names what each client requested. Default true. */
  requestLog?: boolean;
  startTimeoutMs?: number;
  /** The IPv4 address dante listens on (e.g. a veth address inside a network namespace). Default 127.0.0.1. */
  listen?: string;
  /** Networks clients may connect from. Default 127.0.0.0/8; with `listen` given, that address's /24 is added. */
  clientNets?: readonly string[];
}

export async function startDante(opts: DanteOptions = {}): Promise<Dante> {
  if (process.getuid?.() !== 0) throw new RigError('the dante rig needs root (private mount namespace, shadow file)');
  const auth = opts.auth ?? true;
  const username = opts.username ?? 'coveproxy';
  const password = opts.password ?? randomBytes(12).toString('hex');
  const hosts = opts.hosts ?? DEFAULT_TEST_HOSTS;
  const allow = opts.allow ?? ['127.0.0.0/8'];
  const listen = opts.listen ?? '127.0.0.1';
  const clientNets = opts.clientNets ?? (opts.listen === undefined ? ['127.0.0.0/8'] : ['127.0.0.0/8', `${listen.split('.').slice(0, 3).join('.')}.0/24`]);
  validate(username, hosts, [...allow, ...clientNets, `${listen}/32`]);

  const runDir = await makeRunDir(auth ? 'dante' : 'dante-noauth');
  try {
    const port = await freePort(listen);
    const trap = await openDnsTrap();
    const files = writeRunFiles(runDir, { port, auth, username, password, hosts, allow, trapAddress: trap.address, requestLog: opts.requestLog ?? true, listen, clientNets });
    const dante = new Dante(listen, runDir, port, auth, username, password, files, trap, opts.startTimeoutMs ?? 10_000);
    try {
      await dante.start();
    } catch (err) {
      await dante.close(true);
      throw err;
    }
    return dante;
  } catch (err) {
    if (existsSync(runDir)) await finishRunDir(runDir, true);
    throw err;
  }
}

type RunFiles = Record<'script' | 'config' | 'pidFile' | 'logFile' | 'consoleLog' | 'tmpDir', string>;
type DnsTrap = Awaited<ReturnType<typeof openDnsTrap>>;

/** A running (or stopped) dante; `startDante()` makes one. */
export class Dante {
  /** Milliseconds from spawn to an open port, of the last start. */
  startedInMs = 0;
  private proc: ManagedProcess | undefined;
  private mountNs: string | undefined;
  private motherPid: number | undefined;
  private closed = false;

  /** `username`/`password` are unused by dante when `auth` is false. */
  constructor(
    /** The address dante listens on (127.0.0.1 unless `listen` was given). */
    readonly host: string,
    readonly runDir: string,
    readonly port: number,
    readonly auth: boolean,
    readonly username: string,
    readonly password: string,
    private readonly files: RunFiles,
    private readonly trap: DnsTrap,
    private readonly startTimeoutMs: number,
  ) {}

  /** dante's own log (`logoutput`); its stdout/stderr go to danted-console.log next to it. */
  get logFile(): string {
    return this.files.logFile;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** dante's mother process: pid 1 of its own PID namespace, the only child of the `unshare` we spawn. */
  get pid(): number | undefined {
    return this.running ? this.motherPid : undefined;
  }

  /** Start again on the same port after stop(). */
  async start(): Promise<void> {
    if (this.running || this.closed) throw new RigError(`dante is ${this.closed ? 'closed' : 'already running'}`);
    const t0 = performance.now();
    const args = ['--mount', '--pid', '--fork', '--propagation', 'private', '/bin/sh', this.files.script];
    const proc = new ManagedProcess('danted', 'unshare', args, this.files.consoleLog, {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: this.files.tmpDir },
    });
    this.proc = proc;
    await waitForTcp(this.host, this.port, { timeoutMs: this.startTimeoutMs, proc });
    this.startedInMs = Math.round(performance.now() - t0);
    const mother = childrenOf(proc.pid)[0];
    if (mother === undefined) throw new RigError(`danted listens, but unshare (pid ${proc.pid}) has no child`);
    this.motherPid = mother;
    mothers.add(mother);
    this.mountNs = readlinkSync(`/proc/${mother}/ns/mnt`);
  }

  /** Stop dante and wait until none of its processes is left. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    const mother = this.motherPid ?? childrenOf(proc.pid)[0];
    // unshare ignores SIGTERM and forwards nothing: signal danted itself. unshare exits once it has reaped danted.
    if (mother !== undefined) {
      signal(mother, 'SIGTERM');
      if (!(await exitsWithin(proc, 3000))) signal(mother, 'SIGKILL');
      await exitsWithin(proc, 3000);
      mothers.delete(mother);
    }
    await proc.stop(1000);
    this.motherPid = undefined;
    const ns = this.mountNs;
    if (ns !== undefined) {
      await waitFor('every dante process to be gone', () => (processesInMountNs(ns).length === 0 ? true : undefined), 3000, 50);
    }
  }

  /** stop(), close the DNS trap, and remove the run dir (kept with its logs when `failed`). */
  async close(failed: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.stop();
    } finally {
      await this.trap.close();
      await finishRunDir(this.runDir, failed);
    }
  }

  /** Every live process of this dante (unshare, the mother, its children): all that share its mount namespace. */
  pids(): number[] {
    return this.mountNs === undefined || !this.running ? [] : processesInMountNs(this.mountNs);
  }

  /** Datagrams that reached the namespace's only DNS server address (should stay 0: dante resolves from files). */
  dnsQueries(): number {
    return this.trap.count();
  }

  logMark(): number {
    return existsSync(this.logFile) ? statSync(this.logFile).size : 0;
  }

  /** CONNECT requests in the log; with `fromOffset` from logMark(), only those logged since. */
  connections(fromOffset = 0): DanteConnection[] {
    return parseConnections(this.readLog(), fromOffset);
  }

  authFailures(fromOffset = 0): DanteAuthFailure[] {
    return parseAuthFailures(this.readLog(), fromOffset);
  }

  private readLog(): Buffer {
    return existsSync(this.logFile) ? readFileSync(this.logFile) : Buffer.alloc(0);
  }
}

function validate(username: string, hosts: Readonly<Record<string, string>>, allow: readonly string[]): void {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(username) || ['root', 'nobody'].includes(username)) {
    throw new RigError(`unusable dante username ${JSON.stringify(username)}`);
  }
  for (const [name, addr] of Object.entries(hosts)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name) || isIP(addr) === 0) throw new RigError(`bad hosts entry ${name} -> ${addr}`);
  }
  for (const net of allow) {
    const [addr, bits] = net.split('/');
    if (addr === undefined || isIP(addr) !== 4 || !/^\d{1,2}$/.test(bits ?? '')) throw new RigError(`bad allow network ${net}`);
  }
}

function writeRunFiles(
  dir: string,
  o: {
    port: number; auth: boolean; username: string; password: string; hosts: Readonly<Record<string, string>>; allow: readonly string[];
    trapAddress: string; requestLog: boolean; listen: string; clientNets: readonly string[];
  },
): RunFiles {
  const etc = join(dir, 'etc');
  const tmpDir = join(dir, 'tmp');
  mkdirSync(etc);
  mkdirSync(tmpDir);
  // danted drops to `nobody` and keeps lock files in TMPDIR: nobody must reach it.
  chmodSync(dir, 0o711);
  chownSync(tmpDir, NOBODY, NOBODY);
  const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${o.password}\n`, timeout: 10_000 }).toString().trim();
  const uid = 60_001;
  const etcFiles: Record<string, [string, number]> = {
    passwd: [`root:x:0:0:root:/root:/bin/sh\nnobody:x:${NOBODY}:${NOBODY}:nobody:/nonexistent:/usr/sbin/nologin\n${o.username}:x:${uid}:${uid}:cove test:/nonexistent:/usr/sbin/nologin\n`, 0o644],
    shadow: [`root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n${o.username}:${hash}:19000:0:99999:7:::\n`, 0o600],
    group: [`root:x:0:\nnogroup:x:${NOBODY}:\n${o.username}:x:${uid}:\n`, 0o644],
    hosts: [`127.0.0.1 localhost\n::1 localhost\n${Object.entries(o.hosts).map(([n, a]) => `${a} ${n}`).join('\n')}\n`, 0o644],
    'nsswitch.conf': ['passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\nservices: files\nprotocols: files\n', 0o644],
    'resolv.conf': [`nameserver ${o.trapAddress}\noptions timeout:1 attempts:1\n`, 0o644],
  };
  for (const [name, [text, mode]] of Object.entries(etcFiles)) writeFileSync(join(etc, name), text, { mode });

  const f = { config: join(dir, 'danted.conf'), pidFile: join(dir, 'danted.pid'), logFile: join(dir, 'danted.log'), consoleLog: join(dir, 'danted-console.log') };
  const rules = o.clientNets.flatMap((from) => o.allow.map((net) => `socks pass { from: ${from} to: ${net} log: connect disconnect error }`));
  writeFileSync(
    f.config,
    [
      `logoutput: ${f.logFile}`,
      ...(o.requestLog ? ['debug: 1'] : []),
      `internal: ${o.listen} port = ${o.port}`,
      'external: 127.0.0.1',
      'clientmethod: none',
      `socksmethod: ${o.auth ? 'username' : 'none'}`,
      'user.privileged: root',
      'user.unprivileged: nobody',
      ...o.clientNets.map((from) => `client pass { from: ${from} to: 0.0.0.0/0 log: error }`),
      ...rules,
      'socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect error }',
      '',
    ].join('\n'),
  );
  const script = join(dir, 'start.sh');
  const mounts = Object.keys(etcFiles).map((name) => `mount --bind '${join(etc, name)}' '/etc/${name}'`);
  writeFileSync(script, ['set -e', ...mounts, `exec danted -f '${f.config}' -p '${f.pidFile}'`, ''].join('\n'));
  return { ...f, script, tmpDir };
}

// The mother of every running dante: if the test process dies, SIGKILL them (the kernel then kills their children).
const mothers = new Set<number>();
process.once('exit', () => {
  for (const pid of mothers) signal(pid, 'SIGKILL');
});

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function exitsWithin(proc: ManagedProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([proc.exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every process whose mount namespace is `ns` (readlink of /proc/PID/ns/mnt). */
function processesInMountNs(ns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/mnt`) === ns) out.push(Number(name));
    } catch {
      // gone meanwhile, or a zombie
    }
  }
  return out;
}

/** A UDP socket on a random 127.53.x.y:53 that counts what arrives: the namespace's only "DNS server". */
async function openDnsTrap() {
  for (let attempt = 0; ; attempt++) {
    const [x = 0, y = 0] = randomBytes(2);
    const address = `127.53.${(x % 250) + 1}.${(y % 250) + 1}`;
    const sock: UdpSocket = createSocket('udp4');
    let n = 0;
    sock.on('message', () => (n += 1));
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind({ address, port: 53, exclusive: true }, () => {
          sock.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      sock.close();
      if (attempt < 5) continue;
      throw new RigError(`could not open a DNS trap on 127.53.x.y:53: ${String(err)}`);
    }
    sock.unref();
    return {
      address,
      count: () => n,
      close: () => new Promise<void>((resolve) => sock.close(resolve)),
    };
  }
}
