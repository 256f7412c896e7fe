/**
 * The one way the core opens a connection. Every outgoing connection (XMPP, the directory fetch, any HTTP) asks the
 * current Transport, so the privacy mode decides the path and nothing can go around it.
 */
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { InvalidTargetError } from './errors';

import type { ModeId } from './mode-id';

export type { ModeId };

export interface Target {
  /** A host name (resolved by the proxy in proxy modes), an IP literal, or a .onion address. */
  host: string;
  port: number;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Connections with different keys must not share a circuit (Tor) — one per account. */
  isolationKey?: string;
  /** Deadline for the whole set-up, proxy handshake included. */
  timeoutMs?: number;
}

/** Where a connection really goes first: the data of the connections panel. */
export interface Hop {
  kind: 'direct' | 'proxy' | 'tunnel' | 'tor';
  host: string;
  port: number;
}

export interface Transport {
  readonly mode: ModeId;
  /** The first hop this transport sends every byte to (for direct: the target itself). */
  firstHop(target: Target): Hop;
  connect(target: Target, options?: ConnectOptions): Promise<Socket>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Checks a target before any byte leaves: a valid port, and an IP literal or a syntactically valid host name. */
export function validateTarget(target: Target): Target {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new InvalidTargetError(`port ${String(target.port)} is not a valid TCP port`);
  }
  if (isIP(target.host) === 0 && !HOSTNAME.test(target.host)) {
    throw new InvalidTargetError('the server name is not a valid host name');
  }
  return target;
}
