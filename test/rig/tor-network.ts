/**
 * A private Tor network on 127.0.0.1 for integration tests and benchmarks: three directory authorities (which are
 * relays too), one middle relay, one exit that may only exit to 127.0.0.0/8, one client with a SocksPort and a
 * ControlPort, and one onion-service host driven through its ControlPort. Every node is a Debian `tor` process with
 * its own DataDirectory, torrc and notice log under one run directory. Settings: /work/shared/notes/private-tor-network.md.
 *
 * Why 7 processes and not fewer: an onion service needs at least 5 relays (a 3-hop path, plus a separate
 * introduction point and rendezvous point), and the authorities are already 3 of them.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SocksClient } from 'socks';
import { consensusHasAll, fetchConsensus, TorControlMini } from './tor-control-mini';
import { AUTHORITY_LINES, EXIT_POLICY, networkTorrcLines } from './tor-torrc';
import { finishRunDir, freePort, makeRunDir, ManagedProcess, RigError, waitFor, waitForTcp } from './util';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export { clientTorrcLines, EXIT_POLICY, networkTorrcLines } from './tor-torrc';

export class TorNetworkError extends RigError {
  override name = 'TorNetworkError';
}

export interface HostPort { host: string; port: number }
export interface ControlEndpoint extends HostPort { cookieFile: string }

/** A client tor of the network: the rig's own, or an extra one started with `network.startClient()`. */
export interface ClientTor {
  readonly name: string;
  readonly dataDir: string;
  readonly torrcFile: string;
  readonly pid: number;
  readonly socks: HostPort;
  readonly control: ControlEndpoint;
  /** When this tor was spawned (epoch ms). */
  readonly launchedAt: number;
  /** Resolves once bootstrap is at 100 %, with the ms since `launchedAt`. */
  waitBootstrapped(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export interface TorNetworkTimings {
  /** Authority keys (tor-gencert, run in parallel) and fingerprints. */
  keygenMs: number;
  /** Network start → the authorities serve a consensus listing every relay (clients start then). */
  consensusMs: number;
  /** Network start → the client at 100 %. */
  bootstrapMs: number;
  /** Network start → the client has the exit's descriptor, so streams to 127.0.0.0/8 can leave the network. */
  exitReadyMs: number;
}

export interface TorNetwork {
  readonly runDir: string;
  readonly startedAt: number;
  readonly clientSocks: HostPort;
  readonly clientControl: ControlEndpoint;
  /** The `DirAuthority ...` torrc lines of the three authorities. */
  readonly dirAuthorityLines: readonly string[];
  /** Network start → client bootstrap at 100 % (ms). */
  readonly bootstrapMs: number;
  readonly timings: TorNetworkTimings;
  /** ADD_ONION on the onion-service host, in front of `target`; the virtual port is the rig's choice. */
  addOnion(target: HostPort): Promise<{ onion: string; port: number }>;
  /** SOCKS-connects through the client until the onion answers, with a capped back-off; resolves with the ms taken. */
  waitForOnion(onion: string, port: number, timeoutMs?: number): Promise<number>;
  /** Starts another, independent client tor on this network (its torrc: `clientTorrcLines(network)` + `extraLines`). */
  startClient(opts: { name: string; extraLines?: readonly string[] }): Promise<ClientTor>;
  /** Pids of every tor process the rig started (including extra clients), running or not. */
  pids(): number[];
  /** SIGTERM to every tor of the network, wait until all are gone, then remove the run dir (kept, with log tails
   *  printed, if `failed`). Idempotent. */
  stop(failed?: boolean): Promise<void>;
}

/** A SOCKS5 connect through tor; tor cannot resolve names here, so `dest.host` is an IP or a .onion. */
export async function socksConnect(socks: HostPort, dest: HostPort, timeoutMs: number): Promise<Socket> {
  const { socket } = await SocksClient.createConnection({
    proxy: { host: socks.host, port: socks.port, type: 5 },
    command: 'connect',
    destination: { host: dest.host, port: dest.port },
    timeout: timeoutMs,
  });
  return socket;
}

interface Authority { name: string; dataDir: string; orPort: number; dirPort: number }

/** Distinct free ports, each checked free at allocation. */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > n * 10) throw new TorNetworkError(`could not find ${n} distinct free ports`);
    ports.add(await freePort(HOST));
  }
  return [...ports];
}

