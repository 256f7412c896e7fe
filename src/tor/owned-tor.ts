/**
 * The tor process Cove owns, started the way Tor Browser starts its tor: offline (`DisableNetwork 1`), ports chosen
 * by the OS, control port written to a file, `__OwningControllerProcess` so tor exits with Cove, then over the
 * control port TAKEOWNERSHIP (tor exits when our control connection closes), events on, and only then
 * `DisableNetwork 0`. It reports bootstrap progress, suggests bridges when stuck, notices a crash at once ("down":
 * every connection in Tor mode is refused meanwhile) and restarts with a capped back-off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoveError } from '../api/result';
import { redact } from '../log/redact';
import { bundledTorRuntime } from '../platform/resources';
import type { BridgeLine } from './bridges';
import { findTorBinaries, findTransportPlugins } from './binary';
import { BootstrapTracker } from './bootstrap';
import { clockSkew, parseControlPortFile, TorControlClient, TorError } from './control';
import { circuitsAndStreams, LIVE_EVENTS, NewnymLimiter, toCircuitInfo, watchCircuits } from './control-common';
import { socksOf, type CircuitInfo, type StreamInfo, type TorEvents, type TorProvider, type TorState } from './provider';
import { cleanStaleTor, torArgv } from './stale';
import { buildTorrc, torrcPaths, type UpstreamProxy } from './torrc';
import { torVersionStatus } from './version';

export class TorStartError extends CoveError {
  override name = 'TorStartError';
}

export interface OwnedTorOptions {
  /** The profile's tor directory (created 0700). */
  dataDir: string;
  /** The bundled tor directory, if any (see binary.ts); else the system tor on Linux. */
  bundledDir?: string;
  /** Use this tor binary instead of looking for one. */
  torBinary?: string;
  /** Pluggable transports to use instead of the ones found next to tor or on the system ({} means none). */
  transportPlugins?: { obfs4?: string; snowflake?: string };
  bridges?: readonly BridgeLine[];
  upstreamProxy?: UpstreamProxy;
  /** Extra torrc lines: only for the private test network. */
  extraTorrcLines?: readonly string[];
  /** Bootstrap deadline: default 120 s, 150 s with bridges. */
  bootstrapTimeoutMs?: number;
  /** Connection Assist after this long with no progress (default 30 s). */
  stallMs?: number;
  /** Restarts after crashes: at most this many in a row (default 5), waiting 1, 2, 4 … up to 30 s. */
  maxRestarts?: number;
}

export class OwnedTor implements TorProvider {
  readonly kind = 'owned' as const;
  readonly events = new EventEmitter<TorEvents>();
  private current: TorState = { kind: 'stopped' };
  private child: ChildProcess | undefined;
  private control: TorControlClient | undefined;
  private torVersion: string | undefined;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly newnym = new NewnymLimiter();
  /** The last lines tor printed, for error messages (tor's own notices; addresses are redacted by the logger). */
  private readonly output: string[] = [];

  constructor(private readonly opts: OwnedTorOptions) {}

  state(): TorState {
    return this.current;
  }

  version(): string | undefined {
    return this.torVersion;
  }

  socksEndpoint(): { host: string; port: number } | { down: string } {
    return socksOf(this.current);
  }

  private isStopping(): boolean {
    return this.stopping;
  }

  private setState(s: TorState): void {
    this.current = s;
    this.events.emit('state', s);
  }

