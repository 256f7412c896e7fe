/**
 * Failover and load balance across the endpoints of an account's gateway: an ordered list of places where the same
 * XMPP domain is served (a clearnet address, a .onion name, the nodes of a cluster). The pool keeps each endpoint's
 * health and answers one question per connection attempt: where to connect now.
 *
 * - Priority: lower is preferred; by default an endpoint's priority is its position in the list, so the list is a
 *   plain order of preference. Endpoints given the same priority are equals: the load is spread over them at random
 *   (the random source is injectable, so tests can seed it).
 * - Health: 'unknown' (never tried), 'up' (the last session through it got online) or 'failed' at time t. A failed
 *   endpoint is not picked again before its back-off is over: `retryMinMs` after its first failure in a row, doubled
 *   with each further one, capped at `retryMaxMs`. One success makes it 'up' again.
 * - pick() returns the best priority among the endpoints that are usable (see `reachableIn`) and not backing off. When
 *   every usable one is backing off it still returns one (the one whose back-off ends first): the account's own
 *   back-off paces the attempts then, and a dead pool never leaves the account without a place to try.
 * - A failure is counted once per connection attempt (pick): the socket layer and the account may both report the
 *   same broken connection.
 *
 * Nothing here does I/O or names an address in an error message (they reach logs and the UI).
 */
import { CoveError } from '../api/result';
import type { ModeId } from '../net/mode-id';

export type EndpointKind = 'clearnet' | 'onion';

/** One endpoint as the account settings give it. */
export interface GatewayEndpoint {
  /** Host name, IP literal or .onion name; resolved by the proxy in proxy modes. */
  host: string;
  port: number;
  /** Default: 'onion' for a .onion host, else 'clearnet'. A .onion host is always 'onion'. */
  kind?: EndpointKind;
  /** Lower is preferred; equal priorities share the load at random. Default: the position in the list (0, 1, …). */
  priority?: number;
}

/** An endpoint of a pool, normalized. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly kind: EndpointKind;
  readonly priority: number;
  /** Its position in the list given. */
  readonly index: number;
}

export type EndpointHealth =
  | { readonly state: 'unknown' }
  | { readonly state: 'up'; readonly since: number }
  | { readonly state: 'failed'; readonly at: number; readonly failures: number; readonly retryAt: number };

export interface EndpointPoolOptions {
  /** A number in [0, 1), like Math.random (the default): which of equal endpoints to pick. */
  random?: () => number;
  /** Milliseconds, like Date.now (the default). */
  now?: () => number;
  /** Back-off of a failed endpoint after its first failure in a row (default 10 s); doubled each time after that. */
  retryMinMs?: number;
  /** Cap of that back-off (default 5 min). */
  retryMaxMs?: number;
}

export type EndpointErrorCode = 'endpoint-invalid' | 'endpoint-none-usable';

export class EndpointError extends CoveError {
  override name = 'EndpointError';
  constructor(
    readonly reason: EndpointErrorCode,
    message: string,
  ) {
    super(reason, message);
  }
}

export const DEFAULT_RETRY_MIN_MS = 10_000;
export const DEFAULT_RETRY_MAX_MS = 300_000;

const ONION = /\.onion\.?$/i;

/**
 * Which endpoints a privacy mode can use: a .onion name only through Tor (any other mode would hand the name to a
 * resolver or proxy that cannot reach it, and leak it), a clearnet one in every mode.
 */
export function reachableIn(mode: ModeId): (endpoint: Endpoint) => boolean {
  return (endpoint) => endpoint.kind !== 'onion' || mode === 'tor';
}

function normalize(list: readonly GatewayEndpoint[]): Endpoint[] {
  if (list.length === 0) throw new EndpointError('endpoint-invalid', 'The server list is empty.');
  return list.map((e, index) => {
    if (e.host.trim() === '') throw new EndpointError('endpoint-invalid', `Server ${String(index + 1)} has no host name.`);
    if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) {
      throw new EndpointError('endpoint-invalid', `Server ${String(index + 1)} has a port that is not a valid TCP port.`);
    }
    const priority = e.priority ?? index;
    if (!Number.isFinite(priority)) throw new EndpointError('endpoint-invalid', `Server ${String(index + 1)} has a priority that is not a number.`);
    const kind: EndpointKind = ONION.test(e.host) ? 'onion' : (e.kind ?? 'clearnet');
    return { host: e.host, port: e.port, kind, priority, index };
  });
}

