/**
 * The profile key in the OS keychain, through Electron's safeStorage (src/store/key.ts KeySource): a random 32-byte
 * key, encrypted by the keychain (macOS Keychain, Windows DPAPI, libsecret or KWallet on Linux) and kept as a small
 * file beside the profile. Where safeStorage would only obfuscate (Linux without a secret service: 'basic_text'),
 * there is no keychain and the profile needs a passphrase.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeySource } from '../src/store/key';

/** What this file needs of Electron's safeStorage (its real type satisfies it). */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  getSelectedStorageBackend(): string;
}

export const PROFILE_KEY_BYTES = 32;

export class KeychainError extends Error {
  override name = 'KeychainError';
}

/** A KeySource over safeStorage, or undefined when this system has no real keychain. */
export async function safeStorageKeySource(safe: SafeStorageLike, dir: string, platform: NodeJS.Platform): Promise<KeySource | undefined> {
  if (!(await safe.isAsyncEncryptionAvailable())) return undefined;
  if (platform === 'linux' && ['basic_text', 'unknown'].includes(safe.getSelectedStorageBackend())) return undefined;
  return new SafeStorageKeySource(safe, dir);
}

export class SafeStorageKeySource implements KeySource {
  /** One operation at a time: two first uses at once must not make two different keys. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly safe: SafeStorageLike,
    private readonly dir: string,
  ) {}

  getOrCreate(profileId: string): Promise<Buffer> {
    return this.serial(() => this.load(profileId));
  }

  forget(profileId: string): Promise<void> {
    return this.serial(() => rm(this.file(profileId), { force: true }));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(profileId: string): Promise<Buffer> {
    const file = this.file(profileId);
    let sealed: Buffer | undefined;
    try {
      sealed = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (sealed !== undefined) {
      const { result, shouldReEncrypt } = await this.safe.decryptStringAsync(sealed);
      const key = Buffer.from(result, 'base64');
      if (key.length !== PROFILE_KEY_BYTES) throw new KeychainError('The keychain gave back a profile key of the wrong size.');
      if (shouldReEncrypt) await this.store(file, key);
      return key;
    }
    const key = randomBytes(PROFILE_KEY_BYTES);
    await this.store(file, key);
    return key;
  }

  private file(profileId: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(profileId)) throw new KeychainError('A profile id is letters, digits, - and _.');
    return join(this.dir, `${profileId}.key`);
  }

  /** Written to a temporary file and renamed: a crash leaves the old key or the new one, never half of one. */
  private async store(file: string, key: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const sealed = await this.safe.encryptStringAsync(key.toString('base64'));
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, sealed, { mode: 0o600, flush: true });
    await rename(temp, file);
  }
}
