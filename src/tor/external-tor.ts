/**
 * A tor the user already runs (a system tor, Tor Browser's, a Whonix gateway...), used instead of starting Cove's own.
 * Cove never starts, reconfigures or stops that tor: it only reads its state over the control port, when it has one.
 *
 * With a control port: connect, authenticate (SAFECOOKIE, COOKIE with a pinned cookie file, or password), read the
 * version, follow STATUS_CLIENT until bootstrap is at 100 %, then check that the SOCKS port Cove was given is one of
 * tor's `net/listeners/socks`: only then "ready". When the control connection closes (tor stopped or restarted) the
 * state is "down" at once, so TorTransport refuses every connection (nothing falls back to a direct one), and Cove
 * reconnects with a capped back-off (1, 2, 4 … 30 s) until it is back or stop() is called.
 *
 * Without a control port: "ready" once a SOCKS5 method negotiation with the port succeeds (no CONNECT is sent).
 * Nothing then tells Cove that tor went away: connections just fail (ProxyUnreachableError, never a direct fallback),
 * and circuits, streams and new identity need the control port.
 */
import { torVersionStatus } from './version';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoveError } from '../api/result';
import { BootstrapTracker } from './bootstrap';
import { clockSkew, TorAbortedError, TorConnectionClosedError, TorControlClient, TorError, type AuthOptions } from './control';
import { circuitsAndStreams, LIVE_EVENTS, NewnymLimiter, toCircuitInfo, watchCircuits } from './control-common';
import { checkSocksListed, ControlPortRequiredError, ExternalTorError, probeSocks5, validateExternalTorOptions, type ExternalTorOptions } from './external-tor-options';
import { socksOf, type CircuitInfo, type StreamInfo, type TorEvents, type TorProvider, type TorState } from './provider';

export * from './external-tor-options';

