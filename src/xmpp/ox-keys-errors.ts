/**
 * Typed errors of OX key distribution and trust (ox-keys.ts, trust.ts). Messages name no JID or fingerprint (they
 * reach logs); the UI takes those from the error's fields.
 */
import { CoveError } from '../api/result';

export class OxKeysError extends CoveError {
  override name = 'OxKeysError';
}

/** The contact's keys are readable only by approved contacts (PEP access model `presence`), and we are not one yet. */
export class OxNotSubscribedError extends OxKeysError {
  override name = 'OxNotSubscribedError';
  constructor(
    readonly jid: string,
    readonly condition: string,
    options?: ErrorOptions,
  ) {
    super(
      'ox-not-subscribed',
      "This contact's encryption key is only visible to approved contacts: ask them to approve your contact request first.",
      options,
    );
  }
}

/** No key we may encrypt to: none published, none usable, or the only ones were rejected by the user. */
export class OxNoKeyError extends OxKeysError {
  override name = 'OxNoKeyError';
  constructor(readonly jid: string) {
    super('ox-no-key', 'There is no usable encryption key for this contact, so Cove cannot send them an encrypted message.');
  }
}

/** A new or changed key appeared for a contact we already had a key for: the user must accept or reject it first. */
export class OxKeyDecisionPendingError extends OxKeysError {
  override name = 'OxKeyDecisionPendingError';
  constructor(
    readonly jid: string,
    readonly fingerprints: readonly string[],
  ) {
    super(
      'ox-key-decision-pending',
      "This contact's encryption key has changed. Cove is waiting for your decision: compare the new fingerprint with them, then accept or reject it.",
    );
  }
}

/** The key the contact publishes is not the one their invite link (or the user's comparison) named. */
export class OxFingerprintMismatchError extends OxKeysError {
  override name = 'OxFingerprintMismatchError';
  constructor(
    readonly jid: string,
    readonly expected: string,
    readonly found: readonly string[],
  ) {
    super(
      'ox-fingerprint-mismatch',
      'WARNING: the encryption key this contact publishes is NOT the one you expected. Someone may be intercepting the conversation; do not accept it before you have checked with them another way.',
    );
  }
}

/** The fingerprint given is not one of the keys Cove holds for this contact. */
export class OxUnknownKeyError extends OxKeysError {
  override name = 'OxUnknownKeyError';
  constructor(readonly jid: string) {
    super('ox-unknown-key', 'Cove holds no key with this fingerprint for this contact.');
  }
}

/** There is no secret key backup on the server (or it cannot be read). */
export class OxNoBackupError extends OxKeysError {
  override name = 'OxNoBackupError';
  constructor(options?: ErrorOptions) {
    super('ox-no-backup', 'There is no key backup on the server for this account.', options);
  }
}
