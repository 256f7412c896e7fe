/**
 * OX keys on PEP (src/xmpp/ox-keys.ts) and the trust model against the real Prosody pair (a.test, b.test, federated,
 * TLS from a test CA, every connection through DirectTransport to an IP), each account with its own encrypted profile
 * database in a temp dir: alice and bob approve each other, publish their keys (access model `presence`) and fetch
 * each other's across federation (tofu); carol, not approved, cannot (typed error); bob replaces his key and alice's
 * +notify event makes it `changed` until she accepts it; invite fingerprints that match or not; and alice's secret
 * key backup restored on her second device with the right code, refused with a wrong one.
 */
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupDecryptError } from '../../src/crypto/errors';
import { generateAccountKey, exportPublicKey, type OxSecretKey } from '../../src/crypto/keys';
import { DirectTransport } from '../../src/net/direct';
import { MemoryKeySource } from '../../src/store/key';
import { openProfile, type Store } from '../../src/store/profile';
import { XmppAccount, type ConnectionSettings } from '../../src/xmpp/account';
import { XmppRequestError } from '../../src/xmpp/errors';
import { buildInvite, parseInvite } from '../../src/xmpp/invite';
import { OxKeys, type FetchResult } from '../../src/xmpp/ox-keys';
import { OxFingerprintMismatchError, OxKeyDecisionPendingError, OxNotSubscribedError } from '../../src/xmpp/ox-keys-errors';
import { buildPubkey, NODE_SECRET_KEY, publicKeyNode } from '../../src/xmpp/ox-keys-stanzas';
import { fetchItems, publish } from '../../src/xmpp/pep';
import { Roster } from '../../src/xmpp/roster';
import type { Rejection } from '../../src/xmpp/validate';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair, type ProsodyServer } from '../rig/prosody';
import { finishRunDir, makeRunDir } from '../rig/util';
import { nextEvent as nextEventOf } from '../helpers/events';

const WAIT_MS = 10_000;

interface Member {
  account: XmppAccount;
  roster: Roster;
  ox: OxKeys;
  store: Store;
  rejected: Rejection[];
}

function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, match: (...args: A) => boolean, timeoutMs = WAIT_MS): Promise<A> {
  return nextEventOf<A>(emitter, event, match, timeoutMs);
}

const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;