/** Resolves when `signal` aborts; `off()` removes the listener. */
function onAbortOf(signal: AbortSignal): { promise: Promise<void>; off: () => void } {
  let off = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    const l = (): void => {
      resolve();
    };
    signal.addEventListener('abort', l, { once: true });
    off = () => {
      signal.removeEventListener('abort', l);
    };
  });
  return { promise, off };
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class ExternalTor implements TorProvider {
  readonly kind = 'external' as const;
  readonly events = new EventEmitter<TorEvents>();
  private readonly options: ExternalTorOptions;
  private current: TorState = { kind: 'stopped' };
  private control: TorControlClient | undefined;
  private torVersion: string | undefined;
  /** One per start(), aborted by stop(): every attempt and retry of that start watches it. */
  private run: AbortController | undefined;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly newnym = new NewnymLimiter();

  /** Throws ExternalTorOptionsError for invalid options. */
  constructor(options: ExternalTorOptions) {
    this.options = validateExternalTorOptions(options);
  }

  state(): TorState {
    return this.current;
  }

  version(): string | undefined {
    return this.torVersion;
  }

  socksEndpoint(): { host: string; port: number } | { down: string } {
    return socksOf(this.current);
  }

  private setState(s: TorState): void {
    this.current = s;
    this.events.emit('state', s);
  }

  /** Resolves once the tor is usable ("ready"); on failure the state is "failed" and the typed error is thrown. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.run !== undefined) throw new ExternalTorError('tor-already-started', 'Cove is already using this tor.');
    const run = new AbortController();
    this.run = run;
    this.retries = 0;
    this.setState({ kind: 'starting', bootstrap: { progress: 0, tag: 'starting', summary: 'Connecting to your tor' } });
    try {
      await this.attach(signal === undefined ? run.signal : AbortSignal.any([run.signal, signal]));
    } catch (err) {
      const error = err instanceof CoveError ? err : new ExternalTorError('tor-external-failed', 'Cove could not use your tor.', { cause: err });
      if (this.run === run) {
        this.run = undefined;
        if (signal?.aborted === true) this.setState({ kind: 'stopped' });
        else this.setState({ kind: 'failed', error: error.toApiError() });
      }
      throw error;
    }
  }

  /** One attempt: "ready" at its end, or a throw. */
  private async attach(signal: AbortSignal): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const ep = this.options.control;
    if (ep === undefined) {
      await probeSocks5(this.options.socks, timeoutMs, signal);
      signal.throwIfAborted();
      this.setState({ kind: 'ready', socks: { ...this.options.socks } });
      return;
    }
    const control = new TorControlClient(ep);
    this.control = control;
    const aborted = onAbortOf(signal);
    try {
      await this.follow(control, signal, aborted.promise, timeoutMs);
    } catch (err) {
      if (this.control === control) this.control = undefined;
      await control.close();
      throw signal.aborted ? new TorAbortedError('Connecting to your tor', { cause: err }) : err;
    } finally {
      aborted.off();
    }
  }

  private async follow(control: TorControlClient, signal: AbortSignal, aborted: Promise<void>, timeoutMs: number): Promise<void> {
    const { cookieFile, password, stallMs } = this.options;
    const bootstrapMs = this.options.bootstrapTimeoutMs ?? 120_000;
    const closed = new Promise<void>((resolve) => control.onClose(() => {
      resolve();
      this.onControlClosed(control);
    }));
    await control.connect({ signal, timeoutMs });
    const auth: AuthOptions = { ...(cookieFile === undefined ? {} : { cookieFile }), ...(password === undefined ? {} : { password }) };
    await control.authenticate(auth);
    this.torVersion = await control.getInfoOne('version');
    const versionStatus = torVersionStatus(this.torVersion);
    if (versionStatus.outdated && versionStatus.warning !== undefined) this.events.emit('warning', { kind: 'tor-outdated', message: versionStatus.warning });
    const tracker = new BootstrapTracker({
      usingBridges: false,
      usingProxy: false,
      ...(stallMs === undefined ? {} : { stallMs }),
      onProgress: (p) => {
        this.events.emit('bootstrap', p);
        if (this.control === control && (this.current.kind === 'starting' || this.current.kind === 'down')) this.setState({ kind: 'starting', bootstrap: p });
      },
      onAssist: (a) => this.events.emit('assist', a),
    });
    control.onEvent('STATUS_CLIENT', (e) => {
      if (e.bootstrap !== undefined) tracker.update(e.bootstrap);
      const skew = clockSkew(e);
      if (skew !== undefined) this.events.emit('warning', { kind: 'clock-skew', message: `This computer's clock is off by about ${Math.abs(skew.skewSeconds)} s.` });
    });
    watchCircuits(control, () => this.events.emit('circuits'));
    await control.setEvents(['STATUS_CLIENT', ...LIVE_EVENTS]);
    const deadline = Date.now() + bootstrapMs;
    tracker.start();
    try {
      tracker.update(await control.getBootstrapPhase());
      while (!tracker.done) {
        signal.throwIfAborted();
        if (!control.isOpen) throw control.closeReason ?? new TorConnectionClosedError('tor closed it');
        if (Date.now() > deadline) {
          throw new ExternalTorError('tor-bootstrap-timeout', `Your tor did not finish connecting in ${Math.round(bootstrapMs / 1000)} s (stuck at ${tracker.current.progress} %: ${tracker.current.summary}).`);
        }
        await Promise.race([tracker.changed(), sleep(500), closed, aborted]);
      }
    } finally {
      tracker.stop();
    }
    checkSocksListed(this.options.socks, await control.getSocksListeners());
    signal.throwIfAborted();
    if (!control.isOpen) throw control.closeReason ?? new TorConnectionClosedError('tor closed it');
    this.setState({ kind: 'ready', socks: { ...this.options.socks } });
  }

  /** The control connection closed: while ready, that is tor going away ("down" now, then reconnect). */
  private onControlClosed(control: TorControlClient): void {
    if (this.control !== control) return;
    this.control = undefined;
    // While an attempt runs, the attempt itself sees the close and fails.
    if (this.current.kind !== 'ready' || this.run === undefined) return;
    this.retries = 0;
    this.scheduleRetry(this.run, 'the connection to your tor closed (tor stopped or restarted)');
  }

  private scheduleRetry(run: AbortController, reason: string): void {
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.retries, 10));
    this.retries += 1;
    this.setState({ kind: 'down', reason, restartInMs: delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retry(run);
    }, delay);
  }

  /** Whether `run` is still the current start (not stopped since). */
  private isCurrent(run: AbortController): boolean {
    return this.run === run && !run.signal.aborted;
  }

  private async retry(run: AbortController): Promise<void> {
    if (!this.isCurrent(run)) return;
    try {
      await this.attach(run.signal);
      this.retries = 0;
    } catch (err) {
      if (!this.isCurrent(run)) return;
      const why = err instanceof CoveError ? err.message : 'an unexpected error';
      this.scheduleRetry(run, `your tor is not back yet: ${why}`);
    }
  }

  /** Closes Cove's control connection and stops reconnecting. The user's tor itself keeps running. */
  async stop(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    run?.abort();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const control = this.control;
    this.control = undefined;
    await control?.close();
    this.setState({ kind: 'stopped' });
  }

  async newIdentity(signal?: AbortSignal): Promise<void> {
    this.requireControl('New identity');
    await this.newnym.run(() => this.requireControl('New identity').signal('NEWNYM'), signal);
  }

  async circuits(): Promise<CircuitInfo[]> {
    return (await this.requireControl('The circuit list').getCircuits()).map(toCircuitInfo);
  }

  async streams(): Promise<StreamInfo[]> {
    return (await circuitsAndStreams(this.requireControl('The stream list'))).streams;
  }

  private requireControl(what: string): TorControlClient {
    if (this.options.control === undefined) throw new ControlPortRequiredError(what);
    if (this.control === undefined || this.current.kind !== 'ready') throw new TorError('tor-not-ready', 'Your tor is not connected.');
    return this.control;
  }
}

