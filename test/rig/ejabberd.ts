/**
 * Two ejabberd nodes clustered into one XMPP domain (default c.test), node 1 on 127.0.0.4 and node 2 on 127.0.0.5,
 * each with its own c2s port (free ports), spool, logs and config, TLS from a throw-away CA: what failover between
 * the endpoints of one gateway needs (ejabberd does not move sessions between nodes; the client reconnects).
 *
 * How it is run (Debian ejabberd 23.01, OTP 25):
 * - No epmd: ejabberdctl's ERL_DIST_PORT makes every node listen for Erlang distribution on that one port and look
 *   for other nodes on it (`-erl_epmd_port`), so each node binds it on its own address (`inet_dist_use_interface`) and
 *   is named by that address (`ejabberd1@127.0.0.4`). Nothing is shared with other runs or a system ejabberd: one
 *   port free on both addresses, and a random cookie.
 * - `ejabberdctl start` detaches; the node's real beam pid is in its pid file (EJABBERD_PID_PATH): kill() sends it
 *   SIGKILL, stop() SIGTERM (the VM's init:stop) then SIGKILL. Each ejabberdctl call starts an Erlang VM (0.2–0.6 s).
 * - As root, ejabberdctl runs the node as the `ejabberd` user: the run dir is made traversable and the node dirs
 *   are given to that user.
 * - `join_cluster` replaces node 2's database with node 1's: users are registered after the join, and then exist on
 *   both. A node killed and started again rejoins by itself (its schema names the other node).
 * - inetrc limits name look-ups to /etc/hosts, and s2s is off: the nodes make no DNS query.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTestCa } from './ca';
import { canConnect, finishRunDir, freePort, freePortOnAll, logTail, makeRunDir, RigError, waitFor } from './util';

export class EjabberdError extends RigError {
  override name = 'EjabberdError';
}

export interface EjabberdNode {
  /** Erlang node name, e.g. ejabberd1@127.0.0.4. */
  readonly name: string;
  /** The loopback address its c2s listener (and Erlang distribution) is on. */
  readonly host: string;
  readonly c2sPort: number;
  readonly dir: string;
  /** ejabberd's own log. */
  readonly logFile: string;
  /** The beam's pid while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Starts it (again) and resolves when its c2s port accepts connections. */
  start(): Promise<void>;
  /** kill -9 of the beam; resolves when it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Runs `ejabberdctl <args>` against this node; resolves with its stdout. */
  ctl(args: readonly string[], timeoutMs?: number): Promise<string>;
}

export interface EjabberdSession {
  jid: string;
  /** The Erlang node the session is on. */
  node: string;
}

export interface EjabberdCluster {
  readonly domain: string;
  readonly nodes: readonly [EjabberdNode, EjabberdNode];
  readonly caFile: string;
  readonly caPem: string;
  readonly runDir: string;
  /** Wall time of startEjabberdCluster: CA, both nodes, the join. */
  readonly startedInMs: number;
  /** Registers a user (through a running node; the cluster shares it). */
  register(username: string, password: string): Promise<void>;
  /** The sessions of the whole cluster, each with the node it is on (asked through a running node). */
  sessions(): Promise<EjabberdSession[]>;
  /** Stops both nodes, then removes the run dir (kept, with log tails printed, if `failed`). */
  stop(failed?: boolean): Promise<void>;
}

export interface EjabberdClusterOptions {
  /** Default c.test. */
  domain?: string;
  /** Default 127.0.0.4 and 127.0.0.5. */
  hosts?: readonly [string, string];
  /** Run dir name part (default 'ejabberd'). */
  name?: string;
  /** Per node start, and the join (default 30 s). */
  startTimeoutMs?: number;
}

const CTL_TIMEOUT_MS = 30_000;
// Every beam this process started, so that a crashed test run still takes them down.
const liveBeams = new Set<number>();
process.once('exit', () => {
  for (const pid of liveBeams) signal(pid, 'SIGKILL');
});

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function ipTuple(ip: string): string {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new EjabberdError(`not an IPv4 address: ${ip}`);
  return `{${ip.split('.').join(',')}}`;
}

interface NodeSpec {
  index: number;
  host: string;
  c2sPort: number;
  distPort: number;
  cookie: string;
  domain: string;
  certFile: string;
}

