/**
 * What the rest of Cove needs from "a Tor": a SOCKS endpoint while it is ready, its state and bootstrap progress as
 * events, new identity, and the circuits and streams for the connections panel. Two providers fill it now: the tor
 * process Cove owns (owned-tor.ts) and a tor the user already runs (external-tor.ts).
 *
 * Arti (the Rust Tor client) could fill it later: it would need an RPC or embedding API for bootstrap progress and
 * events (arti's RPC is still experimental), SOCKS isolation by credentials (arti isolates by SOCKS auth too), a
 * "new identity" equivalent (isolation-token reset), and circuit listing, which arti does not expose yet; pluggable
 * transports use the same PT spec. Until those exist, tor is the one shipped.
 */
import { EventEmitter } from 'node:events';
import type { ApiError } from '../api/result';
import type { TorSocksSource } from '../net/tor';

export interface BootstrapProgress {
  /** 0–100, never decreasing within one start. */
  progress: number;
  tag: string;
  summary: string;
  /** tor's explanation when it reports trouble ("No route to host", "Connection refused"...). */
  warning?: string;
  /** tor's reason keyword (NOROUTE, TIMEOUT, PT_MISSING, ...). */
  reason?: string;
}

export type TorState =
  | { kind: 'stopped' }
  | { kind: 'starting'; bootstrap: BootstrapProgress }
  | { kind: 'ready'; socks: { host: string; port: number } }
  /** Tor went away (crash, killed): every connection is refused until it is back. */
  | { kind: 'down'; reason: string; restartInMs?: number }
  | { kind: 'failed'; error: ApiError };

/** Connection Assist: bootstrap stalled; what Cove suggests, and why. */
export interface ConnectionAssist {
  /** How long bootstrap has been stuck at `progress`. */
  stalledForMs: number;
  progress: number;
  /** tor's reason keyword if it gave one, else `stalled`. */
  reason: string;
  suggestion: 'use-bridges' | 'try-other-bridges' | 'check-clock' | 'check-proxy';
  message: string;
}

export interface TorWarning {
  /** `tor-outdated`: tor is older than the minimum pinned in resources/tor/versions.json (see version.ts). */
  kind: 'clock-skew' | 'bootstrap-problem' | 'tor-warning' | 'tor-outdated';
  message: string;
}

export interface CircuitInfo {
  id: string;
  status: string;
  purpose: string;
  /** Relays from guard to exit: nickname and fingerprint (public relay data, not the user's). */
  path: { fingerprint: string; nickname?: string }[];
  /** The isolation key (account) the circuit serves, if it is one of Cove's. */
  isolationKey?: string;
}

export interface StreamInfo {
  id: string;
  status: string;
  circuitId: string;
  isolationKey?: string;
}

export interface TorEvents {
  state: [TorState];
  bootstrap: [BootstrapProgress];
  assist: [ConnectionAssist];
  warning: [TorWarning];
  /** A circuit or stream changed: re-read circuits()/streams() (throttled). */
  circuits: [];
}

export interface TorProvider extends TorSocksSource {
  readonly kind: 'owned' | 'external';
  readonly events: EventEmitter<TorEvents>;
  state(): TorState;
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** NEWNYM, waiting out tor's rate limit (one per 10 s) rather than being silently delayed. */
  newIdentity(signal?: AbortSignal): Promise<void>;
  circuits(): Promise<CircuitInfo[]>;
  streams(): Promise<StreamInfo[]>;
  /** tor's version string, once connected; `torVersionStatus(version())` (version.ts) says whether it is outdated. */
  version(): string | undefined;
}

/** Cove's SOCKS usernames are `cove:<isolationKey>` (see TorTransport.credentials). */
export function isolationKeyOf(socksUsername: string | undefined): string | undefined {
  return socksUsername?.startsWith('cove:') === true ? socksUsername.slice(5) : undefined;
}

/** The socks endpoint of a state, or why there is none: what TorTransport asks before every connection. */
export function socksOf(state: TorState): { host: string; port: number } | { down: string } {
  switch (state.kind) {
    case 'ready':
      return state.socks;
    case 'starting':
      return { down: `Tor is still starting (${state.bootstrap.progress} %): nothing is sent until it is ready.` };
    case 'down':
      return { down: `Tor is not running (${state.reason}): nothing is sent until it is back.` };
    case 'failed':
      return { down: `Tor could not start: ${state.error.message}` };
    case 'stopped':
      return { down: 'Tor is not started.' };
  }
}
