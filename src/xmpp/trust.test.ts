/**
 * The OX trust model (trust.ts) on a real encrypted profile database in a temp dir: first use, new and changed keys
 * waiting for the user's decision, accept / verify / reject, removed keys, invite fingerprints that match or not,
 * and our own devices' keys.
 */
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateAccountKey, type OxSecretKey } from '../crypto/keys';
import { MemoryKeySource } from '../store/key';
import { openProfile, type Store } from '../store/profile';
import { useTemp } from '../store/testing/fixtures';
import { OxFingerprintMismatchError, OxKeyDecisionPendingError, OxNoKeyError, OxUnknownKeyError } from './ox-keys-errors';
import { TrustBook } from './trust';

const temp = useTemp('trust');
let store: Store;
let book: TrustBook;
let bob1: OxSecretKey;
let bob2: OxSecretKey;
let bob3: OxSecretKey;
let me1: OxSecretKey;
let me2: OxSecretKey;

beforeAll(async () => {
  [bob1, bob2, bob3, me1, me2] = await Promise.all([
    generateAccountKey('bob@b.test'),
    generateAccountKey('bob@b.test'),
    generateAccountKey('bob@b.test'),
    generateAccountKey('me@a.test'),
    generateAccountKey('me@a.test'),
  ]);
});

