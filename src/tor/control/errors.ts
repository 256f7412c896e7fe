/**
 * Typed errors of the Tor control-port client. Every one is a CoveError, so `toResult` turns it into a failed Result
 * with a stable `code`. Messages never carry the command's arguments (they can hold bridge lines, passwords, cookie
 * hashes or onion keys) and tor's own reply text only after `redact` (it can echo an address); the raw reply text is
 * kept on `TorCommandError.replyText` for code that needs it, never for logs.
 */
import { CoveError } from '../../api/result';
import { redact } from '../../log/redact';

export class TorError extends CoveError {
  override name = 'TorError';
}

/**
 * tor sent bytes that are not a valid control-protocol reply (bad status code, mixed codes in one reply, a line or a
 * reply over the size caps, a bare LF, a reply nobody asked for...). The connection is unusable afterwards: the
 * client closes it and rejects every pending command.
 */
export class TorProtocolError extends TorError {
  override name = 'TorProtocolError';
  constructor(detail: string, options?: ErrorOptions) {
    super('tor-protocol-error', `The Tor control connection sent a malformed reply: ${detail}.`, options);
  }
}

/** What a 4xx/5xx status means, from control-spec section 4 ("Replies"). */
export type TorCommandErrorKind =
  | 'resource-exhausted' // 451
  | 'protocol-syntax' // 500
  | 'unrecognized-command' // 510
  | 'unimplemented-command' // 511
  | 'argument-syntax' // 512
  | 'unrecognized-argument' // 513
  | 'auth-required' // 514
  | 'bad-auth' // 515
  | 'unspecified' // 550
  | 'internal' // 551
  | 'unrecognized-entity' // 552
  | 'invalid-config' // 553
  | 'invalid-descriptor' // 554
  | 'unmanaged-entity' // 555
  | 'unknown';

const KINDS: ReadonlyMap<number, TorCommandErrorKind> = new Map([
  [451, 'resource-exhausted'],
  [500, 'protocol-syntax'],
  [510, 'unrecognized-command'],
  [511, 'unimplemented-command'],
  [512, 'argument-syntax'],
  [513, 'unrecognized-argument'],
  [514, 'auth-required'],
  [515, 'bad-auth'],
  [550, 'unspecified'],
  [551, 'internal'],
  [552, 'unrecognized-entity'],
  [553, 'invalid-config'],
  [554, 'invalid-descriptor'],
  [555, 'unmanaged-entity'],
]);

export function commandErrorKind(status: number): TorCommandErrorKind {
  return KINDS.get(status) ?? 'unknown';
}

/** tor answered a command with a 4xx or 5xx status. The connection stays usable. */
export class TorCommandError extends TorError {
  override name = 'TorCommandError';
  readonly kind: TorCommandErrorKind;
  constructor(
    /** The command's keyword only (e.g. `SETCONF`), never its arguments. */
    readonly command: string,
    readonly status: number,
    /** tor's reply text, unredacted: not for logs. */
    readonly replyText: string,
    options?: ErrorOptions,
  ) {
    const kind = commandErrorKind(status);
    const shown = redact(replyText).slice(0, 300);
    super(`tor-command-failed`, `Tor refused ${command} (${status} ${kind}): ${shown}`, options);
    this.kind = kind;
  }
}

/** A command, a connect or an authentication did not finish in time. */
export class TorTimeoutError extends TorError {
  override name = 'TorTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super('tor-timeout', `The Tor control connection did not answer ${operation} within ${timeoutMs} ms.`, options);
  }
}

/** The control connection is closed (by tor, by us, or after an error): the command was not (fully) answered. */
export class TorConnectionClosedError extends TorError {
  override name = 'TorConnectionClosedError';
  constructor(reason: string, options?: ErrorOptions) {
    super('tor-connection-closed', `The Tor control connection is closed: ${reason}.`, options);
  }
}

/** A command argument cannot be sent safely (CR, LF or NUL in it, or a space in a bare token): nothing was sent. */
export class TorArgumentError extends TorError {
  override name = 'TorArgumentError';
  constructor(detail: string, options?: ErrorOptions) {
    super('tor-bad-argument', `A Tor control command argument was refused before sending: ${detail}.`, options);
  }
}

/** The control port could not be reached at all. */
export class TorConnectError extends TorError {
  override name = 'TorConnectError';
  constructor(options?: ErrorOptions) {
    super('tor-control-unreachable', 'The Tor control port cannot be reached.', options);
  }
}

/** The caller's AbortSignal fired. */
export class TorAbortedError extends TorError {
  override name = 'TorAbortedError';
  constructor(operation: string, options?: ErrorOptions) {
    super('tor-aborted', `${operation} was cancelled.`, options);
  }
}

export type TorAuthErrorKind =
  /** None of the methods tor offers can be used (e.g. only HASHEDPASSWORD and no password was given). */
  | 'no-usable-method'
  /** The cookie file could not be read, or is not exactly 32 bytes. */
  | 'cookie-unreadable'
  /** SAFECOOKIE: tor's SERVERHASH is wrong, so whoever answers does not know the cookie. Nothing secret was sent. */
  | 'server-hash-mismatch'
  /** tor's PROTOCOLINFO or AUTHCHALLENGE reply lacks what the spec requires. */
  | 'bad-challenge'
  /** tor rejected our credentials (515) or wants authentication first (514). */
  | 'rejected';

export class TorAuthError extends TorError {
  override name = 'TorAuthError';
  constructor(
    readonly kind: TorAuthErrorKind,
    detail: string,
    options?: ErrorOptions,
  ) {
    super('tor-auth-failed', `Could not authenticate to the Tor control port: ${detail}.`, options);
  }
}
