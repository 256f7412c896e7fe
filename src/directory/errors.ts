/**
 * Typed errors of the signed server directory. Every refusal names why, in words a person (or an operator running
 * `npm run directory -- verify`) can act on. A refused directory never replaces the last good copy: the errors say so.
 * Messages name no account, JID or address; the signature errors carry the details (which signature failed and why,
 * by network-key fingerprint: those keys are public) as fields, for the UI and the CLI.
 */
import { CoveError } from '../api/result';

export class DirectoryError extends CoveError {
  override name = 'DirectoryError';
}

const KEPT = 'Cove keeps using its last good copy.';

/** Not a directory Cove can read: bad UTF-8, bad or non-canonical JSON, or a field that breaks the schema. */
export class DirectoryMalformedError extends DirectoryError {
  override name = 'DirectoryMalformedError';
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super('directory-malformed', `The server directory is malformed (${detail}). ${KEPT}`, options);
  }
}

/** Why one detached signature did not count. */
export type RejectionReason =
  /** Not a readable OpenPGP signature, or not exactly one binary-document signature packet. */
  | 'unreadable'
  /** Made by a key that is not one of the network's keys. */
  | 'unknown-key'
  /** Made by a network key that a directory has revoked. */
  | 'revoked-signer'
  /** Another signature by the same network key was already counted. */
  | 'duplicate'
  /** By a network key, but it does not verify over these bytes: the document (or the signature) was altered. */
  | 'bad-signature';

export interface SignatureRejection {
  /** Position of the signature in the bundle, from 0. */
  index: number;
  reason: RejectionReason;
  /** Upper-case hex fingerprint of the network key, when the signature names one. */
  fingerprint?: string;
}

/** The directory does not carry `required` distinct valid signatures; the subclass tells the main reason. */
export class DirectorySignatureError extends DirectoryError {
  override name = 'DirectorySignatureError';
  constructor(
    code: string,
    lead: string,
    readonly valid: number,
    readonly required: number,
    readonly rejected: readonly SignatureRejection[],
  ) {
    super(code, `${lead} The server directory has ${plural(valid, 'valid signature')} from the network's keys; ${String(required)} ${required === 1 ? 'is' : 'are'} needed. ${KEPT}`);
  }
}

export class NotEnoughSignaturesError extends DirectorySignatureError {
  override name = 'NotEnoughSignaturesError';
  constructor(valid: number, required: number, rejected: readonly SignatureRejection[]) {
    super('directory-not-enough-signatures', 'Not enough network keys signed this server directory.', valid, required, rejected);
  }
}

/** Below the threshold because (at least) one signature is by a network key that has been revoked. */
export class RevokedSignerError extends DirectorySignatureError {
  override name = 'RevokedSignerError';
  constructor(valid: number, required: number, rejected: readonly SignatureRejection[]) {
    const n = rejected.filter((r) => r.reason === 'revoked-signer').length;
    super('directory-revoked-signer', `${plural(n, 'signature')} ${n === 1 ? 'is' : 'are'} by a network key that has been revoked, and ${n === 1 ? 'does' : 'do'} not count.`, valid, required, rejected);
  }
}

/** Below the threshold because (at least) one signature by a network key does not match the bytes: tampering. */
export class TamperedDirectoryError extends DirectorySignatureError {
  override name = 'TamperedDirectoryError';
  constructor(valid: number, required: number, rejected: readonly SignatureRejection[]) {
    const n = rejected.filter((r) => r.reason === 'bad-signature').length;
    super('directory-bad-signature', `The server directory was altered after it was signed: ${plural(n, 'signature')} by the network's keys ${n === 1 ? 'does' : 'do'} not match it.`, valid, required, rejected);
  }
}

/** The serial is not greater than the last good copy's: an old (replayed) or a forked directory. */
export class StaleSerialError extends DirectoryError {
  override name = 'StaleSerialError';
  constructor(
    readonly serial: number,
    readonly lastGoodSerial: number,
  ) {
    super(
      'directory-stale-serial',
      `The server directory offered (serial ${String(serial)}) is not newer than the one Cove already has (serial ${String(lastGoodSerial)}): an old directory is never accepted again. ${KEPT}`,
    );
  }
}

export class DirectoryExpiredError extends DirectoryError {
  override name = 'DirectoryExpiredError';
  constructor(readonly expires: string) {
    super('directory-expired', `The server directory expired on ${expires}: its list of servers and revocations may be out of date. ${KEPT}`);
  }
}

/** The directory could not be fetched: the server answered with an error status (network failures are NetErrors). */
export class DirectoryFetchError extends DirectoryError {
  override name = 'DirectoryFetchError';
  constructor(detail: string, options?: ErrorOptions) {
    super('directory-fetch-failed', `The server directory could not be downloaded (${detail}). ${KEPT}`, options);
  }
}

/** The last good copy could not be saved (disk full, permissions). */
export class DirectoryStoreError extends DirectoryError {
  override name = 'DirectoryStoreError';
  constructor(detail: string, options?: ErrorOptions) {
    super('directory-store-failed', `The server directory could not be saved (${detail}).`, options);
  }
}

/** The network keys Cove ships (or an operator's --keys directory) are unusable. */
export class NetworkKeysError extends DirectoryError {
  override name = 'NetworkKeysError';
  constructor(detail: string, options?: ErrorOptions) {
    super('directory-network-keys', `The directory's network keys are unusable (${detail}).`, options);
  }
}

/** No gateway of the directory is usable for a new account right now. */
export class NoGatewayError extends DirectoryError {
  override name = 'NoGatewayError';
  constructor(detail: string) {
    super('directory-no-gateway', `No server of the directory can be offered (${detail}). Try again later, or enter a server yourself.`);
  }
}

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}
