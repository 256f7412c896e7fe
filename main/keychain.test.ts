// The safeStorage KeySource's own logic (files, sizes, concurrency, refusal of a fake keychain). safeStorage itself
// needs Electron, which cannot run here: a stand-in seals with AES-GCM under a key only it holds.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_BYTES } from '../src/store/db';
import { KeychainError, PROFILE_KEY_BYTES, safeStorageKeySource, type SafeStorageLike } from './keychain';

class StandInSafeStorage implements SafeStorageLike {
  private readonly secret = randomBytes(32);
  rotate = false;
  constructor(private readonly backend = 'gnome_libsecret') {}
  isAsyncEncryptionAvailable(): Promise<boolean> {
    return Promise.resolve(true);
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptStringAsync(plainText: string): Promise<Buffer> {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.secret, iv);
    const body = Buffer.concat([c.update(plainText, 'utf8'), c.final()]);
    return Promise.resolve(Buffer.concat([iv, c.getAuthTag(), body]));
  }
  decryptStringAsync(sealed: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    const d = createDecipheriv('aes-256-gcm', this.secret, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(12, 28));
    return Promise.resolve({ result: Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8'), shouldReEncrypt: this.rotate });
  }
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-keychain-'));
  dirs.push(dir);
  return join(dir, 'keychain');
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('safeStorage KeySource', () => {
  it('makes a random profile key once, keeps it sealed on disk, and gives the same key back', async () => {
    expect(PROFILE_KEY_BYTES).toBe(KEY_BYTES);
    const safe = new StandInSafeStorage();
    const dir = await tempDir();
    const source = await safeStorageKeySource(safe, dir, 'linux');
    if (source === undefined) throw new Error('no key source');
    const [a, b] = await Promise.all([source.getOrCreate('default'), source.getOrCreate('default')]);
    expect(a.length).toBe(32);
    expect(b.equals(a)).toBe(true);
    const again = await safeStorageKeySource(safe, dir, 'linux');
    expect((await again?.getOrCreate('default'))?.equals(a)).toBe(true);
    const file = join(dir, 'default.key');
    const sealed = await readFile(file);
    expect(sealed.includes(a)).toBe(false);
    expect(sealed.includes(Buffer.from(a.toString('base64')))).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await source.getOrCreate('other')).equals(a)).toBe(false);
  });

  it('re-seals a key the keychain asks to re-encrypt, and forgets a key', async () => {
    const safe = new StandInSafeStorage();
    const dir = await tempDir();
    const source = await safeStorageKeySource(safe, dir, 'darwin');
    const key = await source?.getOrCreate('default');
    const before = await readFile(join(dir, 'default.key'));
    safe.rotate = true;
    expect((await source?.getOrCreate('default'))?.equals(key ?? Buffer.alloc(0))).toBe(true);
    expect((await readFile(join(dir, 'default.key'))).equals(before)).toBe(false);
    await source?.forget?.('default');
    expect((await readdir(dir)).filter((f) => f.startsWith('default'))).toEqual([]);
  });

  it('refuses a sealed key of the wrong size and a profile id that is not a plain name', async () => {
    const safe = new StandInSafeStorage();
    const dir = await tempDir();
    const source = await safeStorageKeySource(safe, dir, 'win32');
    await source?.getOrCreate('default');
    await writeFile(join(dir, 'default.key'), await safe.encryptStringAsync(randomBytes(16).toString('base64')));
    await expect(source?.getOrCreate('default')).rejects.toThrow(KeychainError);
    await expect(source?.getOrCreate('../escape')).rejects.toThrow(KeychainError);
  });

  it('is no keychain where safeStorage would only obfuscate (Linux basic_text) or is unavailable', async () => {
    expect(await safeStorageKeySource(new StandInSafeStorage('basic_text'), await tempDir(), 'linux')).toBeUndefined();
    const unavailable = new StandInSafeStorage();
    unavailable.isAsyncEncryptionAvailable = () => Promise.resolve(false);
    expect(await safeStorageKeySource(unavailable, await tempDir(), 'darwin')).toBeUndefined();
  });
});
