/**
 * The XMPP account layer (src/xmpp/) against the real Prosody pair (a.test on 127.0.0.2, b.test on 127.0.0.3,
 * federated, TLS from a test CA), every connection through the core's DirectTransport to an IP: in-band
 * registration (and a taken name), login and a wrong password, roster + subscription across federation, a forged
 * roster push, blocking, vCard4 nickname and XEP-0084 avatar, and reconnecting by itself after a server restart.
 */
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import type { Socket } from 'node:net';
import { DirectTransport } from '../../src/net/direct';
import type { TrackedConnectOptions } from '../../src/net/registry';
import type { ConnectOptions, Hop, Target, Transport } from '../../src/net/transport';
import { XmppAccount, type AccountState, type ConnectionSettings } from '../../src/xmpp/account';
import { BlockList } from '../../src/xmpp/blocking';
import { RegistrationError, XmppAccountError, XmppRequestError } from '../../src/xmpp/errors';
import { Roster } from '../../src/xmpp/roster';
import type { Rejection } from '../../src/xmpp/validate';
import { AvatarError, MemoryProfileCache, Profiles } from '../../src/xmpp/vcard';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair, type ProsodyServer } from '../rig/prosody';
import { nextEvent as nextEventOf } from '../helpers/events';

const WAIT_MS = 10_000;
// A real 1x1 PNG.
const PNG = new Uint8Array(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
);

interface Member {
  account: XmppAccount;
  roster: Roster;
  blocking: BlockList;
  profiles: Profiles;
  rejected: Rejection[];
  cache: MemoryProfileCache;
}

function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, match: (...args: A) => boolean, timeoutMs = WAIT_MS): Promise<A> {
  return nextEventOf<A>(emitter, event, match, timeoutMs);
}

/** DirectTransport that remembers the options each connection was opened with. */
class RecordingTransport implements Transport {
  readonly mode = 'direct' as const;
  readonly calls: TrackedConnectOptions[] = [];
  readonly sockets: Socket[] = [];
  private readonly inner = new DirectTransport();
  firstHop(target: Target): Hop {
    return this.inner.firstHop(target);
  }
  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    this.calls.push({ ...options });
    const socket = await this.inner.connect(target, options);
    this.sockets.push(socket);
    return socket;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('XMPP account layer on the Prosody pair', () => {
  const run = trackFailures();
  const transport = new RecordingTransport();
  let pair: ProsodyPair | undefined;
  const members: Member[] = [];

  function rig(): ProsodyPair {
    if (pair === undefined) throw new Error('the Prosody pair did not start');
    return pair;
  }

  function settings(server: ProsodyServer, key: string): ConnectionSettings {
    return { domain: server.domain, server: { host: server.host, port: server.c2sPort }, transport, accountKey: key, ca: rig().caPem, timeoutMs: WAIT_MS };
  }

  async function member(server: ProsodyServer, username: string, password = `pw-${username}-secret`): Promise<Member> {
    const account = new XmppAccount({ ...settings(server, `key-${username}`), username, password, backoff: { minMs: 250, maxMs: 2000 } });
    const cache = new MemoryProfileCache();
    const m: Member = { account, roster: new Roster(account), blocking: new BlockList(account), profiles: new Profiles(account, cache), rejected: [], cache };
    account.on('rejected', (r) => m.rejected.push(r));
    members.push(m);
    await account.start();
    await m.roster.loaded();
    return m;
  }

  beforeAll(async () => {
    pair = await startProsodyPair({ name: 'xmpp-account' });
    console.log(`[xmpp-account] Prosody pair up in ${pair.startedInMs.toFixed(0)} ms`);
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.account.stop()));
    await pair?.stop(run.failed);
  });