function ctlConfig(s: NodeSpec, dir: string): string {
  return [
    `ERLANG_NODE=ejabberd${String(s.index)}@${s.host}`,
    `ERL_DIST_PORT=${String(s.distPort)}`,
    `ERL_OPTIONS="-setcookie ${s.cookie} -kernel inet_dist_use_interface ${ipTuple(s.host)} -env ERL_CRASH_DUMP_BYTES 0"`,
    `EJABBERD_PID_PATH=${join(dir, 'ejabberd.pid')}`,
    `CONTRIB_MODULES_PATH=${join(dir, 'contrib')}`,
    `CONTRIB_MODULES_CONF_DIR=${join(dir, 'contrib', 'conf')}`,
    'EJABBERD_BYPASS_WARNINGS=true',
    '',
  ].join('\n');
}

function serverConfig(s: NodeSpec): string {
  return `loglevel: info
log_rotate_count: 0
hosts: [${JSON.stringify(s.domain)}]
certfiles: [${JSON.stringify(s.certFile)}]
listen:
  - port: ${String(s.c2sPort)}
    ip: ${JSON.stringify(s.host)}
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 262144
s2s_access: none
auth_method: internal
auth_password_format: scram
disable_sasl_mechanisms: [digest-md5, x-oauth2]
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
api_permissions:
  "console commands":
    from: [ejabberd_ctl]
    who: all
    what: "*"
modules:
  mod_admin_extra: {}
  mod_disco: {}
  mod_offline: {}
  mod_ping: {}
  mod_roster: {}
  mod_stream_mgmt: {}
`;
}

class Node implements EjabberdNode {
  readonly name: string;
  readonly logFile: string;
  private beam: number | undefined;
  private readonly etc: string;
  private readonly pidFile: string;

  constructor(
    private readonly spec: NodeSpec,
    readonly dir: string,
    private readonly startTimeoutMs: number,
  ) {
    this.name = `ejabberd${String(spec.index)}@${spec.host}`;
    this.etc = join(dir, 'etc');
    this.pidFile = join(dir, 'ejabberd.pid');
    this.logFile = join(dir, 'logs', 'ejabberd.log');
  }

  get host(): string {
    return this.spec.host;
  }

  get c2sPort(): number {
    return this.spec.c2sPort;
  }

