/**
 * Secret key backup for the private PEP node `urn:xmpp:openpgp:0:secret-key` (XEP-0373 §5.4):
 *
 *  1. the transferable secret key, with its secret packets UNPROTECTED (S2K usage octet 0),
 *  2. a backup code: 24 characters from `123456789ABCDEFGHIJKLMNPQRSTUVWXYZ` (no O, no 0) from the CSPRNG, in six
 *     dash-separated groups of four, e.g. `TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW`,
 *  3. the whole code, dashes included (29 characters), as the passphrase of a Symmetric-Key Encrypted Session Key
 *     packet: an OpenPGP message (SKESK v4 + SEIPDv1, AES-256, GnuPG-compatible), Base64 for <secretkey/>.
 *
 * Reading is liberal about how the person typed the code (case, spaces, missing dashes) and strict about the rest.
 */
import { randomInt } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { decodeBase64, encodeBase64 } from './encoding';
import { BackupCodeFormatError, BackupDecryptError, CryptoError, KeyFormatError, KeyUnusableError } from './errors';
import { validateSecretKey, type OxSecretKey } from './keys';

export const BACKUP_CODE_ALPHABET = '123456789ABCDEFGHIJKLMNPQRSTUVWXYZ';
const CODE_LENGTH = 24;
const GROUP = 4;
/** Secret keys are small; a backup of several is still far below this. */
const MAX_BACKUP_BYTES = 1024 * 1024;

/** A new backup code, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (about 122 bits). Show it once; it is not stored. */
export function makeBackupCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => BACKUP_CODE_ALPHABET.charAt(randomInt(BACKUP_CODE_ALPHABET.length)));
  return groups(chars.join(''));
}

function groups(code: string): string {
  return code.match(new RegExp(`.{${GROUP}}`, 'g'))?.join('-') ?? code;
}

/** The canonical dashed code for what a person typed, or null if it cannot be a backup code. */
export function normalizeBackupCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  if (compact.length !== CODE_LENGTH) return null;
  for (const c of compact) if (!BACKUP_CODE_ALPHABET.includes(c)) return null;
  return groups(compact);
}

function requireCode(code: string): string {
  const normalized = normalizeBackupCode(code);
  if (normalized === null) throw new BackupCodeFormatError();
  return normalized;
}

/** The <secretkey/> text: Base64 of an OpenPGP message that holds `key`'s secret key, encrypted with `code`. */
export async function exportSecretKeyBackup(key: OxSecretKey, code: string): Promise<string> {
  const passphrase = requireCode(code);
  if (!key.secretKey.isDecrypted()) throw new KeyUnusableError('the secret key is still locked');
  // A decrypted openpgp.js key serialises its secret packets with S2K usage 0, as the XEP requires.
  const message = await openpgp.createMessage({ binary: key.secretKey.write() });
  const encrypted = await openpgp.encrypt({
    message,
    passwords: [passphrase],
    format: 'binary',
    config: { aeadProtect: false, preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256 },
  });
  return encodeBase64(encrypted);
}

async function unlockIfNeeded(key: PrivateKey, passphrase: string): Promise<PrivateKey> {
  if (key.isDecrypted()) return key;
  // The XEP says unprotected; a client that protected the key anyway most likely used the same code.
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (err) {
    throw new KeyFormatError('a key in the backup is protected by another passphrase', { cause: err });
  }
}

/**
 * Opens a backup made by exportSecretKeyBackup (or any XEP-0373 client) and returns the newest key in it that is
 * valid for `expectedJid`. A wrong code (or damaged data) is a BackupDecryptError; a badly typed one a
 * BackupCodeFormatError.
 */
export async function importSecretKeyBackup(data: string, code: string, expectedJid: string, now: Date = new Date()): Promise<OxSecretKey> {
  const passphrase = requireCode(code);
  if (data.length > MAX_BACKUP_BYTES) throw new KeyFormatError('backup too large');
  const bytes = decodeBase64(data);
  if (bytes === null || bytes.length === 0) throw new KeyFormatError('backup is not Base64');
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: bytes });
  } catch (err) {
    throw new KeyFormatError('backup is not an OpenPGP message', { cause: err });
  }
  if (!message.packets.some((p) => p instanceof openpgp.SymEncryptedSessionKeyPacket)) throw new KeyFormatError('backup is not encrypted with a code');
  let plain: Uint8Array;
  try {
    ({ data: plain } = await openpgp.decrypt({
      message,
      passwords: [passphrase],
      format: 'binary',
      config: { maxDecompressedMessageSize: MAX_BACKUP_BYTES },
    }));
  } catch (err) {
    throw new BackupDecryptError({ cause: err });
  }
  let keys: PrivateKey[];
  try {
    keys = await openpgp.readPrivateKeys({ binaryKeys: plain });
  } catch (err) {
    throw new KeyFormatError('the backup holds no secret key', { cause: err });
  }
  const valid: OxSecretKey[] = [];
  let firstError: CryptoError | null = null;
  for (const key of keys) {
    try {
      valid.push(await validateSecretKey(await unlockIfNeeded(key, passphrase), expectedJid, now));
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      firstError ??= err;
    }
  }
  valid.sort((a, b) => b.secretKey.getCreationTime().getTime() - a.secretKey.getCreationTime().getTime());
  const [newest] = valid;
  if (newest === undefined) throw firstError ?? new KeyFormatError('the backup holds no secret key');
  return newest;
}