/** tor-gencert (an RSA-3072 identity key: CPU-heavy) and then the relay fingerprint; returns the DirAuthority line. */
async function makeAuthorityKeys(a: Authority, emptyTorrc: string, signal?: AbortSignal): Promise<string> {
  const keys = join(a.dataDir, 'keys');
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const gencert = run(
    'tor-gencert',
    ['--create-identity-key', '-m', '12', '-a', `${HOST}:${a.dirPort}`, '--passphrase-fd', '0'],
    { cwd: keys, timeout: 60_000, signal },
  );
  gencert.child.stdin?.end('');
  await gencert;
  await run(
    'tor',
    ['--list-fingerprint', '--quiet', '-f', emptyTorrc, '--defaults-torrc', emptyTorrc, '--DataDirectory', a.dataDir,
      '--ORPort', `${HOST}:${a.orPort}`, '--Nickname', a.name],
    { timeout: 30_000, signal },
  );
  const cert = await readFile(join(keys, 'authority_certificate'), 'utf8');
  const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
  const fpr = (await readFile(join(a.dataDir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1];
  if (v3ident === undefined || fpr === undefined || !/^[0-9A-F]{40}$/.test(fpr)) {
    throw new TorNetworkError(`${a.name}: could not read its fingerprints`);
  }
  return `DirAuthority ${a.name} orport=${a.orPort} no-v2 v3ident=${v3ident} ${HOST}:${a.dirPort} ${fpr}`;
}

function nodeLines(dataDir: string, name: string): string[] {
  return [
    `DataDirectory ${dataDir}`,
    // tor wants 1–19 letters and digits; the name is also a directory name, so it may hold more.
    `Nickname ${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 19) || 'node'}`,
    `Log notice file ${join(dataDir, 'notice.log')}`,
    'SafeLogging 0',
    'RunAsDaemon 0',
    'ShutdownWaitLength 0',
    // tor exits by itself if the test process dies without tearing the rig down.
    `__OwningControllerProcess ${process.pid}`,
  ];
}

function controlLines(port: number, cookieFile: string): string[] {
  return [`ControlPort ${HOST}:${port}`, 'CookieAuthentication 1', `CookieAuthFile ${cookieFile}`];
}


/** Spawns tor from `lines` (written to <dataDir>/torrc) with an empty defaults file, so no system torrc applies. */
async function spawnTor(runDir: string, name: string, lines: readonly string[]): Promise<{ proc: ManagedProcess; dataDir: string; torrcFile: string }> {
  const dataDir = join(runDir, name);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const torrcFile = join(dataDir, 'torrc');
  await writeFile(torrcFile, `${lines.join('\n')}\n`);
  const proc = new ManagedProcess(name, 'tor', ['-f', torrcFile, '--defaults-torrc', join(runDir, 'empty-defaults')],
    join(dataDir, 'stdout.log'));
  return { proc, dataDir, torrcFile };
}

function deadlineCheck(what: string, deadline: number, alive: () => void): () => void {
  return () => {
    alive();
    if (Date.now() > deadline) throw new TorNetworkError(`timed out waiting for ${what}`);
  };
}

/**
 * Starts the network, again (3 tries at most) when a node could not bind a port it was given: ports are checked free
 * a few seconds before the relays start, and another test's server can take one in between.
 */
export async function startTorNetwork(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TorNetwork> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startTorNetworkOnce(opts);
    } catch (err) {
      const busy = err instanceof Error && err.message.includes('Address already in use');
      if (attempt >= 3 || opts.signal?.aborted === true || !busy) throw err;
    }
  }
}

