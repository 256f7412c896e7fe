/**
 * An obfs4 bridge on the rig's private Tor network: a `tor` with `BridgeRelay 1` that the authorities never hear of
 * (`PublishServerDescriptor 0`), its obfs4 server run by Debian's `obfs4proxy` on a loopback port. A client reaches the
 * network only through it, given the bridge line this reads back from obfs4proxy's `pt_state/obfs4_bridgeline.txt`
 * (cert= and iat-mode=) and tor's `fingerprint` file. obfs4proxy logs each connection it accepts (addresses scrubbed)
 * to `pt_state/obfs4proxy.log`, which `obfs4Connections()` counts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TorControlMini } from './tor-control-mini';
import { networkTorrcLines, type HostPort } from './tor-network';
import { finishRunDir, freePort, makeRunDir, ManagedProcess, RigError, waitFor, waitForTcp } from './util';

const HOST = '127.0.0.1';

export class TorBridgeError extends RigError {
  override name = 'TorBridgeError';
}

export interface Obfs4Bridge {
  readonly runDir: string;
  readonly dataDir: string;
  readonly pid: number;
  /** The bridge's relay identity (40 upper-case hex digits). */
  readonly fingerprint: string;
  /** Where obfs4proxy listens for clients. */
  readonly obfs4: HostPort;
  /** The tor's own ORPort (clients never need it: they come through obfs4). */
  readonly orPort: number;
  /** `obfs4 127.0.0.1:PORT FINGERPRINT cert=… iat-mode=…`, as a `Bridge` torrc option takes it. */
  readonly bridgeLine: string;
  /** Spawn → bridge bootstrapped with its obfs4 port open (ms). */
  readonly startMs: number;
  /** Connections obfs4proxy has accepted so far ("new connection" lines of its log). */
  obfs4Connections(): number;
  /** SIGTERM (SIGKILL after 2 s) and remove the run dir, which is kept with its logs when `failed`. Idempotent. */
  stop(failed: boolean): Promise<void>;
}

/** Reads obfs4proxy's generated client line and fills in the address and fingerprint it leaves as placeholders. */
export function obfs4BridgeLineFrom(fileText: string, address: HostPort, fingerprint: string): string {
  const line = fileText.split('\n').map((l) => l.trim()).find((l) => l.startsWith('Bridge obfs4 '));
  if (line === undefined) throw new TorBridgeError('obfs4_bridgeline.txt has no "Bridge obfs4" line');
  const m = /^Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> (cert=\S+ iat-mode=\d)$/.exec(line);
  if (m?.[1] === undefined) throw new TorBridgeError(`unexpected obfs4 bridge line: ${line}`);
  return `obfs4 ${address.host}:${address.port} ${fingerprint} ${m[1]}`;
}

export async function startObfs4Bridge(
  network: { dirAuthorityLines: readonly string[] },
  opts: { name?: string; obfs4proxy?: string; timeoutMs?: number } = {},
): Promise<Obfs4Bridge> {
  const name = opts.name ?? 'bridge';
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const t0 = Date.now();
  const runDir = await makeRunDir(`tor-${name}`);
  const dataDir = join(runDir, name);
  const ptState = join(dataDir, 'pt_state');
  let proc: ManagedProcess | undefined;
  let ctl: TorControlMini | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (failed: boolean): Promise<void> => {
    stopped ??= (async () => {
      ctl?.close();
      await proc?.stop(2000);
      await finishRunDir(runDir, failed);
    })();
    return stopped;
  };
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const ports = new Set<number>();
    while (ports.size < 3) ports.add(await freePort(HOST));
    const [orPort = 0, obfs4Port = 0, controlPort = 0] = [...ports];
    const cookieFile = join(dataDir, 'control_auth_cookie');
    const lines = [
      ...networkTorrcLines(network.dirAuthorityLines),
      `DataDirectory ${dataDir}`,
      `Nickname ${name}`,
      `Log notice file ${join(dataDir, 'notice.log')}`,
      'SafeLogging 0',
      'RunAsDaemon 0',
      'ShutdownWaitLength 0',
      `__OwningControllerProcess ${process.pid}`,
      'SocksPort 0',
      `ControlPort ${HOST}:${controlPort}`,
      'CookieAuthentication 1',
      `CookieAuthFile ${cookieFile}`,
      'BridgeRelay 1',
      'PublishServerDescriptor 0',
      `Address ${HOST}`,
      `ORPort ${HOST}:${orPort}`,
      'ExtORPort auto',
      'ExitRelay 0',
      'ExitPolicy reject *:*',
      `ServerTransportPlugin obfs4 exec ${opts.obfs4proxy ?? '/usr/bin/obfs4proxy'} -enableLogging -logLevel INFO`,
      `ServerTransportListenAddr obfs4 ${HOST}:${obfs4Port}`,
    ];
    const torrcFile = join(dataDir, 'torrc');
    const emptyDefaults = join(runDir, 'empty-defaults');
    await writeFile(torrcFile, `${lines.join('\n')}\n`);
    await writeFile(emptyDefaults, '');
    const p = new ManagedProcess(name, 'tor', ['-f', torrcFile, '--defaults-torrc', emptyDefaults], join(dataDir, 'stdout.log'));
    proc = p;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    const alive = (): void => {
      if (!p.running) throw new TorBridgeError(`${name} exited early:\n${p.tail()}`);
      if (Date.now() > deadline) throw new TorBridgeError(`${name} did not come up in ${timeoutMs} ms:\n${p.tail()}`);
    };

    await waitForTcp(HOST, controlPort, { timeoutMs: left(), proc: p });
    ctl = await TorControlMini.open(HOST, controlPort, cookieFile, { label: `${name} control` });
    // A bridge serves directory information to its clients: it must have joined the network itself first.
    await ctl.waitBootstrapped(alive);
    await waitForTcp(HOST, obfs4Port, { timeoutMs: left(), proc: p });
    const lineFile = join(ptState, 'obfs4_bridgeline.txt');
    await waitFor(`${name}'s obfs4_bridgeline.txt`, () => {
      alive();
      return existsSync(lineFile) ? true : undefined;
    }, left(), 100);
    const fingerprint = (await readFile(join(dataDir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1] ?? '';
    if (!/^[0-9A-F]{40}$/.test(fingerprint)) throw new TorBridgeError(`${name}: unreadable fingerprint file`);
    const bridgeLine = obfs4BridgeLineFrom(await readFile(lineFile, 'utf8'), { host: HOST, port: obfs4Port }, fingerprint);
    ctl.close();
    ctl = undefined;
    const obfs4Log = join(ptState, 'obfs4proxy.log');
    return {
      runDir,
      dataDir,
      pid: p.pid,
      fingerprint,
      obfs4: { host: HOST, port: obfs4Port },
      orPort,
      bridgeLine,
      startMs: Date.now() - t0,
      obfs4Connections: () => (existsSync(obfs4Log) ? readFileSync(obfs4Log, 'utf8').split('\n').filter((l) => /obfs4\(.*\) - new connection/.test(l)).length : 0),
      stop,
    };
  } catch (err) {
    await stop(true);
    throw err;
  }
}
