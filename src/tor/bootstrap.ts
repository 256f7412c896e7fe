/**
 * Follows a tor's bootstrap: turns STATUS_CLIENT events (and the GETINFO snapshot) into progress that never goes
 * backwards within one start, warnings, and — when progress stalls — a Connection Assist suggestion with its reason.
 * Reasons are tor's keywords (control-spec "BOOTSTRAP"), compared as keywords, never as message text.
 */
import type { BootstrapStatus } from './control';
import type { BootstrapProgress, ConnectionAssist } from './provider';

export interface BootstrapTrackerOptions {
  /** No progress for this long: suggest bridges (default 30 s). */
  stallMs?: number;
  usingBridges: boolean;
  usingProxy: boolean;
  onProgress: (p: BootstrapProgress) => void;
  onAssist: (a: ConnectionAssist) => void;
  now?: () => number;
}

export class BootstrapTracker {
  private last: BootstrapProgress = { progress: 0, tag: 'starting', summary: 'Starting' };
  private lastChange: number;
  private assisted = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: BootstrapTrackerOptions) {
    this.now = opts.now ?? Date.now;
    this.lastChange = this.now();
  }

  get current(): BootstrapProgress {
    return this.last;
  }

  get done(): boolean {
    return this.last.progress >= 100;
  }

  /** Starts the stall watch. */
  start(): void {
    const every = Math.min(5000, Math.max(100, Math.floor((this.opts.stallMs ?? 30_000) / 4)));
    this.timer = setInterval(() => {
      this.checkStall();
    }, every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Feed a bootstrap status from an event or from GETINFO status/bootstrap-phase. */
  update(s: BootstrapStatus): void {
    const warning = s.severity === 'WARN' && s.warning !== undefined ? s.warning : undefined;
    if (s.progress > this.last.progress) {
      this.lastChange = this.now();
      this.assisted = false;
      this.last = { progress: s.progress, tag: s.tag, summary: s.summary };
      this.opts.onProgress(this.last);
      for (const w of this.waiters) w();
    } else if (warning !== undefined) {
      // A problem at the same step: keep the progress, carry tor's reason along for Connection Assist.
      this.last = { ...this.last, warning, ...(s.reason === undefined ? {} : { reason: s.reason }) };
      this.opts.onProgress(this.last);
    }
  }

  /** Resolves at the next change of progress (or when stopped). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const w = (): void => {
        this.waiters.delete(w);
        resolve();
      };
      this.waiters.add(w);
    });
  }

  checkStall(): void {
    const stalledForMs = this.now() - this.lastChange;
    if (this.done || this.assisted || stalledForMs < (this.opts.stallMs ?? 30_000)) return;
    this.assisted = true;
    this.opts.onAssist(assistFor(this.last, stalledForMs, this.opts.usingBridges, this.opts.usingProxy));
  }
}

export function assistFor(p: BootstrapProgress, stalledForMs: number, usingBridges: boolean, usingProxy: boolean): ConnectionAssist {
  const reason = p.reason?.toUpperCase() ?? 'STALLED';
  const base = { stalledForMs, progress: p.progress, reason: reason.toLowerCase() };
  const secs = Math.round(stalledForMs / 1000);
  if (reason === 'CLOCK_SKEW' || p.tag === 'clock_skew') {
    return { ...base, suggestion: 'check-clock', message: "Tor cannot connect because this computer's clock is wrong. Set the right date and time." };
  }
  if (usingProxy && (reason === 'PROXY' || reason === 'CONNECTREFUSED' || p.tag === 'conn_proxy' || p.tag === 'conn_done_proxy')) {
    return { ...base, suggestion: 'check-proxy', message: 'Tor cannot reach the network through your proxy. Check the proxy settings.' };
  }
  if (usingBridges) {
    return { ...base, suggestion: 'try-other-bridges', message: `Tor has made no progress for ${secs} s with these bridges. They may be blocked: try others, or snowflake.` };
  }
  return { ...base, suggestion: 'use-bridges', message: `Tor has made no progress for ${secs} s. Tor may be blocked on this network: try a bridge (obfs4 or snowflake).` };
}
