// Roster cache, vCard and avatar cache, and contacts' OX keys with their trust states, on a real encrypted profile.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreInputError } from './errors';
import { MemoryKeySource } from './key';
import { openProfile, type Store } from './profile';
import { useTemp } from './testing/fixtures';

const temp = useTemp('contacts');
let store: Store;
let account: number;

beforeEach(async () => {
  store = temp.track(await openProfile(join(await temp.dir(), 'p.db'), { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p' }, { create: true }));
  account = store.accounts.ensure('me@a.test').id;
});

const avatarOf = (data: Buffer): { hash: string; mime: string; data: Buffer } => ({
  hash: createHash('sha1').update(data).digest('hex'),
  mime: 'image/png',
  data,
});

describe('roster cache', () => {
  it('takes roster pushes and a full roster with its version; contacts that stay keep their vCard and avatar', () => {
    store.contacts.upsert(account, { jid: 'ann@b.test', name: 'Ann', subscription: 'both', ask: false, groups: ['Friends'] });
    store.contacts.upsert(account, { jid: 'bob@b.test', name: null, subscription: 'to', ask: true, groups: [] });
    store.contacts.setVCard(account, 'ann@b.test', '<vCard xmlns="vcard-temp"><FN>Ann</FN></vCard>', 5);
    store.contacts.setAvatar(account, 'ann@b.test', avatarOf(randomBytes(100)));
    expect(store.contacts.list(account).map((c) => c.jid)).toEqual(['ann@b.test', 'bob@b.test']);

    store.contacts.replaceRoster(account, [{ jid: 'ann@b.test', name: 'Ann B.', subscription: 'both', ask: false, groups: ['Friends', 'Work'] }], 'ver-7');
    const [ann, ...rest] = store.contacts.list(account);
    expect(rest).toEqual([]);
    expect(ann).toMatchObject({ jid: 'ann@b.test', name: 'Ann B.', groups: ['Friends', 'Work'], vcardFetchedAt: 5 });
    expect(ann?.vcard).toContain('<FN>Ann</FN>');
    expect(ann?.avatarHash).toMatch(/^[0-9a-f]{40}$/u);
    expect(store.accounts.get(account)?.rosterVer).toBe('ver-7');

    expect(store.contacts.remove(account, 'ann@b.test')).toBe(true);
    expect(store.contacts.get(account, 'ann@b.test')).toBeUndefined();
  });

  it('stores an avatar once for every contact that shows it, and prunes it when none does', () => {
    const pic = avatarOf(randomBytes(2000));
    for (const jid of ['a@b.test', 'c@b.test']) {
      store.contacts.upsert(account, { jid, name: null, subscription: 'both', ask: false, groups: [] });
      store.contacts.setAvatar(account, jid, pic);
    }
    expect(store.db.prepare('SELECT count(*) AS n FROM avatars').get()).toEqual({ n: 1 });
    expect(store.contacts.avatar(pic.hash)?.data.equals(pic.data)).toBe(true);
    store.contacts.setAvatar(account, 'a@b.test', null);
    expect(store.contacts.pruneAvatars()).toBe(0);
    store.contacts.remove(account, 'c@b.test');
    expect(store.contacts.pruneAvatars()).toBe(1);
    expect(store.contacts.avatar(pic.hash)).toBeUndefined();
    expect(() => store.contacts.setAvatar(account, 'a@b.test', { ...pic, hash: 'nope' })).toThrow(StoreInputError);
  });

  it('removes an account with everything that hangs on it', () => {
    store.contacts.upsert(account, { jid: 'x@b.test', name: null, subscription: 'none', ask: false, groups: [] });
    const conv = store.conversations.ensure(account, 'x@b.test').id;
    store.messages.insert({ conversationId: conv, id: '1', direction: 'in', body: 'gone soon', time: 1, encrypted: true });
    store.contactKeys.observe(account, 'x@b.test', 'A'.repeat(40), randomBytes(64));
    expect(store.accounts.remove(account)).toBe(true);
    for (const table of ['contacts', 'conversations', 'messages', 'contact_keys']) {
      expect(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    }
    expect(store.messages.search('gone')).toEqual([]);
  });
});

describe('contact keys', () => {
  const fp1 = '0123456789ABCDEF0123456789ABCDEF01234567';
  const fp2 = 'FEDCBA9876543210FEDCBA9876543210FEDCBA98';

  it('trusts the first key on first use, marks a new one as changed, and keeps trust across refreshes', () => {
    const first = store.contactKeys.observe(account, 'ann@b.test', fp1.toLowerCase(), Buffer.from('key-1'), 10);
    expect(first).toMatchObject({ fingerprint: fp1, trust: 'tofu', firstSeen: 10 });
    expect(store.contactKeys.verify(account, 'ann@b.test', fp1)).toBe(true);
    // The same key republished (new self-signature): still verified.
    expect(store.contactKeys.observe(account, 'ann@b.test', fp1, Buffer.from('key-1b'), 20)).toMatchObject({ trust: 'verified', firstSeen: 10, lastSeen: 20 });
    // Another key for the same JID: changed, until the user decides.
    expect(store.contactKeys.observe(account, 'ann@b.test', fp2, Buffer.from('key-2'), 30).trust).toBe('changed');
    expect(store.contactKeys.list(account, 'ann@b.test').map((k) => [k.fingerprint, k.trust])).toEqual([
      [fp1, 'verified'],
      [fp2, 'changed'],
    ]);
    expect(store.contactKeys.accept(account, 'ann@b.test', fp2)).toBe(true);
    expect(store.contactKeys.get(account, 'ann@b.test', fp2)?.trust).toBe('tofu');
    // Another contact's first key is independent of Ann's.
    expect(store.contactKeys.observe(account, 'bob@b.test', fp2, Buffer.from('key-2'), 40).trust).toBe('tofu');
  });

  it('refuses a malformed fingerprint', () => {
    expect(() => store.contactKeys.observe(account, 'a@b.test', 'xyz', Buffer.from('k'))).toThrow(StoreInputError);
  });
});
