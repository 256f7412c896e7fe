/**
 * Typed errors of the OpenPGP layer (XEP-0373/0374). Every failure of src/crypto/ is one of these: there is never a
 * plaintext fallback, and a caller can tell a bad key from a forged message from a message that was not for us.
 * Messages name no JID, fingerprint or content: they reach logs and the UI.
 */
import { CoveError } from '../api/result';

export class CryptoError extends CoveError {
  override name = 'CryptoError';
}

/** An address that is not a usable bare JID (ours, a contact's, or one inside a message). */
export class InvalidJidError extends CryptoError {
  override name = 'InvalidJidError';
  constructor(options?: ErrorOptions) {
    super('jid-invalid', 'That is not a valid XMPP address.', options);
  }
}

// ---- keys -------------------------------------------------------------------------------------------------------

/** The key data could not be read as an OpenPGP key (bad encoding, bad packets, not exactly one key, too big). */
export class KeyFormatError extends CryptoError {
  override name = 'KeyFormatError';
  constructor(detail: string, options?: ErrorOptions) {
    super('key-malformed', `The OpenPGP key could not be read (${detail}).`, options);
  }
}

/** The key has no valid user ID `xmpp:<the JID we expect>`: it may belong to someone else. */
export class KeyUserIdError extends CryptoError {
  override name = 'KeyUserIdError';
  constructor(options?: ErrorOptions) {
    super('key-wrong-user-id', 'The OpenPGP key is not bound to this XMPP address (no valid "xmpp:" user ID for it).', options);
  }
}

export class KeyExpiredError extends CryptoError {
  override name = 'KeyExpiredError';
  constructor(options?: ErrorOptions) {
    super('key-expired', 'The OpenPGP key has expired.', options);
  }
}

export class KeyRevokedError extends CryptoError {
  override name = 'KeyRevokedError';
  constructor(options?: ErrorOptions) {
    super('key-revoked', 'The OpenPGP key has been revoked by its owner.', options);
  }
}

/** The key is readable but cannot be used: no valid encryption or signing (sub)key, old version, no secret part. */
export class KeyUnusableError extends CryptoError {
  override name = 'KeyUnusableError';
  constructor(detail: string, options?: ErrorOptions) {
    super('key-unusable', `The OpenPGP key cannot be used (${detail}).`, options);
  }
}

/** A recipient (or the sender) has no key among those given, so the message could not be encrypted for them. */
export class KeyMissingError extends CryptoError {
  override name = 'KeyMissingError';
  constructor(detail: string, options?: ErrorOptions) {
    super('key-missing', `No usable OpenPGP key (${detail}).`, options);
  }
}

export class PassphraseError extends CryptoError {
  override name = 'PassphraseError';
  constructor(options?: ErrorOptions) {
    super('key-wrong-passphrase', 'The stored secret key could not be unlocked (wrong passphrase).', options);
  }
}

// ---- messages ---------------------------------------------------------------------------------------------------

/** The <openpgp/> text is not Base64 of an OpenPGP message, or its packets are malformed. */
export class MessageFormatError extends CryptoError {
  override name = 'MessageFormatError';
  constructor(detail: string, options?: ErrorOptions) {
    super('ox-malformed', `The encrypted message is malformed (${detail}).`, options);
  }
}

/** The OpenPGP message is not encrypted (plaintext, or only signed): never shown as a secure message. */
export class NotEncryptedError extends CryptoError {
  override name = 'NotEncryptedError';
  constructor(options?: ErrorOptions) {
    super('ox-not-encrypted', 'The message is not encrypted, so Cove does not show it as an encrypted message.', options);
  }
}

/** Decryption failed: not encrypted to our key, or the ciphertext was altered (integrity check). */
export class DecryptError extends CryptoError {
  override name = 'DecryptError';
  constructor(detail: string, options?: ErrorOptions) {
    super('ox-decrypt-failed', `The message could not be decrypted (${detail}).`, options);
  }
}

/** Missing signature, a signature by a key that is not one of the sender's, or one that does not verify. */
export class SignatureError extends CryptoError {
  override name = 'SignatureError';
  constructor(detail: string, options?: ErrorOptions) {
    super('ox-bad-signature', `The message's signature is not valid (${detail}).`, options);
  }
}

/** The decrypted content is not a well-formed, safe <signcrypt/> element (DOCTYPE, entities, missing parts…). */
export class ContentError extends CryptoError {
  override name = 'ContentError';
  constructor(detail: string, options?: ErrorOptions) {
    super('ox-bad-content', `The decrypted message is not valid OpenPGP for XMPP content (${detail}).`, options);
  }
}

export class PayloadTooLargeError extends CryptoError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number, options?: ErrorOptions) {
    super('ox-too-large', `The message is larger than the ${Math.round(limitBytes / 1024)} KiB Cove accepts.`, options);
  }
}

/** None of the <to/> elements names us (or the stanza's recipient): a possible surreptitious forward. */
export class NotForUsError extends CryptoError {
  override name = 'NotForUsError';
  constructor(options?: ErrorOptions) {
    super('ox-not-for-us', 'The message was encrypted for someone else and forwarded: Cove does not show it.', options);
  }
}

/** The <time/> stamp is missing, unreadable, or too far in the future or past. */
export class TimestampError extends CryptoError {
  override name = 'TimestampError';
  constructor(
    detail: string,
    /** The parsed time, when the stamp could be read but was out of range. */
    readonly time?: Date,
    options?: ErrorOptions,
  ) {
    super('ox-bad-time', `The message's time stamp is not acceptable (${detail}).`, options);
  }
}

/** Encryption itself failed (openpgp.js refused the keys or the input). */
export class EncryptError extends CryptoError {
  override name = 'EncryptError';
  constructor(detail: string, options?: ErrorOptions) {
    super('ox-encrypt-failed', `The message could not be encrypted (${detail}).`, options);
  }
}

// ---- secret key backup (XEP-0373 §5) ----------------------------------------------------------------------------

/** The backup code is not 24 characters of the XEP-0373 alphabet (e.g. a typo). */
export class BackupCodeFormatError extends CryptoError {
  override name = 'BackupCodeFormatError';
  constructor(options?: ErrorOptions) {
    super('backup-code-invalid', 'That is not a backup code: it has 24 letters and digits in six groups of four.', options);
  }
}

/** The backup could not be opened with this code: a wrong code, or damaged backup data. */
export class BackupDecryptError extends CryptoError {
  override name = 'BackupDecryptError';
  constructor(options?: ErrorOptions) {
    super('backup-code-wrong', 'The key backup could not be opened: the backup code is wrong or the backup is damaged.', options);
  }
}