interface Slot {
  health: EndpointHealth;
  /** Connection attempts so far (picks). */
  attempts: number;
  /** The attempt whose failure was counted last: one failure per attempt. */
  failedAttempt: number;
}

export class EndpointPool {
  readonly endpoints: readonly Endpoint[];
  private readonly slots: Slot[];
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private last: Endpoint | undefined;

  constructor(list: readonly GatewayEndpoint[], options: EndpointPoolOptions = {}) {
    this.endpoints = normalize(list);
    this.slots = this.endpoints.map(() => ({ health: { state: 'unknown' }, attempts: 0, failedAttempt: -1 }));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.retryMinMs = Math.max(0, options.retryMinMs ?? DEFAULT_RETRY_MIN_MS);
    this.retryMaxMs = Math.max(this.retryMinMs, options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
  }

  /** The endpoint picked last: where the current (or latest) connection goes. */
  get current(): Endpoint | undefined {
    return this.last;
  }

  health(endpoint: Endpoint): EndpointHealth {
    return this.slot(endpoint).health;
  }

  /** Not backing off now: never tried, up, or failed with its back-off over. */
  available(endpoint: Endpoint): boolean {
    const h = this.health(endpoint);
    return h.state !== 'failed' || h.retryAt <= this.now();
  }

  /**
   * Where the next connection attempt goes: the best priority among the usable endpoints that are not backing off,
   * at random among equals; if all usable ones are backing off, the one whose back-off ends first. Throws
   * EndpointError when no endpoint is usable at all (e.g. only .onion names outside Tor mode).
   */
  pick(usable: (endpoint: Endpoint) => boolean = () => true): Endpoint {
    const candidates = this.endpoints.filter(usable);
    if (candidates.length === 0) {
      throw new EndpointError('endpoint-none-usable', 'None of the servers of this account can be reached in the current privacy mode.');
    }
    const ready = candidates.filter((e) => this.available(e));
    const chosen = ready.length > 0 ? this.amongBest(ready) : this.soonestRetry(candidates);
    this.slot(chosen).attempts += 1;
    this.last = chosen;
    return chosen;
  }

  /** A session through `endpoint` got online: it is up, its failures are forgotten. */
  succeeded(endpoint: Endpoint): void {
    const slot = this.slot(endpoint);
    if (slot.health.state !== 'up') slot.health = { state: 'up', since: this.now() };
    slot.failedAttempt = -1;
  }

  /** The connection to `endpoint` failed or was lost: counted once per attempt; it backs off before being picked again. */
  failed(endpoint: Endpoint): void {
    const slot = this.slot(endpoint);
    if (slot.failedAttempt === slot.attempts) return;
    slot.failedAttempt = slot.attempts;
    const failures = slot.health.state === 'failed' ? slot.health.failures + 1 : 1;
    const at = this.now();
    const wait = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(failures - 1, 30));
    slot.health = { state: 'failed', at, failures, retryAt: at + wait };
  }

  /**
   * True when the latest attempt to `endpoint` failed and another usable endpoint is available now: the account
   * should reconnect at once instead of waiting for its back-off, which is for when every endpoint is failing.
   */
  shouldFailOver(endpoint: Endpoint, usable: (endpoint: Endpoint) => boolean = () => true): boolean {
    const slot = this.slot(endpoint);
    if (slot.failedAttempt !== slot.attempts) return false;
    return this.endpoints.some((e) => e !== endpoint && usable(e) && this.available(e));
  }

  private slot(endpoint: Endpoint): Slot {
    const slot = this.endpoints[endpoint.index] === endpoint ? this.slots[endpoint.index] : undefined;
    if (slot === undefined) throw new EndpointError('endpoint-invalid', 'That server is not one of this account.');
    return slot;
  }

  private amongBest(ready: readonly Endpoint[]): Endpoint {
    const best = Math.min(...ready.map((e) => e.priority));
    const equals = ready.filter((e) => e.priority === best);
    const i = Math.min(equals.length - 1, Math.max(0, Math.floor(this.random() * equals.length)));
    return first(equals.slice(i));
  }

  private soonestRetry(candidates: readonly Endpoint[]): Endpoint {
    const retryAt = (e: Endpoint): number => {
      const h = this.health(e);
      return h.state === 'failed' ? h.retryAt : 0;
    };
    return first([...candidates].sort((a, b) => retryAt(a) - retryAt(b) || a.priority - b.priority || a.index - b.index));
  }
}

function first(list: readonly Endpoint[]): Endpoint {
  const e = list[0];
  if (e === undefined) throw new EndpointError('endpoint-none-usable', 'No server to pick from.');
  return e;
}
