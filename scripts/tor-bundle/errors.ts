/** The packaging script's typed errors: each refusal says what failed and what to do. */
import { CoveError } from '../../src/api/result';

/** The shipped signing key is missing, a placeholder, expired, or not the pinned one. */
export class SigningKeyError extends CoveError {
  override name = 'SigningKeyError';
}

/** The signature over the checksum file does not verify against the pinned key. */
export class SignatureError extends CoveError {
  override name = 'SignatureError';
}

/** The checksum file is malformed, lacks the archive, or the archive's SHA-256 differs from it. */
export class ChecksumError extends CoveError {
  override name = 'ChecksumError';
}

/** The archive is not a tar.gz we accept (path traversal, links out, missing tor). */
export class ArchiveError extends CoveError {
  override name = 'ArchiveError';
}

/** A download failed after its retries, timed out, or was larger than allowed. */
export class DownloadError extends CoveError {
  override name = 'DownloadError';
}

/** `--from-system`: no system tor to copy, or it is unusable. */
export class SystemTorError extends CoveError {
  override name = 'SystemTorError';
}

/** Bad command line or a platform the Expert Bundle does not exist for. */
export class UsageError extends CoveError {
  override name = 'UsageError';
}
