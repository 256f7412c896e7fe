/**
 * Two federated Prosody servers for tests: a.test on 127.0.0.2 and b.test on 127.0.0.3, each with its own c2s and
 * s2s port (free ports on its address), data dir and log, TLS everywhere from a throw-away CA, and s2s routed by
 * mod_cove_static_s2s to the other one's address: no DNS look-up at all. Both run server/prosody/cove.cfg.lua
 * unchanged; everything per instance goes in through COVE_XMPP_* environment variables.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestCa, type TestCa } from './ca';
import { finishRunDir, freePort, logTail, makeRunDir, ManagedProcess, RigError, waitFor, waitForTcp } from './util';

export const PROSODY_CONFIG = fileURLToPath(new URL('../../server/prosody/cove.cfg.lua', import.meta.url));

export class ProsodyError extends RigError {
  override name = 'ProsodyError';
}

export interface ProsodyServer {
  readonly domain: string;
  /** The loopback address it listens on (c2s and s2s). */
  readonly host: string;
  readonly c2sPort: number;
  readonly s2sPort: number;
  readonly dataDir: string;
  /**
   * Prosody's own log (level info unless COVE_RIG_PROSODY_DEBUG=1; addresses and JIDs redacted at info, as for an
   * operator, not at debug). Start-up errors go to `stdoutLog`.
   */
  readonly logFile: string;
  readonly stdoutLog: string;
  readonly running: boolean;
  /** A clean shutdown (SIGTERM; SIGKILL once Prosody logged it is done, or after 5 s); resolves when it is gone. */
  stop(): Promise<void>;
  /** Starts it again with the same ports, data and certificate; resolves when both ports accept connections. */
  start(): Promise<void>;
  /** A position in `logFile`, for waitForLog: take it before the action whose log line you want to see. */
  logMark(): number;
  /**
   * Waits until `logFile` shows `text` after `mark`, e.g. that this server noticed an s2s link closing. For the
   * moments no protocol event tells about; the lines are Prosody 0.12's info-level messages.
   */
  waitForLog(text: string, mark: number, timeoutMs: number): Promise<void>;
}

export interface ProsodyPair {
  readonly a: ProsodyServer;
  readonly b: ProsodyServer;
  readonly servers: readonly [ProsodyServer, ProsodyServer];
  /** PEM file of the test CA, and its text for `ca` in TLS options. */
  readonly caFile: string;
  readonly caPem: string;
  readonly runDir: string;
  /** Wall time of startProsodyPair: CA + both servers up. */
  readonly startedInMs: number;
  /** Of which making the CA and certificates. */
  readonly caMs: number;
  /** Stops both servers, then removes the run dir (kept, with log tails printed, if `failed`). */
  stop(failed?: boolean): Promise<void>;
}

export interface ProsodyPairOptions {
  /** Per server, for start() and restarts (default 20 s). */
  startTimeoutMs?: number;
  /** Run dir name part (default 'prosody'). */
  name?: string;
  /**
   * Prosody log level; default info, or debug with COVE_RIG_PROSODY_DEBUG=1 (debug logs IP addresses). Not warn:
   * stop() reads the info line "Shutdown complete".
   */
  logLevel?: 'debug' | 'info';
  /** Bandwidth per client connection (cove.cfg.lua's C2S_RATE, default its own 64kb/s), e.g. for throughput benches. */
  c2sRate?: string;
  /** Bandwidth per incoming server connection (cove.cfg.lua's S2S_RATE, default its own 256kb/s). */
  s2sRate?: string;
}

interface InstanceSpec {
  domain: string;
  host: string;
  peer: { domain: string; host: string; s2sPort: number };
}

class ProsodyInstance implements ProsodyServer {
  readonly dataDir: string;
  readonly logFile: string;
  readonly stdoutLog: string;
  private proc: ManagedProcess | undefined;

  constructor(
    readonly domain: string,
    readonly host: string,
    readonly c2sPort: number,
    readonly s2sPort: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly startTimeoutMs: number,
  ) {
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'prosody.log');
    this.stdoutLog = join(dir, 'stdout.log');
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) throw new ProsodyError(`${this.domain} is already running`);
    await mkdir(this.dataDir, { recursive: true });
    const proc = new ManagedProcess(`prosody ${this.domain}`, 'prosody', ['--config', PROSODY_CONFIG, '-F'], this.stdoutLog, {
      cwd: this.dir,
      env: this.env,
    });
    this.proc = proc;
    try {
      // The probe connects and closes at once; now and then Prosody 0.12 logs "Error calling onconnect ... field
      // 'conn'" for it (a harmless race in its epoll backend), so do not read errors in the log as failures.
      await waitForTcp(this.host, this.c2sPort, { timeoutMs: this.startTimeoutMs, proc });
      await waitForTcp(this.host, this.s2sPort, { timeoutMs: this.startTimeoutMs, proc });
    } catch (err) {
      await proc.stop(500);
      const why = err instanceof Error ? err.message : String(err);
      throw new ProsodyError(`${this.domain} did not start: ${why}\n--- ${this.logFile}\n${logTail(this.logFile)}`);
    }
  }

  logMark(): number {
    return fileSize(this.logFile);
  }

  async waitForLog(text: string, mark: number, timeoutMs: number): Promise<void> {
    await waitFor(`"${text}" in ${this.logFile}`, () => (readFrom(this.logFile, mark).includes(text) ? true : undefined), timeoutMs, 20);
  }

  /**
   * SIGTERM, then wait for Prosody to log "Shutdown complete". After that it only idles in its event loop until its
   * next timer fires (up to about 1 s) before it exits, so it is SIGKILLed then; SIGKILL also if it takes too long.
   */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    const logStart = this.logMark();
    proc.kill('SIGTERM');
    try {
      await waitFor(
        `${this.domain} to shut down`,
        () => (!proc.running || readFrom(this.logFile, logStart).includes('\tShutdown complete') ? true : undefined),
        STOP_GRACE_MS,
        20,
      );
    } catch {
      // Not done in time: killed below all the same.
    }
    proc.kill('SIGKILL');
    await proc.exited;
  }
}