describe('OX keys on PEP and trust, on the Prosody pair', () => {
  const run = trackFailures();
  const transport = new DirectTransport();
  let pair: ProsodyPair | undefined;
  let dir = '';
  let dbCount = 0;
  const members: Member[] = [];
  let alice: Member;
  let bob: Member;
  let aliceKey: OxSecretKey;
  let bobKey: OxSecretKey;

  function rig(): ProsodyPair {
    if (pair === undefined) throw new Error('the Prosody pair did not start');
    return pair;
  }

  function settings(server: ProsodyServer, key: string): ConnectionSettings {
    return { domain: server.domain, server: { host: server.host, port: server.c2sPort }, transport, accountKey: key, ca: rig().caPem, timeoutMs: WAIT_MS };
  }

  async function profile(): Promise<Store> {
    dbCount += 1;
    return openProfile(join(dir, `p${dbCount}.db`), { kind: 'keychain', source: new MemoryKeySource(), profileId: `p${dbCount}` }, { create: true });
  }

  async function member(server: ProsodyServer, username: string, resource?: string): Promise<Member> {
    const account = new XmppAccount({ ...settings(server, `key-${username}-${resource ?? ''}`), username, password: `pw-${username}-secret`, ...(resource === undefined ? {} : { resource }) });
    const store = await profile();
    const ox = new OxKeys({ account, store: store.contactKeys, accountId: store.accounts.ensure(account.bareJid).id });
    const m: Member = { account, roster: new Roster(account), ox, store, rejected: [] };
    account.on('rejected', (r) => m.rejected.push(r));
    members.push(m);
    await account.start();
    await m.roster.loaded();
    return m;
  }

  /** Another OxKeys (with its own fresh profile database) on a member's account: a fresh install's view. */
  async function freshOx(m: Member): Promise<OxKeys> {
    const store = await profile();
    members.push({ ...m, store, account: m.account });
    return new OxKeys({ account: m.account, store: store.contactKeys, accountId: store.accounts.ensure(m.account.bareJid).id });
  }

  beforeAll(async () => {
    dir = await makeRunDir('ox-keys-profiles');
    pair = await startProsodyPair({ name: 'ox-keys' });
    console.log(`[ox-keys] Prosody pair up in ${pair.startedInMs.toFixed(0)} ms`);
    const t0 = performance.now();
    const regs = await Promise.all([
      XmppAccount.register({ ...settings(pair.a, 'reg-a'), username: 'alice', password: 'pw-alice-secret' }),
      XmppAccount.register({ ...settings(pair.b, 'reg-b'), username: 'bob', password: 'pw-bob-secret' }),
      XmppAccount.register({ ...settings(pair.a, 'reg-c'), username: 'carol', password: 'pw-carol-secret' }),
    ]);
    expect(regs.map((r) => r.status)).toEqual(['registered', 'registered', 'registered']);
    [aliceKey, bobKey] = await Promise.all([generateAccountKey('alice@a.test'), generateAccountKey('bob@b.test')]);
    console.log(`[ox-keys] three registrations + two keys in ${ms(t0)}`);
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.account.stop()));
    for (const m of members) if (m.store.db.open) m.store.close();
    await pair?.stop(run.failed);
    if (dir !== '') await finishRunDir(dir, run.failed);
  });

  it('alice and bob approve each other, publish their keys and fetch each other across federation (tofu)', async () => {
    [alice, bob] = await Promise.all([member(rig().a, 'alice'), member(rig().b, 'bob')]);
    const request = nextEvent<[{ jid: string }]>(bob.roster, 'subscription-request', (r) => r.jid === 'alice@a.test');
    await alice.roster.add('bob@b.test');
    await request;
    const back = nextEvent<[{ jid: string }]>(alice.roster, 'subscription-request', (r) => r.jid === 'bob@b.test');
    await bob.roster.approve('alice@a.test');
    await back;
    await alice.roster.approve('bob@b.test');
    await expect.poll(() => alice.roster.get('bob@b.test')?.subscription, { timeout: WAIT_MS }).toBe('both');
    await expect.poll(() => bob.roster.get('alice@a.test')?.subscription, { timeout: WAIT_MS }).toBe('both');

    // Bob's key node already exists with another access model: the publish-options precondition fails, and
    // publishKey configures the node and publishes again.
    const date = new Date();
    await bob.account.iq('set', publish(publicKeyNode(bobKey.fingerprint), 'old', buildPubkey(exportPublicKey(bobKey.publicKey), date), { accessModel: 'open' }), 'set-up');

    const t0 = performance.now();
    const [aliceReport, bobReport] = await Promise.all([alice.ox.publishKey(aliceKey), bob.ox.publishKey(bobKey)]);
    const tPublish = ms(t0);
    expect(aliceReport).toEqual({ fingerprint: aliceKey.fingerprint, keyNode: 'with-options', listNode: 'with-options' });
    expect(bobReport).toEqual({ fingerprint: bobKey.fingerprint, keyNode: 'configured-then-published', listNode: 'with-options' });

    const t1 = performance.now();
    const [aliceSees, bobSees] = await Promise.all([alice.ox.fetchKeys('bob@b.test'), bob.ox.fetchKeys('alice@a.test')]);
    console.log(`[ox-keys] both keys published in ${tPublish}; fetched across s2s (list + key) in ${ms(t1)}`);
    expect(aliceSees).toMatchObject({ jid: 'bob@b.test', added: [bobKey.fingerprint], removed: [], pending: [], skipped: 0 });
    expect(aliceSees.keys.map((k) => k.trust)).toEqual(['tofu']);
    expect(bobSees.keys.map((k) => [k.fingerprint, k.trust])).toEqual([[aliceKey.fingerprint, 'tofu']]);
    expect((await alice.ox.keysForSending('bob@b.test')).map((k) => k.fingerprint)).toEqual([bobKey.fingerprint]);
    // Our own key is held (verified) for our own JID.
    expect((await alice.ox.keysForVerifying('alice@a.test')).map((k) => [k.fingerprint, k.trust])).toEqual([[aliceKey.fingerprint, 'verified']]);
  });

  it('carol, whom alice has not approved, cannot fetch her key: a typed error the UI can show', async () => {
    const carol = await member(rig().a, 'carol');
    const t0 = performance.now();
    const err: unknown = await carol.ox.fetchKeys('alice@a.test').catch((e: unknown) => e);
    console.log(`[ox-keys] refused fetch in ${ms(t0)} (${err instanceof OxNotSubscribedError ? err.condition : String(err)})`);
    expect(err).toBeInstanceOf(OxNotSubscribedError);
    expect(err).toMatchObject({ code: 'ox-not-subscribed', jid: 'alice@a.test' });
    expect((err as Error).message).toMatch(/approve your contact request/);
    expect(carol.ox.canSendTo('alice@a.test')).toMatchObject({ ok: false, error: { code: 'ox-no-key' } });
    await carol.account.stop();
  });

  it('bob replaces his key: alice gets a +notify event, the key is changed and sending waits until she accepts', async () => {
    const newKey = await generateAccountKey('bob@b.test');
    const changed = nextEvent<[FetchResult]>(alice.ox, 'keys-changed', (r) => r.jid === 'bob@b.test' && r.added.includes(newKey.fingerprint));
    const t0 = performance.now();
    await bob.ox.publishKey(newKey, { replaceOthers: true });
    const [result] = await changed;
    console.log(`[ox-keys] new key published -> alice's event-driven refresh done in ${ms(t0)}`);
    expect(result).toMatchObject({ added: [newKey.fingerprint], removed: [bobKey.fingerprint], pending: [newKey.fingerprint] });
    const check = alice.ox.canSendTo('bob@b.test');
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.error).toBeInstanceOf(OxKeyDecisionPendingError);
    await expect(alice.ox.keysForSending('bob@b.test')).rejects.toMatchObject({ code: 'ox-key-decision-pending' });

    expect(alice.ox.trust.accept('bob@b.test', newKey.fingerprint).trust).toBe('tofu');
    expect((await alice.ox.keysForSending('bob@b.test')).map((k) => k.fingerprint)).toEqual([newKey.fingerprint]);
    bobKey = newKey;
  });

  it('a forged key event (from a full JID) is rejected and changes nothing', async () => {
    const before = alice.rejected.length;
    const forged = nextEvent<[Rejection]>(alice.account, 'rejected', (r) => r.module === 'ox-keys');
    const aliceFull = alice.account.fullJid ?? '';
    const { xml } = await import('@xmpp/client');
    await bob.account.send(
      xml('message', { to: aliceFull, type: 'headline' }, xml('event', { xmlns: 'http://jabber.org/protocol/pubsub#event' }, xml('items', { node: 'urn:xmpp:openpgp:0:public-keys' }))),
    );
    expect((await forged)[0]).toEqual({ module: 'ox-keys', stanza: 'message', reason: 'forged-push' });
    expect(alice.rejected.length).toBeGreaterThan(before);
    expect((await alice.ox.keysForSending('bob@b.test')).map((k) => k.fingerprint)).toEqual([bobKey.fingerprint]);
  });

  it("an invite's fingerprint verifies the fetched key when it matches, and is a loud error when it does not", async () => {
    const invite = parseInvite(buildInvite({ jid: 'alice@a.test', name: 'Alice', fingerprint: aliceKey.fingerprint }));
    const matchOx = await freshOx(bob);
    const matched = await matchOx.fetchKeys(invite.jid, invite.fingerprint === undefined ? {} : { expectedFingerprint: invite.fingerprint });
    expect(matched.keys.map((k) => [k.fingerprint, k.trust])).toEqual([[aliceKey.fingerprint, 'verified']]);
    expect(matchOx.canSendTo('alice@a.test').ok).toBe(true);

    const other = await generateAccountKey('alice@a.test');
    const mismatchOx = await freshOx(bob);
    const err: unknown = await mismatchOx.fetchKeys('alice@a.test', { expectedFingerprint: other.fingerprint }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OxFingerprintMismatchError);
    expect(err).toMatchObject({ code: 'ox-fingerprint-mismatch', expected: other.fingerprint, found: [aliceKey.fingerprint] });
    expect(mismatchOx.canSendTo('alice@a.test')).toMatchObject({ ok: false, error: { code: 'ox-key-decision-pending' } });
  });

  it("alice's secret key backup is restored on her second device with the right code, refused with a wrong one", async () => {
    const t0 = performance.now();
    const code = await alice.ox.publishBackup(aliceKey);
    const tPublish = ms(t0);
    expect(code).toMatch(/^[1-9A-NP-Z]{4}(?:-[1-9A-NP-Z]{4}){5}$/);
    // Bob, an approved contact, cannot read it (access model whitelist).
    await expect(fetchItems(bob.account, 'alice@a.test', NODE_SECRET_KEY, 'reading someone else’s backup')).rejects.toBeInstanceOf(XmppRequestError);

    const second = await member(rig().a, 'alice', 'second-device');
    const wrong = code.startsWith('1') ? `2${code.slice(1)}` : `1${code.slice(1)}`;
    await expect(second.ox.restoreBackup(wrong)).rejects.toBeInstanceOf(BackupDecryptError);
    const t1 = performance.now();
    const restored = await second.ox.restoreBackup(code.toLowerCase().replace(/-/g, ' '));
    console.log(`[ox-keys] backup published in ${tPublish}; fetched + opened on the second device in ${ms(t1)}`);
    expect(restored.fingerprint).toBe(aliceKey.fingerprint);
    expect(restored.secretKey.isDecrypted()).toBe(true);
    expect((await second.ox.keysForVerifying('alice@a.test')).map((k) => k.fingerprint)).toEqual([aliceKey.fingerprint]);
  });
});
