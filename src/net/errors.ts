/**
 * Typed errors of the transports. Each names why a connection could not be made, in words a person can act on; none
 * of them carries the target's address or an account's JID (they reach logs and the UI).
 */
import { CoveError } from '../api/result';

export class NetError extends CoveError {
  override name = 'NetError';
}

/** The proxy (or tor's SOCKS port) could not be reached: nothing was sent anywhere else. */
export class ProxyUnreachableError extends NetError {
  override name = 'ProxyUnreachableError';
  constructor(what: string, options?: ErrorOptions) {
    super('proxy-unreachable', `${what} cannot be reached, so Cove is not connecting (it never falls back to a direct connection).`, options);
  }
}

export class ProxyAuthError extends NetError {
  override name = 'ProxyAuthError';
  constructor(what: string, options?: ErrorOptions) {
    super('proxy-auth-failed', `${what} refused the username or password.`, options);
  }
}

/** The proxy answered but would not connect to the target (SOCKS5 reply code 1–8). */
export class ProxyRefusedError extends NetError {
  override name = 'ProxyRefusedError';
  constructor(
    what: string,
    readonly reply: string,
    options?: ErrorOptions,
  ) {
    super('proxy-refused', `${what} could not reach the server: ${reply}.`, options);
  }
}

/** The proxy broke the protocol: a malformed or unexpected reply. */
export class ProxyProtocolError extends NetError {
  override name = 'ProxyProtocolError';
  constructor(what: string, detail: string, options?: ErrorOptions) {
    super('proxy-protocol-error', `${what} sent a reply that is not valid SOCKS5 (${detail}).`, options);
  }
}

export class ConnectTimeoutError extends NetError {
  override name = 'ConnectTimeoutError';
  constructor(ms: number) {
    super('connect-timeout', `The connection was not established within ${Math.round(ms / 1000)} s.`);
  }
}

export class ConnectRefusedError extends NetError {
  override name = 'ConnectRefusedError';
  constructor(detail: string, options?: ErrorOptions) {
    super('connect-failed', `The server could not be reached (${detail}).`, options);
  }
}

/** The transport is down on purpose: tor not ready, kill switch engaged, mode switching. */
export class TransportDownError extends NetError {
  override name = 'TransportDownError';
  constructor(reason: string) {
    super('transport-down', reason);
  }
}

export class InvalidTargetError extends NetError {
  override name = 'InvalidTargetError';
  constructor(detail: string) {
    super('invalid-target', detail);
  }
}

export class AbortedError extends NetError {
  override name = 'AbortedError';
  constructor() {
    super('aborted', 'The connection attempt was cancelled.');
  }
}