beforeEach(async () => {
  store = temp.track(await openProfile(join(await temp.dir(), 'p.db'), { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p' }, { create: true }));
  book = new TrustBook({ store: store.contactKeys, accountId: store.accounts.ensure('me@a.test').id, ownJid: 'me@a.test' });
});

const fps = (keys: readonly { fingerprint: string }[]): string[] => keys.map((k) => k.fingerprint).sort();
const trustOf = (jid: string, fp: string): string | undefined => book.list(jid).find((k) => k.fingerprint === fp)?.trust;

describe('trust on first use and changes', () => {
  it('has no key before anything is fetched', async () => {
    expect(book.canSendTo('bob@b.test')).toMatchObject({ ok: false, error: { code: 'ox-no-key' } });
    await expect(book.keysForSending('bob@b.test')).rejects.toBeInstanceOf(OxNoKeyError);
  });

  it('trusts the first keys on first use (all of them), and they are usable at once', async () => {
    const r = book.reconcile('Bob@B.test', [bob1.publicKey, bob2.publicKey]);
    expect(r).toMatchObject({ jid: 'bob@b.test', removed: [], pending: [] });
    expect(fps(r.added.map((fingerprint) => ({ fingerprint })))).toEqual(fps([bob1, bob2]));
    expect(r.keys.map((k) => k.trust)).toEqual(['tofu', 'tofu']);
    expect(book.canSendTo('bob@b.test').ok).toBe(true);
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual(fps([bob1, bob2]));
    // The same list again changes nothing.
    expect(book.reconcile('bob@b.test', [bob1.publicKey, bob2.publicKey])).toMatchObject({ added: [], removed: [], pending: [] });
  });

  it('holds a new key for a JID that had one as changed: sending waits for the decision until accepted', async () => {
    book.reconcile('bob@b.test', [bob1.publicKey]);
    const r = book.reconcile('bob@b.test', [bob1.publicKey, bob2.publicKey]);
    expect(r.pending).toEqual([bob2.fingerprint]);
    expect(trustOf('bob@b.test', bob2.fingerprint)).toBe('changed');
    const check = book.canSendTo('bob@b.test');
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.error).toBeInstanceOf(OxKeyDecisionPendingError);
      expect(check.error).toMatchObject({ fingerprints: [bob2.fingerprint] });
      expect(check.error.message).toMatch(/waiting for your decision/);
    }
    await expect(book.keysForSending('bob@b.test')).rejects.toBeInstanceOf(OxKeyDecisionPendingError);
    // Verifying still sees both (the pending one marked).
    expect((await book.keysForVerifying('bob@b.test')).map((k) => [k.fingerprint, k.trust]).sort()).toEqual(
      [
        [bob1.fingerprint, 'tofu'],
        [bob2.fingerprint, 'changed'],
      ].sort(),
    );
    expect(book.accept('bob@b.test', bob2.fingerprint).trust).toBe('tofu');
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual(fps([bob1, bob2]));
  });

  it('a replaced key (old one gone, new one listed) is changed and the old one is no longer used', async () => {
    book.reconcile('bob@b.test', [bob1.publicKey]);
    const r = book.reconcile('bob@b.test', [bob2.publicKey]);
    expect(r).toMatchObject({ added: [bob2.fingerprint], removed: [bob1.fingerprint], pending: [bob2.fingerprint] });
    expect(book.canSendTo('bob@b.test')).toMatchObject({ ok: false, error: { code: 'ox-key-decision-pending' } });
    expect(fps(await book.keysForVerifying('bob@b.test'))).toEqual([bob2.fingerprint]);
    expect(book.verify('bob@b.test', bob2.fingerprint.replace(/(.{4})/g, '$1 ').toLowerCase()).trust).toBe('verified');
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual([bob2.fingerprint]);
  });

  it('a rejected key does not block sending and is never used; if it was the only one there is no key', async () => {
    book.reconcile('bob@b.test', [bob1.publicKey]);
    book.reconcile('bob@b.test', [bob1.publicKey, bob2.publicKey]);
    book.reject('bob@b.test', bob2.fingerprint);
    expect(book.pending('bob@b.test')).toEqual([]);
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual([bob1.fingerprint]);
    expect(fps(await book.keysForVerifying('bob@b.test'))).toEqual([bob1.fingerprint]);
    // Stored as rejected: after a restart (a new book over the same store) it is still refused, not asked again.
    expect(trustOf('bob@b.test', bob2.fingerprint)).toBe('rejected');
    const restarted = new TrustBook({ store: store.contactKeys, accountId: store.accounts.ensure('me@a.test').id, ownJid: 'me@a.test' });
    expect(restarted.pending('bob@b.test')).toEqual([]);
    expect(fps(await restarted.keysForVerifying('bob@b.test'))).toEqual([bob1.fingerprint]);
    book.reject('bob@b.test', bob1.fingerprint);
    expect(book.canSendTo('bob@b.test')).toMatchObject({ ok: false, error: { code: 'ox-no-key' } });
    // Accepting it later undoes the rejection.
    book.accept('bob@b.test', bob1.fingerprint);
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual([bob1.fingerprint]);
    expect(() => book.accept('bob@b.test', bob3.fingerprint)).toThrow(OxUnknownKeyError);
  });

  it('a key removed from the list stops being used; all removed means no key', async () => {
    book.reconcile('bob@b.test', [bob1.publicKey, bob2.publicKey]);
    expect(book.reconcile('bob@b.test', [bob2.publicKey]).removed).toEqual([bob1.fingerprint]);
    expect(fps(await book.keysForSending('bob@b.test'))).toEqual([bob2.fingerprint]);
    book.reconcile('bob@b.test', []);
    await expect(book.keysForSending('bob@b.test')).rejects.toBeInstanceOf(OxNoKeyError);
  });

  it('refuses keys bound to another JID', () => {
    expect(() => book.reconcile('carol@b.test', [bob1.publicKey])).toThrow(RangeError);
  });
});

describe('invite fingerprints and comparisons', () => {
  it('verifies the first key from the start when the invite fingerprint matches; other keys wait', () => {
    const r = book.reconcile('bob@b.test', [bob1.publicKey, bob2.publicKey], bob2.fingerprint.toLowerCase());
    expect(trustOf('bob@b.test', bob2.fingerprint)).toBe('verified');
    expect(trustOf('bob@b.test', bob1.fingerprint)).toBe('changed');
    expect(r.pending).toEqual([bob1.fingerprint]);
  });

  it('a mismatch is a loud typed error and the keys are NOT trusted on first use', () => {
    let err: unknown;
    try {
      book.reconcile('bob@b.test', [bob1.publicKey], bob3.fingerprint);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OxFingerprintMismatchError);
    expect(err).toMatchObject({ code: 'ox-fingerprint-mismatch', expected: bob3.fingerprint, found: [bob1.fingerprint] });
    expect((err as Error).message).toMatch(/WARNING/);
    expect(trustOf('bob@b.test', bob1.fingerprint)).toBe('changed');
    expect(book.canSendTo('bob@b.test')).toMatchObject({ ok: false, error: { code: 'ox-key-decision-pending' } });
  });

  it('a later comparison verifies a tofu key, and a wrong fingerprint is a mismatch', () => {
    book.reconcile('bob@b.test', [bob1.publicKey]);
    expect(() => book.verify('bob@b.test', bob2.fingerprint)).toThrow(OxFingerprintMismatchError);
    expect(trustOf('bob@b.test', bob1.fingerprint)).toBe('tofu');
    expect(book.verify('bob@b.test', bob1.fingerprint).trust).toBe('verified');
  });
});

describe('our own keys', () => {
  it('keeps our key verified, holds another device key as changed, and verifies with both', async () => {
    book.trustOwnKey(me1.publicKey);
    // Our list does not have our key yet (not published): it is not dropped.
    expect(book.reconcile('me@a.test', []).removed).toEqual([]);
    const r = book.reconcile('me@a.test', [me1.publicKey, me2.publicKey]);
    expect(r.pending).toEqual([me2.fingerprint]);
    expect(trustOf('me@a.test', me1.fingerprint)).toBe('verified');
    book.accept('me@a.test', me2.fingerprint);
    expect(fps(await book.keysForVerifying('me@a.test'))).toEqual(fps([me1, me2]));
  });
});
