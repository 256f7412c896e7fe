/**
 * Typed errors and small shared helpers of the XMPP account layer. No error message names a JID, a host or an IP:
 * they reach logs and the UI (the caller knows which account it asked about).
 */
import { CoveError } from '../api/result';

/** Why an account is not online. */
export type FailureReason =
  | 'auth-failed'
  | 'tls-failed'
  | 'unreachable'
  | 'transport-down'
  | 'stream-error'
  | 'timeout'
  | 'protocol';

const FAILURE_MESSAGES: Record<FailureReason, string> = {
  'auth-failed': 'The server refused the user name or password.',
  'tls-failed': 'A secure (TLS) connection to the server could not be established; Cove did not send the password.',
  unreachable: 'The server could not be reached.',
  'transport-down': 'The privacy connection (proxy, VPN or Tor) is not available, so Cove is not connecting.',
  'stream-error': 'The server closed the connection.',
  timeout: 'The server did not answer in time.',
  protocol: 'The server sent something Cove did not understand.',
};

/** Failures that retrying will not fix: the account stops trying and waits for the person. */
export const FATAL_REASONS: ReadonlySet<FailureReason> = new Set<FailureReason>(['auth-failed', 'tls-failed']);

export class XmppAccountError extends CoveError {
  override name = 'XmppAccountError';
  constructor(
    readonly reason: FailureReason,
    options?: ErrorOptions,
  ) {
    super(`xmpp-${reason}`, FAILURE_MESSAGES[reason], options);
  }
}

export type RegistrationFailure =
  | 'username-taken'
  | 'not-acceptable'
  | 'registration-closed'
  | 'rate-limited'
  | 'unsupported'
  | 'cancelled'
  | 'refused';

const REGISTRATION_MESSAGES: Record<RegistrationFailure, string> = {
  'username-taken': 'This user name is taken on this server: pick another one.',
  'not-acceptable': 'The server did not accept the user name or password (it may be too short or contain characters it does not allow).',
  'registration-closed': 'This server does not let new accounts be created from an app: pick another server.',
  'rate-limited': 'The server is creating too many accounts right now: try again later.',
  unsupported: 'This server does not offer sign-up from an app (XEP-0077): pick another server.',
  cancelled: 'The sign-up was cancelled.',
  refused: 'The server refused to create the account.',
};

export class RegistrationError extends CoveError {
  override name = 'RegistrationError';
  constructor(
    readonly reason: RegistrationFailure,
    /** The stanza error condition the server sent, if any (e.g. 'conflict'). */
    readonly condition?: string,
    options?: ErrorOptions,
  ) {
    super(`registration-${reason}`, REGISTRATION_MESSAGES[reason], options);
  }
}

/** A request (iq) to the server or a contact failed: `condition` is the stanza error (e.g. 'item-not-found'). */
export class XmppRequestError extends CoveError {
  override name = 'XmppRequestError';
  constructor(
    readonly what: string,
    readonly condition: string,
    options?: ErrorOptions,
  ) {
    super('xmpp-request-failed', `${what} failed (${condition}).`, options);
  }
}

/** The account is not online, so nothing can be sent now. */
export class NotOnlineError extends CoveError {
  override name = 'NotOnlineError';
  constructor() {
    super('xmpp-not-online', 'The account is not connected right now.');
  }
}

/** Bad input from the caller (a JID that is not one, an avatar that is too big, ...). */
export class XmppInputError extends CoveError {
  override name = 'XmppInputError';
}

export class XmppTimeoutError extends CoveError {
  override name = 'XmppTimeoutError';
  constructor(what: string, ms: number) {
    super('xmpp-timeout', `${what} did not finish within ${Math.round(ms / 100) / 10} s.`);
  }
}

/** Races `promise` against a deadline; the loser is ignored (its rejection is swallowed). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new XmppTimeoutError(what, ms));
    }, ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The stanza error condition of an error thrown by @xmpp/iq (a StanzaError), or undefined. */
export function stanzaCondition(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const condition: unknown = Reflect.get(err, 'condition');
  return typeof condition === 'string' ? condition : undefined;
}

/** Turns a failed iq into an XmppRequestError (timeouts keep their own type). */
export function requestError(what: string, err: unknown): CoveError {
  if (err instanceof CoveError) return err;
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError') return new XmppTimeoutError(what, 0);
  return new XmppRequestError(what, stanzaCondition(err) ?? 'no-answer', { cause: err });
}
