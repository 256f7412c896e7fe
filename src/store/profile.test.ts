// Export of a profile's decrypted data to JSON, and deletion of a profile (files and keychain entry).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreFileError } from './errors';
import { exportProfile } from './export';
import { MemoryKeySource } from './key';
import { deleteProfile, openProfile, profileFiles, profileMode } from './profile';
import { seedConversation, useTemp } from './testing/fixtures';

const temp = useTemp('profile');

interface Exported {
  format: string;
  version: number;
  schemaVersion: number;
  accounts: {
    jid: string;
    contacts: { jid: string; groups: string[] }[];
    contactKeys: { fingerprint: string; trust: string; publicKey: string }[];
    conversations: { peerJid: string; messages: { id: string; body: string; time: string; state: string; direction: string }[] }[];
  }[];
  avatars: { hash: string; data: string }[];
}

describe('export', () => {
  it('writes the decrypted data as one JSON document, private to the user, in chronological order', async () => {
    const dir = await temp.dir();
    const store = temp.track(await openProfile(join(dir, 'p.db'), { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p' }, { create: true }));
    const { accountId, conversationId } = seedConversation(store);
    store.messages.insert({ conversationId, id: 'late', direction: 'in', body: 'second "quoted" \u2014 ü', time: 2000, encrypted: true });
    store.messages.insert({ conversationId, id: 'early', direction: 'in', body: 'first\nline', time: 1000, encrypted: false });
    store.outbox.enqueue({ conversationId, id: 'mine', body: 'my reply', encrypted: true, time: 3000 });
    store.contacts.upsert(accountId, { jid: 'peer@b.test', name: 'Peer', subscription: 'both', ask: false, groups: ['g'] });
    const key = randomBytes(48);
    store.contactKeys.observe(accountId, 'peer@b.test', 'AB'.repeat(20), key);
    store.messages.insertMany(
      Array.from({ length: 3000 }, (_, i) => ({ conversationId, id: `bulk-${i}`, direction: 'in' as const, body: `bulk ${i}`, time: 10_000 + i, encrypted: true })),
    );

    const file = join(dir, 'export.json');
    writeFileSync(file, 'an older export');
    const summary = exportProfile(store.db, file);
    expect(summary).toMatchObject({ accounts: 1, conversations: 1, messages: 3003 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);

    const doc = JSON.parse(readFileSync(file, 'utf8')) as Exported;
    expect(doc).toMatchObject({ format: 'cove-export', version: 1, schemaVersion: 4 });
    const [account] = doc.accounts;
    expect(account?.jid).toBe('me@a.test');
    expect(account?.contacts).toMatchObject([{ jid: 'peer@b.test', groups: ['g'] }]);
    expect(account?.contactKeys).toMatchObject([{ fingerprint: 'AB'.repeat(20), trust: 'tofu', publicKey: key.toString('base64') }]);
    const messages = account?.conversations[0]?.messages ?? [];
    expect(messages.slice(0, 3)).toEqual([
      { id: 'early', direction: 'in', time: '1970-01-01T00:00:01.000Z', state: 'delivered', encrypted: false, body: 'first\nline' },
      { id: 'late', direction: 'in', time: '1970-01-01T00:00:02.000Z', state: 'delivered', encrypted: true, body: 'second "quoted" \u2014 ü' },
      { id: 'mine', direction: 'out', time: '1970-01-01T00:00:03.000Z', state: 'queued', encrypted: true, body: 'my reply' },
    ]);
    expect(messages).toHaveLength(3003);
  });
});

describe('delete', () => {
  it('closes the profile, removes the database, WAL, SHM and header, and forgets the key', async () => {
    const dir = await temp.dir();
    const path = join(dir, 'p.db');
    const keychain = new MemoryKeySource();
    const store = await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p' }, { create: true });
    seedConversation(store);
    // Open and written to: the WAL and SHM files exist now.
    expect(['p.db', 'p.db-wal', 'p.db-shm', 'p.db.header'].every((f) => existsSync(join(dir, f)))).toBe(true);
    await deleteProfile(store, { keys: { source: keychain, profileId: 'p' } });
    expect(store.db.open).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(profileFiles(path).some((f) => existsSync(f))).toBe(false);
    expect(keychain.has('p')).toBe(false);
    expect(profileMode(path)).toBeUndefined();
    await expect(openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p' })).rejects.toThrow(StoreFileError);
  });

  it('deletes a closed profile by its path and leaves other files alone', async () => {
    const dir = await temp.dir();
    const path = join(dir, 'p.db');
    writeFileSync(join(dir, 'other.txt'), 'keep me');
    (await openProfile(path, { kind: 'plain' }, { create: true })).close();
    await deleteProfile(path);
    expect(readdirSync(dir)).toEqual(['other.txt']);
  });
});
