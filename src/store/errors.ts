/**
 * Typed errors of the encrypted store. None of them carries a message body, a JID or a key: they reach logs and the
 * UI. The paths they name are the profile's own files, which the user chose.
 */
import { CoveError } from '../api/result';

export class StoreError extends CoveError {
  override name = 'StoreError';
}

/**
 * The database could not be read with the key given: a wrong key or passphrase, an encrypted database opened as a
 * plain one, a plain one opened with a key, or a file that is not a Cove database at all. SQLite cannot tell these
 * apart (each is "file is not a database"), so neither can this error.
 */
export class StoreKeyError extends StoreError {
  override name = 'StoreKeyError';
  constructor(options?: ErrorOptions) {
    super('store-key', 'The profile could not be unlocked: the key or passphrase is wrong, or the file is not a Cove profile.', options);
  }
}

/** The database was written by a newer Cove (its schema version is above the newest this build knows). */
export class StoreVersionError extends StoreError {
  override name = 'StoreVersionError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super('store-version', `The profile was written by a newer Cove (schema ${found}, this one knows up to ${known}); update Cove to open it.`);
  }
}

/** A migration failed; its transaction was rolled back, so the database is still at the version before it. */
export class StoreMigrationError extends StoreError {
  override name = 'StoreMigrationError';
  constructor(
    readonly version: number,
    options?: ErrorOptions,
  ) {
    super('store-migration', `Upgrading the profile to schema ${version} failed; nothing was changed.`, options);
  }
}

/** The header file beside the database (KDF parameters and salt) is missing, unreadable or malformed. */
export class StoreHeaderError extends StoreError {
  override name = 'StoreHeaderError';
  constructor(detail: string, options?: ErrorOptions) {
    super('store-header', `The profile's key header file is unusable (${detail}).`, options);
  }
}

/** A profile file is there already (create), or is missing (open). */
export class StoreFileError extends StoreError {
  override name = 'StoreFileError';
  constructor(detail: string, options?: ErrorOptions) {
    super('store-file', detail, options);
  }
}

/** An argument the store refuses: an unknown conversation, an empty id, a message too large. */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
  constructor(detail: string) {
    super('store-input', detail);
  }
}