async function startTorNetworkOnce(opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<TorNetwork> {
  const startedAt = Date.now();
  const deadline = startedAt + (opts.timeoutMs ?? 150_000);
  const runDir = await makeRunDir('tor');
  const procs: ManagedProcess[] = [];
  const controls: TorControlMini[] = [];
  const stoppedOnPurpose = new Set<ManagedProcess>();
  const alive = (): void => {
    opts.signal?.throwIfAborted();
    const dead = procs.find((p) => !p.running && !stoppedOnPurpose.has(p));
    if (dead !== undefined) throw new TorNetworkError(`${dead.name} exited early:\n${dead.tail()}`);
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const p of procs) stoppedOnPurpose.add(p);
      for (const c of controls) c.close();
      await Promise.all(procs.map((p) => p.stop(2000)));
    })();
    return stopped;
  };
  try {
    const emptyTorrc = join(runDir, 'empty-defaults');
    await writeFile(emptyTorrc, '');
    // 3 authorities × (OR, Dir) + middle OR + exit OR + client (SOCKS, control) + onion host control + dead DNS.
    const ports = await freePorts(12);
    const port = (i: number): number => ports[i] ?? 0;
    const auths: Authority[] = [0, 1, 2].map((i) => ({
      name: `auth${i}`,
      dataDir: join(runDir, `auth${i}`),
      orPort: port(2 * i),
      dirPort: port(2 * i + 1),
    }));
    const dirAuthorityLines = await Promise.all(auths.map((a) => makeAuthorityKeys(a, emptyTorrc, opts.signal)));
    const keygenMs = Date.now() - startedAt;
    opts.signal?.throwIfAborted();

    const common = networkTorrcLines(dirAuthorityLines);
    for (const a of auths) {
      const lines = [...common, ...nodeLines(a.dataDir, a.name), ...AUTHORITY_LINES, 'SocksPort 0',
        `Address ${HOST}`, `ORPort ${HOST}:${a.orPort}`, `DirPort ${HOST}:${a.dirPort}`, `ContactInfo ${a.name}@rig.invalid`];
      procs.push((await spawnTor(runDir, a.name, lines)).proc);
    }
    const middleDir = join(runDir, 'middle');
    procs.push((await spawnTor(runDir, 'middle', [...common, ...nodeLines(middleDir, 'middle'), 'SocksPort 0',
      `Address ${HOST}`, `ORPort ${HOST}:${port(6)}`, 'ExitRelay 0', 'ExitPolicy reject *:*'])).proc);
    // The exit may only reach loopback, and its resolver is a loopback port where nothing listens.
    const exitDir = join(runDir, 'exit');
    await mkdir(exitDir, { recursive: true, mode: 0o700 });
    const resolvConf = join(exitDir, 'resolv.conf');
    await writeFile(resolvConf, `nameserver ${HOST}:${port(11)}\n`);
    procs.push((await spawnTor(runDir, 'exit', [...common, ...nodeLines(exitDir, 'exit'), 'SocksPort 0',
      `Address ${HOST}`, `ORPort ${HOST}:${port(7)}`, 'ExitRelay 1', 'IPv6Exit 0', 'ExitPolicyRejectPrivate 0',
      'ExitPolicyRejectLocalInterfaces 0', ...EXIT_POLICY, 'RefuseUnknownExits 0', 'ServerDNSDetectHijacking 0', 'ServerDNSAllowBrokenConfig 1',
      `ServerDNSResolvConfFile ${resolvConf}`])).proc);

    // Clients start once the authorities serve a consensus with every relay: a client that got an earlier, nearly
    // empty consensus waits for the next fetch (~15 s) and picks its vanguards from too few relays.
    const relays = [...auths.map((a) => a.name), 'middle', 'exit'];
    await waitFor('a consensus with all relays', async () => {
      alive();
      return consensusHasAll(await fetchConsensus(HOST, auths[0]?.dirPort ?? 0), relays) ? true : undefined;
    }, Math.max(0, deadline - Date.now()), 200);
    const consensusMs = Date.now() - startedAt;

    const onionDir = join(runDir, 'onion');
    const onionControl: ControlEndpoint = { host: HOST, port: port(10), cookieFile: join(onionDir, 'control_auth_cookie') };
    procs.push((await spawnTor(runDir, 'onion', [...common, ...nodeLines(onionDir, 'onion'), 'SocksPort 0',
      ...controlLines(onionControl.port, onionControl.cookieFile)])).proc);

    const launchClient = async (name: string, extra: readonly string[], socksPort: number, controlPort: number): Promise<ClientTor> => {
      const dataDir = join(runDir, name);
      const control: ControlEndpoint = { host: HOST, port: controlPort, cookieFile: join(dataDir, 'control_auth_cookie') };
      const launchedAt = Date.now();
      const { proc, torrcFile } = await spawnTor(runDir, name, [...common, ...nodeLines(dataDir, name),
        `SocksPort ${HOST}:${socksPort}`, ...controlLines(controlPort, control.cookieFile), ...extra]);
      procs.push(proc);
      const waitBootstrapped = async (timeoutMs: number): Promise<number> => {
        const check = deadlineCheck(`${name} to bootstrap`, Date.now() + timeoutMs, alive);
        await waitForTcp(HOST, controlPort, { timeoutMs, proc });
        const ctl = await TorControlMini.open(HOST, controlPort, control.cookieFile, { label: `${name} control` });
        controls.push(ctl);
        try {
          await ctl.waitBootstrapped(check);
        } finally {
          ctl.close();
        }
        return Date.now() - launchedAt;
      };
      return { name, dataDir, torrcFile, pid: proc.pid, socks: { host: HOST, port: socksPort }, control, launchedAt,
        waitBootstrapped, stop: async () => {
          stoppedOnPurpose.add(proc);
          await proc.stop(2000);
        } };
    };
    const client = await launchClient('client', [], port(8), port(9));

    // The client at 100 %, then until it knows the exit, so a test's first stream does not wait for the next consensus.
    await client.waitBootstrapped(Math.max(0, deadline - Date.now()));
    const bootstrapMs = Date.now() - startedAt;
    const exitFpr = (await readFile(join(exitDir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1] ?? '';
    const clientCtl = await TorControlMini.open(HOST, client.control.port, client.control.cookieFile, { label: 'client control' });
    controls.push(clientCtl);
    await waitFor('the client to have the exit\'s descriptor', async () => {
      alive();
      return (await clientCtl.getInfo(`desc/id/${exitFpr}`).then(() => true, () => false)) ? true : undefined;
    }, Math.max(0, deadline - Date.now()), 200);
    const exitReadyMs = Date.now() - startedAt;

    let onionCtl: Promise<TorControlMini> | undefined;
    const onionHost = (): Promise<TorControlMini> => {
      onionCtl ??= (async () => {
        const c = deadlineCheck('the onion-service host to bootstrap', Date.now() + 60_000, alive);
        const ctl = await TorControlMini.open(onionControl.host, onionControl.port, onionControl.cookieFile, { label: 'onion control' });
        controls.push(ctl);
        await ctl.waitBootstrapped(c);
        return ctl;
      })();
      return onionCtl;
    };
    let nextVirtualPort = 7000;

    return {
      runDir,
      startedAt,
      clientSocks: client.socks,
      clientControl: client.control,
      dirAuthorityLines,
      bootstrapMs,
      timings: { keygenMs, consensusMs, bootstrapMs, exitReadyMs },
      addOnion: async (target) => {
        const port = nextVirtualPort++;
        const onion = await (await onionHost()).addOnion(port, target);
        return { onion, port };
      },
      waitForOnion: async (onion, port, timeoutMs = 120_000) => {
        const t0 = Date.now();
        let backoff = 250;
        let lastError = '';
        let lastNewnym = t0;
        for (;;) {
          alive();
          const left = t0 + timeoutMs - Date.now();
          if (left <= 0) throw new TorNetworkError(`${onion}:${port} not reachable after ${timeoutMs} ms: ${lastError}`);
          try {
            const sock = await socksConnect(client.socks, { host: onion, port }, Math.min(left, 30_000));
            sock.destroy();
            return Date.now() - t0;
          } catch (err) {
            lastError = err instanceof Error ? err.message : String(err);
          }
          // A client that looked the onion up before its descriptor reached the HSDirs does not ask those HSDirs
          // again for 15 minutes; NEWNYM purges that memory (and tor honours one per 10 s).
          if (Date.now() - lastNewnym > 10_000) {
            lastNewnym = Date.now();
            await clientCtl.command('SIGNAL NEWNYM').catch(() => undefined);
          }
          await sleep(Math.min(backoff, Math.max(0, t0 + timeoutMs - Date.now())));
          backoff = Math.min(backoff * 2, 2000);
        }
      },
      startClient: async ({ name, extraLines = [] }) => {
        if (stopped !== undefined) throw new TorNetworkError('the network is stopped');
        const [socksPort = 0, controlPort = 0] = await freePorts(2);
        return launchClient(name, extraLines, socksPort, controlPort);
      },
      pids: () => procs.map((p) => p.pid),
      stop: async (failed = false) => {
        await stop();
        await finishRunDir(runDir, failed);
      },
    };
  } catch (err) {
    await stop();
    await finishRunDir(runDir, true);
    throw err;
  }
}