  it('registers accounts in-band (XEP-0077 data form), and refuses a taken user name with a typed error', async () => {
    const t0 = performance.now();
    const [a, b] = await Promise.all([
      XmppAccount.register({ ...settings(rig().a, 'reg-a'), username: 'alice', password: 'pw-alice-secret' }),
      XmppAccount.register({ ...settings(rig().b, 'reg-b'), username: 'bob', password: 'pw-bob-secret' }),
    ]);
    console.log(`[xmpp-account] two registrations (form, submit, first login) in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(a).toEqual({ status: 'registered', jid: 'alice@a.test' });
    expect(b).toEqual({ status: 'registered', jid: 'bob@b.test' });

    const err: unknown = await XmppAccount.register({ ...settings(rig().a, 'reg-a2'), username: 'alice', password: 'other' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrationError);
    expect((err as RegistrationError).reason).toBe('username-taken');
    expect((err as RegistrationError).message).toMatch(/taken/);
  });

  it('shows the server form first when no name is chosen yet (needs-input), then submits it; cancel works too', async () => {
    const first = await XmppAccount.register({ ...settings(rig().a, 'reg-d') });
    if (first.status !== 'needs-input') throw new Error('expected the form');
    expect(first.form.captcha).toBe(false);
    expect(first.form.fields.map((f) => f.var)).toEqual(expect.arrayContaining(['username', 'password']));
    expect(await first.submit({ username: 'dave', password: 'pw-dave-secret' })).toEqual({ status: 'registered', jid: 'dave@a.test' });

    const again = await XmppAccount.register({ ...settings(rig().a, 'reg-e') });
    if (again.status !== 'needs-input') throw new Error('expected the form');
    await again.cancel();
    const taken = await XmppAccount.register({ ...settings(rig().a, 'reg-f') });
    if (taken.status !== 'needs-input') throw new Error('expected the form');
    await expect(taken.submit({ username: 'dave', password: 'x' })).rejects.toMatchObject({ reason: 'username-taken' });
  });

  it('logs in, and a wrong password is auth-failed (and stops retrying)', async () => {
    const t0 = performance.now();
    const alice = await member(rig().a, 'alice');
    console.log(`[xmpp-account] login + roster + presence in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(alice.account.state).toEqual({ state: 'online', resumed: false });
    expect(alice.account.fullJid).toMatch(/^alice@a\.test\//);
    // Every socket came from the Transport, tagged with the opaque account key (never the JID) and the purpose.
    expect(transport.calls.at(-1)).toMatchObject({ isolationKey: 'key-alice', purpose: 'xmpp' });
    expect(transport.calls.every((c) => c.isolationKey !== undefined && !c.isolationKey.includes('@'))).toBe(true);

    const wrong = new XmppAccount({ ...settings(rig().a, 'key-wrong'), username: 'alice', password: 'not-the-password' });
    const states: AccountState[] = [];
    wrong.on('state', (s) => states.push(s));
    const err: unknown = await wrong.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppAccountError);
    expect((err as XmppAccountError).reason).toBe('auth-failed');
    expect(states.some((s) => s.state === 'error' && s.reason === 'auth-failed')).toBe(true);
    expect(wrong.state).toEqual({ state: 'offline', retrying: false });
    await sleep(600); // longer than the back-off: it must not be connecting again
    expect(wrong.state.state).toBe('offline');
    await wrong.stop();
  });

  it('adds a contact across federation: a subscription request, and presence only after approval', async () => {
    const [alice, bob] = await Promise.all([member(rig().a, 'alice'), member(rig().b, 'bob')]);
    const request = nextEvent<[{ jid: string }]>(bob.roster, 'subscription-request', (r) => r.jid === 'alice@a.test');
    const t0 = performance.now();
    await alice.roster.add('bob@b.test', 'Bob');
    await request;
    const tRequest = performance.now();
    expect(alice.roster.get('bob@b.test')).toMatchObject({ name: 'Bob', subscription: 'none', pendingOut: true });
    // Bob is online and changes his presence, but has not approved: alice sees nothing of it.
    await bob.account.send(xml('presence', {}, xml('status', {}, 'not for strangers')));
    await sleep(500);
    expect(alice.roster.presenceOf('bob@b.test')).toBeUndefined();

    const bobSeen = nextEvent<[{ jid: string; available: boolean }]>(alice.roster, 'presence', (p) => p.jid === 'bob@b.test' && p.available);
    const backRequest = nextEvent<[{ jid: string }]>(alice.roster, 'subscription-request', (r) => r.jid === 'bob@b.test');
    const tApprove = performance.now();
    await bob.roster.approve('alice@a.test'); // and asks back
    await bobSeen;
    const tPresence = performance.now();
    expect(alice.roster.get('bob@b.test')?.subscription).toBe('to');

    const aliceSeen = nextEvent<[{ jid: string; available: boolean }]>(bob.roster, 'presence', (p) => p.jid === 'alice@a.test' && p.available);
    await backRequest;
    await alice.roster.approve('bob@b.test');
    await aliceSeen;
    await alice.roster.rename('bob@b.test', 'Bobby B');
    await expect.poll(() => alice.roster.get('bob@b.test'), { timeout: WAIT_MS }).toMatchObject({ name: 'Bobby B', subscription: 'both' });
    console.log(
      `[xmpp-account] subscription request a->b ${(tRequest - t0).toFixed(0)} ms; presence after approval ${(tPresence - tApprove).toFixed(0)} ms`,
    );
  });

  it('ignores a roster push forged by someone else (bob), and reports it', async () => {
    const [alice, bob] = [members.find((m) => m.account.bareJid === 'alice@a.test'), members.find((m) => m.account.bareJid === 'bob@b.test')];
    if (alice === undefined || bob === undefined || alice.account.fullJid === undefined) throw new Error('alice and bob must be online');
    const before = alice.rejected.length;
    const forged = xml('iq', { type: 'set', to: alice.account.fullJid }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'mallory@b.test', name: 'Trust me' })));
    const err: unknown = await bob.account.request(forged, 'a forged push').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppRequestError);
    expect(alice.roster.get('mallory@b.test')).toBeUndefined();
    expect(alice.rejected.slice(before)).toContainEqual({ module: 'roster', stanza: 'iq', reason: 'forged-roster-push' });
  });

  it('blocks: bob blocks alice and gets nothing from her; after unblocking he does', async () => {
    const alice = members.find((m) => m.account.bareJid === 'alice@a.test');
    const bob = members.find((m) => m.account.bareJid === 'bob@b.test');
    if (alice === undefined || bob === undefined) throw new Error('alice and bob must be online');
    const chat = (body: string): Element => xml('message', { to: 'bob@b.test', type: 'chat', id: `m-${body}` }, xml('body', {}, body));
    const got: string[] = [];
    bob.account.on('message', (m) => got.push(m.getChildText('body') ?? ''));

    await bob.blocking.block('alice@a.test');
    expect(await bob.blocking.fetch()).toEqual(['alice@a.test']);
    await alice.account.send(chat('while blocked'));
    // What the server would have let through is dropped by the account's filter all the same.
    const injected = xml('message', { from: 'alice@a.test/x', to: bob.account.fullJid ?? '', type: 'chat' }, xml('body', {}, 'slipped through'));
    (bob.account.client as unknown as EventEmitter).emit('stanza', injected);
    await sleep(1500);
    expect(got).toEqual([]);
    expect(bob.rejected).toContainEqual({ module: 'account', stanza: 'message', reason: 'blocked-sender' });

    await bob.blocking.unblock('alice@a.test');
    const arrived = nextEvent<[Element]>(bob.account, 'message', (m) => m.getChildText('body') === 'after unblock');
    await alice.account.send(chat('after unblock'));
    await arrived;
    expect(got).toEqual(['after unblock']);
  });

  it('vCard4 nickname and an XEP-0084 avatar set by bob are fetched by alice, and cached for offline', async () => {
    const alice = members.find((m) => m.account.bareJid === 'alice@a.test');
    const bob = members.find((m) => m.account.bareJid === 'bob@b.test');
    if (alice === undefined || bob === undefined) throw new Error('alice and bob must be online');
    await expect(bob.profiles.setAvatar(new Uint8Array(Buffer.from('GIF89a-not-allowed')))).rejects.toBeInstanceOf(AvatarError);
    const big = new Uint8Array(bob.profiles.maxAvatarBytes + 1);
    big.set(PNG);
    await expect(bob.profiles.setAvatar(big)).rejects.toMatchObject({ code: 'avatar-too-big' });

    const t0 = performance.now();
    await bob.profiles.setNickname('Bobby');
    const published = await bob.profiles.setAvatar(PNG);
    expect(published).toMatchObject({ type: 'image/png', width: 1, height: 1 });
    const tSet = performance.now();
    const { profile, stale } = await alice.profiles.profile('bob@b.test');
    console.log(`[xmpp-account] nickname+avatar set ${(tSet - t0).toFixed(0)} ms, fetched across s2s ${(performance.now() - tSet).toFixed(0)} ms`);
    expect(stale).toBe(false);
    expect(profile.nickname).toBe('Bobby');
    expect(profile.avatar?.id).toBe(published.id);
    expect(Buffer.from(profile.avatar?.bytes ?? []).equals(Buffer.from(PNG))).toBe(true);

    // A stranger (no subscription) cannot read bob's avatar: PEP access is for contacts.
    const carolReg = await XmppAccount.register({ ...settings(rig().a, 'reg-c'), username: 'carol', password: 'pw-carol-secret' });
    expect(carolReg.status).toBe('registered');
    const carol = await member(rig().a, 'carol');
    await expect(carol.profiles.fetchAvatar('bob@b.test')).rejects.toBeInstanceOf(XmppRequestError);
    // Bob denies carol's request: her roster shows no pending request and she never sees his presence.
    const asked = nextEvent<[{ jid: string }]>(bob.roster, 'subscription-request', (r) => r.jid === 'carol@a.test');
    await carol.roster.add('bob@b.test');
    await asked;
    await bob.roster.deny('carol@a.test');
    await expect.poll(() => carol.roster.get('bob@b.test')?.pendingOut, { timeout: WAIT_MS }).toBe(false);
    expect(carol.roster.get('bob@b.test')?.subscription).toBe('none');
    expect(carol.roster.presenceOf('bob@b.test')).toBeUndefined();
    await carol.roster.remove('bob@b.test');
    await expect.poll(() => carol.roster.get('bob@b.test'), { timeout: WAIT_MS }).toBeUndefined();
    await carol.account.stop();

    await alice.account.stop();
    const offline = await alice.profiles.profile('bob@b.test');
    expect(offline.stale).toBe(true);
    expect(offline.profile.avatar?.id).toBe(published.id);
    await alice.account.start();
  });

  it('resumes the stream (XEP-0198) after the connection drops, and says online again', async () => {
    const alice = members.find((m) => m.account.bareJid === 'alice@a.test');
    if (alice === undefined) throw new Error('alice must exist');
    await alice.account.waitOnline(WAIT_MS);
    await expect.poll(() => alice.account.client.streamManagement.enabled, { timeout: WAIT_MS }).toBe(true);
    const resumed = nextEvent<[AccountState]>(alice.account, 'state', (s) => s.state === 'online');
    const t0 = performance.now();
    transport.sockets.at(-1)?.destroy();
    const [state] = await resumed;
    console.log(`[xmpp-account] connection dropped -> resumed in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(state).toEqual({ state: 'online', resumed: true });
    expect(alice.account.online).toBe(true);
  });

  it('gets online again by itself after the server restarts', async () => {
    const alice = members.find((m) => m.account.bareJid === 'alice@a.test');
    if (alice === undefined) throw new Error('alice must exist');
    await alice.account.waitOnline(WAIT_MS);
    const states: AccountState[] = [];
    alice.account.on('state', (s) => states.push(s));
    const tStop = performance.now();
    await rig().a.stop();
    await expect.poll(() => alice.account.state.state, { timeout: WAIT_MS }).not.toBe('online');
    await sleep(1500); // long enough for reconnects to be refused and to back off
    await rig().a.start();
    const tStart = performance.now();
    await alice.account.waitOnline(30_000);
    console.log(
      `[xmpp-account] a.test down for ${(tStart - tStop).toFixed(0)} ms; online again ${(performance.now() - tStart).toFixed(0)} ms after it came back ` +
        `(states: ${states.map((s) => (s.state === 'error' || s.state === 'offline' ? `${s.state}:${s.reason ?? ''}` : s.state)).join(' ')})`,
    );
    expect(alice.account.state.state).toBe('online');
    expect(states.some((s) => s.state === 'offline' && s.retrying)).toBe(true);
    expect(states.some((s) => s.state === 'error' && s.reason === 'unreachable')).toBe(true);
    await alice.roster.loaded();
    expect(alice.roster.get('bob@b.test')?.subscription).toBe('both');
  });
});