  get pid(): number | undefined {
    return this.beam !== undefined && alive(this.beam) ? this.beam : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  async prepare(): Promise<void> {
    for (const d of ['etc', 'spool', 'logs', 'contrib/conf']) await mkdir(join(this.dir, d), { recursive: true });
    await writeFile(join(this.etc, 'ejabberdctl.cfg'), ctlConfig(this.spec, this.dir));
    await writeFile(join(this.etc, 'ejabberd.yml'), serverConfig(this.spec));
    await writeFile(join(this.etc, 'inetrc'), '{lookup, [file]}.\n');
  }

  ctl(args: readonly string[], timeoutMs = CTL_TIMEOUT_MS): Promise<string> {
    const argv = ['--config-dir', this.etc, '--spool', join(this.dir, 'spool'), '--logs', join(this.dir, 'logs'), ...args];
    const ctlLog = join(this.dir, 'ctl.log');
    return new Promise((resolve, reject) => {
      execFile('ejabberdctl', argv, { timeout: timeoutMs }, (err, stdout, stderr) => {
        appendFileSync(ctlLog, `$ ejabberdctl ${args.join(' ')}\n${stdout}${stderr}${err === null ? '' : `[rig] ${err.message}\n`}`);
        if (err === null) resolve(stdout);
        else {
          const hint = process.getuid?.() === 0 ? '' : ' (ejabberdctl must run as root or as the ejabberd user)';
          reject(new EjabberdError(`ejabberdctl ${args[0] ?? ''} on ${this.name} failed${hint}: ${err.message}\n${stdout}${stderr}`));
        }
      });
    });
  }

  async start(): Promise<void> {
    if (this.running) throw new EjabberdError(`${this.name} is already running`);
    await rm(this.pidFile, { force: true });
    await this.ctl(['start']);
    const pid = await waitFor(`${this.name} to write its pid file`, () => readPid(this.pidFile), this.startTimeoutMs, 20).catch((err: unknown) => {
      throw new EjabberdError(`${this.name} did not start: ${String(err)}\n--- ${this.logFile}\n${logTail(this.logFile)}`);
    });
    this.beam = pid;
    liveBeams.add(pid);
    await this.waitReady();
  }

  /** Its c2s port accepts connections (after a start or a join, which restarts ejabberd in the node). */
  async waitReady(): Promise<void> {
    try {
      await waitFor(
        `${this.name} c2s port`,
        async () => {
          if (!this.running) throw new EjabberdError(`${this.name} exited while starting`);
          return (await canConnect(this.host, this.c2sPort, 1000)) ? true : undefined;
        },
        this.startTimeoutMs,
        50,
      );
    } catch (err) {
      throw new EjabberdError(`${this.name} is not ready: ${err instanceof Error ? err.message : String(err)}\n--- ${this.logFile}\n${logTail(this.logFile)}`);
    }
  }

  async kill(): Promise<void> {
    await this.end('SIGKILL', 0);
  }

  async stop(graceMs = 5000): Promise<void> {
    await this.end('SIGTERM', graceMs);
  }

  private async end(first: NodeJS.Signals, graceMs: number): Promise<void> {
    const pid = this.beam;
    if (pid === undefined) return;
    signal(pid, first);
    const gone = (): true | undefined => (alive(pid) ? undefined : true);
    try {
      await waitFor(`${this.name} to exit`, gone, graceMs, 10);
    } catch {
      signal(pid, 'SIGKILL');
      await waitFor(`${this.name} to exit after SIGKILL`, gone, 5000, 10);
    }
    liveBeams.delete(pid);
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

async function execChown(owner: string, dir: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('chown', ['-R', owner, dir], { timeout: 10_000 }, (err) => {
      if (err === null) resolve();
      else reject(new EjabberdError(`chown ${owner} ${dir} failed: ${err.message}`));
    });
  });
}

/** `connected_users_info` lines: jid, connection, ip, port, priority, node, uptime, status, resource, statustext. */
export function parseSessions(text: string): EjabberdSession[] {
  return text
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((cols) => cols.length >= 6 && cols[0] !== '')
    .map((cols) => ({ jid: cols[0] ?? '', node: cols[5] ?? '' }));
}

export async function startEjabberdCluster(opts: EjabberdClusterOptions = {}): Promise<EjabberdCluster> {
  const t0 = performance.now();
  const domain = opts.domain ?? 'c.test';
  const hosts = opts.hosts ?? ['127.0.0.4', '127.0.0.5'];
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const runDir = await makeRunDir(opts.name ?? 'ejabberd');
  const nodes: Node[] = [];
  try {
    await chmod(runDir, 0o755); // the nodes run as the ejabberd user
    const [ca, distPort, c2s1, c2s2] = await Promise.all([
      makeTestCa(join(runDir, 'certs'), [domain]),
      freePortOnAll(hosts),
      freePort(hosts[0]),
      freePort(hosts[1]),
    ]);
    const cert = ca.certs.get(domain);
    if (cert === undefined) throw new EjabberdError(`no certificate for ${domain}`);
    const pem = `${await readFile(cert.certFile, 'utf8')}${await readFile(cert.keyFile, 'utf8')}`;
    const cookie = randomBytes(16).toString('hex');
    for (const [i, c2sPort] of [c2s1, c2s2].entries()) {
      const dir = join(runDir, `node${String(i + 1)}`);
      const certFile = join(dir, 'etc', 'server.pem');
      const node = new Node({ index: i + 1, host: hosts[i] ?? '', c2sPort, distPort, cookie, domain, certFile }, dir, startTimeoutMs);
      await node.prepare();
      await writeFile(certFile, pem, { mode: 0o600 });
      if (process.getuid?.() === 0) await execChown('ejabberd:ejabberd', dir);
      nodes.push(node);
    }
    const [n1, n2] = nodes;
    if (n1 === undefined || n2 === undefined) throw new EjabberdError('expected two nodes');
    await Promise.all([n1.start(), n2.start()]);
    await n2.ctl(['join_cluster', n1.name], startTimeoutMs);
    await n2.waitReady();
    const members = await n1.ctl(['list_cluster']);
    if (!members.includes(n2.name)) throw new EjabberdError(`the join did not take: list_cluster says\n${members}`);
    const startedInMs = performance.now() - t0;
    const through = (): Node => {
      const node = nodes.find((n) => n.running);
      if (node === undefined) throw new EjabberdError('no node of the cluster is running');
      return node;
    };
    return {
      domain,
      nodes: [n1, n2],
      caFile: ca.caFile,
      caPem: ca.caPem,
      runDir,
      startedInMs,
      async register(username, password) {
        await through().ctl(['register', username, domain, password]);
      },
      async sessions() {
        return parseSessions(await through().ctl(['connected_users_info']));
      },
      async stop(failed = false) {
        await Promise.all(nodes.map((n) => n.stop()));
        await finishRunDir(runDir, failed);
      },
    };
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    await finishRunDir(runDir, true);
    throw err;
  }
}
