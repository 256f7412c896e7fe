// Where the key comes from: the keychain (KeySource), or a passphrase through scrypt with its header file; a
// passphrase change that re-keys the database, including a change interrupted at either step.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, rekeyDatabase } from './db';
import { StoreFileError, StoreHeaderError, StoreKeyError } from './errors';
import { DEFAULT_SCRYPT, deriveFromHeader, deriveKey, headerPath, MemoryKeySource, newKdfHeader, readHeader, writeHeader } from './key';
import { changePassphrase, openProfile, profileMode } from './profile';
import { FAST_KDF, seedConversation, useTemp } from './testing/fixtures';

const temp = useTemp('key');

describe('scrypt', () => {
  it('derives the same key from the same passphrase and salt, another from another salt or passphrase', async () => {
    const salt = randomBytes(16);
    const a = await deriveKey('correct horse battery staple', salt, FAST_KDF);
    expect(a).toHaveLength(32);
    expect((await deriveKey('correct horse battery staple', salt, FAST_KDF)).equals(a)).toBe(true);
    expect((await deriveKey('correct horse battery staple', randomBytes(16), FAST_KDF)).equals(a)).toBe(false);
    expect((await deriveKey('correct horse battery stapler', salt, FAST_KDF)).equals(a)).toBe(false);
  });

  it('treats the same characters typed in another Unicode form as the same passphrase (NFC)', async () => {
    const salt = randomBytes(16);
    const composed = await deriveKey('caf\u00e9', salt, FAST_KDF);
    expect((await deriveKey('cafe\u0301', salt, FAST_KDF)).equals(composed)).toBe(true);
  });

  it('runs the default parameters (N=2^18, r=8, p=1), and prints how long they take', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 18, r: 8, p: 1 });
    const t0 = performance.now();
    await deriveKey('passphrase', randomBytes(16));
    const ms = performance.now() - t0;
    console.log(`scrypt N=2^18 r=8 p=1: ${Math.round(ms)} ms`);
    // ~0.77 s on the 2-core development machine (a figure, not a test: timings are not asserted).
    expect(ms).toBeGreaterThan(0);
  });

  it('refuses parameters that are too weak or could exhaust memory', async () => {
    await expect(deriveKey('x', randomBytes(16), { N: 2 ** 10, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(deriveKey('x', randomBytes(16), { N: 2 ** 24, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(deriveKey('x', randomBytes(16), { N: 3000, r: 8, p: 1 })).rejects.toThrow(RangeError);
  });
});

describe('header file', () => {
  it('round-trips, is private to the user, and holds no key', async () => {
    const db = join(await temp.dir(), 'p.db');
    const kdf = newKdfHeader(FAST_KDF);
    writeHeader(db, { format: 'cove-store', version: 1, mode: 'passphrase', ...kdf });
    expect(readHeader(db)).toEqual({ format: 'cove-store', version: 1, mode: 'passphrase', ...kdf });
    expect(statSync(headerPath(db)).mode & 0o777).toBe(0o600);
    const key = await deriveFromHeader('pass', kdf);
    expect(readFileSync(headerPath(db), 'utf8')).not.toContain(key.toString('hex'));
    expect(readFileSync(headerPath(db), 'utf8')).not.toContain(key.toString('base64'));
  });

  it('rejects a malformed header with StoreHeaderError', async () => {
    const db = join(await temp.dir(), 'p.db');
    expect(readHeader(db)).toBeUndefined();
    for (const text of ['not json', '{"format":"cove-store","version":1,"mode":"passphrase","kdf":"scrypt","N":1024,"r":8,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}', '{"mode":"keychain"}']) {
      writeFileSync(headerPath(db), text);
      expect(() => readHeader(db), text).toThrow(StoreHeaderError);
    }
  });
});

describe('passphrase profiles', () => {
  it('round trip: create, reopen with the passphrase; a wrong one is a StoreKeyError', async () => {
    const path = join(await temp.dir(), 'p.db');
    const store = await openProfile(path, { kind: 'passphrase', passphrase: 'first secret', kdf: FAST_KDF }, { create: true });
    const { conversationId } = seedConversation(store);
    store.messages.insert({ conversationId, id: 'a', direction: 'in', body: 'hello there', time: 1, encrypted: true });
    store.close();
    expect(profileMode(path)).toBe('passphrase');
    await expect(openProfile(path, { kind: 'passphrase', passphrase: 'First secret' })).rejects.toThrow(StoreKeyError);
    const again = temp.track(await openProfile(path, { kind: 'passphrase', passphrase: 'first secret' }));
    expect(again.messages.search('hello')).toHaveLength(1);
  });

  it('changes the passphrase by re-keying: the old one stops working, the data stays, the salt is new', async () => {
    const path = join(await temp.dir(), 'p.db');
    const store = await openProfile(path, { kind: 'passphrase', passphrase: 'old pass', kdf: FAST_KDF }, { create: true });
    const { conversationId } = seedConversation(store);
    store.messages.insertMany(Array.from({ length: 100 }, (_, i) => ({ conversationId, id: `m${i}`, direction: 'in' as const, body: `note ${i}`, time: i, encrypted: true })));
    const before = readHeader(path);
    if (before?.mode !== 'passphrase') throw new Error('expected a passphrase header');
    await changePassphrase(store, 'new pass', FAST_KDF);
    // Still usable while open, under the new key.
    store.messages.insert({ conversationId, id: 'after', direction: 'in', body: 'after the change', time: 200, encrypted: true });
    store.close();
    const header = readHeader(path);
    expect(header?.mode === 'passphrase' && header.salt !== before.salt && header.pending === undefined).toBe(true);
    await expect(openProfile(path, { kind: 'passphrase', passphrase: 'old pass' })).rejects.toThrow(StoreKeyError);
    const again = temp.track(await openProfile(path, { kind: 'passphrase', passphrase: 'new pass' }));
    expect(again.messages.count(conversationId)).toBe(101);
  });

  it('recovers a change that stopped after the header announced it but before the re-key', async () => {
    const path = join(await temp.dir(), 'p.db');
    (await openProfile(path, { kind: 'passphrase', passphrase: 'old', kdf: FAST_KDF }, { create: true })).close();
    const header = readHeader(path);
    if (header?.mode !== 'passphrase') throw new Error('expected a passphrase header');
    writeHeader(path, { ...header, pending: newKdfHeader(FAST_KDF) });
    // The database is still under the old key: the old passphrase opens it and the header forgets the change.
    temp.track(await openProfile(path, { kind: 'passphrase', passphrase: 'old' })).close();
    expect(readHeader(path)).toEqual(header);
  });

  it('recovers a change that stopped after the re-key but before the header was finished', async () => {
    const path = join(await temp.dir(), 'p.db');
    const store = await openProfile(path, { kind: 'passphrase', passphrase: 'old', kdf: FAST_KDF }, { create: true });
    seedConversation(store);
    store.close();
    const header = readHeader(path);
    if (header?.mode !== 'passphrase') throw new Error('expected a passphrase header');
    const next = newKdfHeader(FAST_KDF);
    writeHeader(path, { ...header, pending: next });
    const db = openDatabase({ path, encryption: { key: await deriveFromHeader('old', header) }, create: false });
    rekeyDatabase(db, await deriveFromHeader('new', next));
    db.close();
    // The new passphrase opens it (under the pending salt), and the header now describes it.
    await expect(openProfile(path, { kind: 'passphrase', passphrase: 'old' })).rejects.toThrow(StoreKeyError);
    const again = temp.track(await openProfile(path, { kind: 'passphrase', passphrase: 'new' }));
    expect(again.accounts.list()).toHaveLength(1);
    expect(readHeader(path)).toEqual({ format: 'cove-store', version: 1, mode: 'passphrase', ...next });
  });
});

describe('re-key and crash', () => {
  it('a process killed right after the re-key committed (pages only in the WAL) opens with the new key', async () => {
    const dir = await temp.dir();
    const path = join(dir, 'p.db');
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testing', 'rekey-kill-child.ts'), path], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, COVE_TEST_KEY_A: a.toString('hex'), COVE_TEST_KEY_B: b.toString('hex') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.signal, out.stderr).toBe('SIGKILL');
    expect(Number(/wal (\d+)/u.exec(out.stdout)?.[1])).toBeGreaterThan(statSync(path).size);
    expect(() => openDatabase({ path, encryption: { key: a }, create: false })).toThrow(StoreKeyError);
    const db = temp.track(openDatabase({ path, encryption: { key: b }, create: false }));
    expect(db.prepare('SELECT count(*) AS n FROM accounts').get()).toEqual({ n: 50 });
  });
});

describe('keychain profiles', () => {
  it('take their key from the KeySource; another key source cannot open them', async () => {
    const path = join(await temp.dir(), 'p.db');
    const keychain = new MemoryKeySource();
    const store = await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p1' }, { create: true });
    seedConversation(store);
    store.close();
    expect(profileMode(path)).toBe('keychain');
    expect(readFileSync(headerPath(path), 'utf8')).not.toMatch(/salt|key"/u);
    await expect(openProfile(path, { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p1' })).rejects.toThrow(StoreKeyError);
    await expect(openProfile(path, { kind: 'passphrase', passphrase: 'x' })).rejects.toThrow(StoreKeyError);
    await expect(openProfile(path, { kind: 'plain' })).rejects.toThrow(StoreKeyError);
    const again = temp.track(await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p1' }));
    expect(again.accounts.list()).toHaveLength(1);
  });

  it('does not create a profile unless asked, and needs its header', async () => {
    const dir = await temp.dir();
    const keychain = new MemoryKeySource();
    await expect(openProfile(join(dir, 'none.db'), { kind: 'keychain', source: keychain, profileId: 'x' })).rejects.toThrow(StoreFileError);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
    const path = join(dir, 'p.db');
    (await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'x' }, { create: true })).close();
    writeFileSync(headerPath(path), '');
    await expect(openProfile(path, { kind: 'keychain', source: keychain, profileId: 'x' })).rejects.toThrow(StoreHeaderError);
  });
});