const STOP_GRACE_MS = 5_000;

function fileSize(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

function readFrom(file: string, offset: number): string {
  const size = fileSize(file);
  if (size <= offset) return '';
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/** Environment for one instance: the outer COVE_XMPP_* are dropped so that only ours count. */
function instanceEnv(spec: InstanceSpec, ports: { c2s: number; s2s: number }, dir: string, ca: TestCa, level: string, rates: { c2sRate?: string | undefined; s2sRate?: string | undefined }): NodeJS.ProcessEnv {
  const cert = ca.certs.get(spec.domain);
  if (cert === undefined) throw new ProsodyError(`no certificate for ${spec.domain}`);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COVE_XMPP_')) env[k] = v;
  return {
    ...env,
    COVE_XMPP_DOMAIN: spec.domain,
    COVE_XMPP_LISTEN: spec.host,
    COVE_XMPP_C2S_PORT: String(ports.c2s),
    COVE_XMPP_S2S_PORT: String(ports.s2s),
    COVE_XMPP_DATA_DIR: join(dir, 'data'),
    COVE_XMPP_CERT: cert.certFile,
    COVE_XMPP_KEY: cert.keyFile,
    COVE_XMPP_CA_FILE: ca.caFile,
    COVE_XMPP_PIDFILE: join(dir, 'prosody.pid'),
    COVE_XMPP_LOG_FILE: join(dir, 'prosody.log'),
    COVE_XMPP_LOG_LEVEL: level,
    // Debug runs are for reading the rig's own traffic: unredacted (the addresses are loopback, the users made up).
    COVE_XMPP_LOG_REDACT: level === 'debug' ? 'false' : 'true',
    // No settings file: a cove.env someone left next to the config must not change the rig.
    COVE_XMPP_SETTINGS: '-',
    // Open sign-up, unthrottled for the rig's clients, which all connect from loopback (127.0.0.1 as source).
    COVE_XMPP_REGISTRATION: 'open',
    COVE_XMPP_REGISTRATION_ALLOWLIST: '127.0.0.1 ::1',
    COVE_XMPP_MAM_EXPIRES: '1d',
    COVE_XMPP_S2S_ROUTES: `${spec.peer.domain}=${spec.peer.host}:${spec.peer.s2sPort}`,
    COVE_XMPP_S2S_ROUTES_ONLY: 'true',
    COVE_XMPP_RUN_AS_ROOT: process.getuid?.() === 0 ? 'true' : 'false',
    ...(rates.c2sRate === undefined ? {} : { COVE_XMPP_C2S_RATE: rates.c2sRate }),
    ...(rates.s2sRate === undefined ? {} : { COVE_XMPP_S2S_RATE: rates.s2sRate }),
  };
}

export async function startProsodyPair(opts: ProsodyPairOptions = {}): Promise<ProsodyPair> {
  const t0 = performance.now();
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const level = opts.logLevel ?? (process.env.COVE_RIG_PROSODY_DEBUG === '1' ? 'debug' : 'info');
  const runDir = await makeRunDir(opts.name ?? 'prosody');
  const servers: ProsodyInstance[] = [];
  try {
    const hosts = { 'a.test': '127.0.0.2', 'b.test': '127.0.0.3' } as const;
    const [ca, aC2s, aS2s, bC2s, bS2s] = await Promise.all([
      makeTestCa(join(runDir, 'certs'), Object.keys(hosts)),
      freePort(hosts['a.test']),
      freePort(hosts['a.test']),
      freePort(hosts['b.test']),
      freePort(hosts['b.test']),
    ]);
    const caMs = performance.now() - t0;
    const specs = [
      { domain: 'a.test', host: hosts['a.test'], ports: { c2s: aC2s, s2s: aS2s }, peer: { domain: 'b.test', host: hosts['b.test'], s2sPort: bS2s } },
      { domain: 'b.test', host: hosts['b.test'], ports: { c2s: bC2s, s2s: bS2s }, peer: { domain: 'a.test', host: hosts['a.test'], s2sPort: aS2s } },
    ];
    for (const spec of specs) {
      const dir = join(runDir, spec.domain);
      await mkdir(dir, { recursive: true });
      const env = instanceEnv(spec, spec.ports, dir, ca, level, { c2sRate: opts.c2sRate, s2sRate: opts.s2sRate });
      servers.push(new ProsodyInstance(spec.domain, spec.host, spec.ports.c2s, spec.ports.s2s, dir, env, startTimeoutMs));
    }
    await Promise.all(servers.map((s) => s.start()));
    const [a, b] = servers;
    if (a === undefined || b === undefined) throw new ProsodyError('expected two servers');
    const startedInMs = performance.now() - t0;
    return {
      a,
      b,
      servers: [a, b],
      caFile: ca.caFile,
      caPem: ca.caPem,
      runDir,
      startedInMs,
      caMs,
      async stop(failed = false) {
        await Promise.all(servers.map((s) => s.stop()));
        await finishRunDir(runDir, failed);
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    await finishRunDir(runDir, true);
    throw err;
  }
}