  /** Starts tor and resolves once it has bootstrapped to 100 %. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.child !== undefined) throw new TorStartError('tor-already-running', 'Tor is already running.');
    this.stopping = false;
    try {
      await this.launch(signal);
      this.restarts = 0;
    } catch (err) {
      await this.killChild();
      const error = err instanceof CoveError ? err : new TorStartError('tor-start-failed', `Tor did not start: ${err instanceof Error ? err.message : 'unknown error'}`, { cause: err });
      // stop() may have been called meanwhile: then the state is `stopped`, not `failed`.
      if (!this.isStopping()) this.setState({ kind: 'failed', error: error.toApiError() });
      throw error;
    }
  }

  private async launch(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const { dataDir } = this.opts;
    const files = torrcPaths(dataDir);
    const where = this.opts.bundledDir === undefined ? {} : { bundledDir: this.opts.bundledDir };
    const found = this.opts.torBinary === undefined ? findTorBinaries(where) : { tor: this.opts.torBinary, source: 'system' as const };
    const tor = found.tor;
    // The bundled tor needs its libraries and GeoIP files pointed out (platform/resources.ts).
    const runtime = found.source === 'bundled' && this.opts.bundledDir !== undefined ? bundledTorRuntime(this.opts.bundledDir, process.platform, process.env) : undefined;
    const plugins = this.opts.transportPlugins ?? findTransportPlugins(where);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    const defaults = join(dataDir, 'torrc-defaults');
    await cleanStaleTor(files.pidFile, tor, defaults, files.torrc);
    await rm(files.controlPortFile, { force: true });
    const bridges = this.opts.bridges ?? [];
    const torrc = buildTorrc({
      dataDir,
      bridges,
      transportPlugins: plugins,
      ...(this.opts.upstreamProxy === undefined ? {} : { upstreamProxy: this.opts.upstreamProxy }),
      ...(this.opts.extraTorrcLines === undefined ? {} : { extraLines: this.opts.extraTorrcLines }),
    });
    await writeFile(files.torrc, torrc, { mode: 0o600 });
    await writeFile(defaults, runtime?.torrcDefaults ?? '', { mode: 0o600 });

    const tracker = new BootstrapTracker({
      usingBridges: bridges.length > 0,
      usingProxy: this.opts.upstreamProxy !== undefined,
      ...(this.opts.stallMs === undefined ? {} : { stallMs: this.opts.stallMs }),
      onProgress: (p) => {
        this.events.emit('bootstrap', p);
        if (this.current.kind === 'starting' || this.current.kind === 'down') this.setState({ kind: 'starting', bootstrap: p });
      },
      onAssist: (a) => this.events.emit('assist', a),
    });
    this.setState({ kind: 'starting', bootstrap: tracker.current });

    const child = spawn(tor, torArgv(defaults, files.torrc, process.pid), { stdio: ['ignore', 'pipe', 'pipe'], ...(runtime === undefined ? {} : { env: runtime.env }) });
    this.child = child;
    const onLine = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.output.push(line);
      this.output.splice(0, Math.max(0, this.output.length - 20));
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    const exited = new Promise<void>((resolve) => child.once('exit', () => {
      resolve();
    }));
    child.once('error', () => undefined);
    child.once('exit', (code, sig) => {
      this.onExit(child, code, sig);
    });

    const timeoutMs = this.opts.bootstrapTimeoutMs ?? (bridges.length > 0 ? 150_000 : 120_000);
    const deadline = Date.now() + timeoutMs;
    const stillThere = (): void => {
      signal?.throwIfAborted();
      if (this.child !== child) throw new TorStartError('tor-exited', `Tor exited while starting: ${redact(this.output.slice(-3).join(' / ')) || 'no output'}`);
      if (Date.now() > deadline) throw new TorStartError('tor-bootstrap-timeout', `Tor did not finish connecting in ${Math.round(timeoutMs / 1000)} s (stuck at ${tracker.current.progress} %: ${tracker.current.summary}).`);
    };
    const abortWait = Promise.race([exited, new Promise<void>((resolve) => signal?.addEventListener('abort', () => {
      resolve();
    }, { once: true }))]);

    // 1. The control port file appears once tor listens.
    while (!existsSync(files.controlPortFile)) {
      stillThere();
      await Promise.race([sleep(25), abortWait]);
    }
    const listener = parseControlPortFile(await readFile(files.controlPortFile, 'utf8')).find((l) => l.kind === 'tcp');
    if (listener?.kind !== 'tcp') throw new TorStartError('tor-no-control-port', 'Tor wrote no TCP control port.');

    // 2. Control connection: authenticate with the cookie, take ownership, follow events.
    const control = new TorControlClient({ host: listener.host, port: listener.port });
    this.control = control;
    await control.connect({ timeoutMs: 10_000, ...(signal === undefined ? {} : { signal }) });
    await control.authenticate({ cookieFile: files.cookieFile });
    await control.takeOwnership();
    this.torVersion = await control.getInfoOne('version');
    const versionStatus = torVersionStatus(this.torVersion);
    if (versionStatus.outdated && versionStatus.warning !== undefined) this.events.emit('warning', { kind: 'tor-outdated', message: versionStatus.warning });
    control.onEvent('STATUS_CLIENT', (e) => {
      if (e.bootstrap !== undefined) tracker.update(e.bootstrap);
      const skew = clockSkew(e);
      if (skew !== undefined) this.events.emit('warning', { kind: 'clock-skew', message: `This computer's clock is off by about ${Math.abs(skew.skewSeconds)} s.` });
    });
    control.onEvent('WARN', () => {
      this.events.emit('warning', { kind: 'tor-warning', message: 'Tor reported a problem (see the Tor log).' });
    });
    // With TAKEOWNERSHIP tor exits when this connection closes; onExit reports that.
    watchCircuits(control, () => this.events.emit('circuits'));
    await control.setEvents(['STATUS_CLIENT', 'WARN', ...LIVE_EVENTS]);

    // 3. Go online and wait for 100 %.
    await control.setConf([['DisableNetwork', '0']]);
    tracker.start();
    try {
      tracker.update(await control.getBootstrapPhase());
      while (!tracker.done) {
        stillThere();
        await Promise.race([tracker.changed(), sleep(500), abortWait]);
      }
    } finally {
      tracker.stop();
    }
    const socks = (await control.getSocksListeners()).find((l) => l.kind === 'tcp');
    if (socks?.kind !== 'tcp') throw new TorStartError('tor-no-socks-port', 'Tor opened no SOCKS port.');
    stillThere();
    this.setState({ kind: 'ready', socks: { host: socks.host, port: socks.port } });
  }

  private onExit(child: ChildProcess, code: number | null, sig: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    void this.control?.close();
    this.control = undefined;
    if (this.stopping) {
      this.setState({ kind: 'stopped' });
      return;
    }
    const why = sig === null ? `exited with code ${String(code)}` : `was stopped by ${sig}`;
    const wasReady = this.current.kind === 'ready';
    if (!wasReady) return; // a failure while starting is reported by start()
    const max = this.opts.maxRestarts ?? 5;
    if (this.restarts >= max) {
      this.setState({ kind: 'failed', error: { code: 'tor-crashed', message: `Tor ${why} and did not stay up after ${max} restarts.` } });
      return;
    }
    const delay = Math.min(30_000, 1000 * 2 ** this.restarts);
    this.restarts += 1;
    this.setState({ kind: 'down', reason: `tor ${why}`, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.start().catch(() => {
        // start() set the state to failed; a later crash-free start resets the count.
      });
    }, delay);
  }

  /** Stops tor: close the owning control connection (tor exits), then SIGTERM, then SIGKILL. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.killChild();
    this.setState({ kind: 'stopped' });
  }

  private async killChild(): Promise<void> {
    const child = this.child;
    const control = this.control;
    this.control = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      await control?.close();
      return;
    }
    const gone = new Promise<void>((resolve) => child.once('exit', () => {
      resolve();
    }));
    await control?.close();
    const steps: [number, NodeJS.Signals | undefined][] = [[1500, undefined], [3000, 'SIGTERM'], [3000, 'SIGKILL']];
    for (const [ms, sig] of steps) {
      if (sig !== undefined) child.kill(sig);
      const done = await Promise.race([gone.then(() => true), sleep(ms).then(() => false)]);
      if (done) return;
    }
  }

  async newIdentity(signal?: AbortSignal): Promise<void> {
    await this.newnym.run(() => this.requireControl().signal('NEWNYM'), signal);
  }

  async circuits(): Promise<CircuitInfo[]> {
    return (await this.requireControl().getCircuits()).map(toCircuitInfo);
  }

  async streams(): Promise<StreamInfo[]> {
    return (await circuitsAndStreams(this.requireControl())).streams;
  }

  private requireControl(): TorControlClient {
    if (this.control === undefined || this.current.kind !== 'ready') throw new TorError('tor-not-ready', 'Tor is not running.');
    return this.control;
  }

  /** The pid of the running tor, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}
