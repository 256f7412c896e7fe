/**
 * The whole messaging story through the core's contract (what the UI calls), on the rig's two federated Prosody
 * servers: alice signs up on a.test and bob on b.test (keys made and published on PEP, backup codes), they add each
 * other by invite link (the invite's fingerprint makes the key verified), chat OX both ways with receipts, bob is
 * offline and gets everything when his core starts again, a second device of alice joins with the backup code and
 * gets the archive and carbons, blocking drops messages, and a new key of alice raises a warning on bob's side that
 * holds his messages until he decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/api/schemas';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { finishRunDir, makeRunDir, waitFor } from '../rig/util';
import { CallError, endpointOf, openCoreNode, PASSPHRASE, type CoreNode } from './fixtures/core-node';

const failures = trackFailures();
let pair: ProsodyPair;
let dir: string;
const nodes: CoreNode[] = [];
let alice: CoreNode;
let bob: CoreNode;
const ids = { alice: 0, bob: 0 };
const codes = { alice: '' };
const PASSWORD = 'a long enough password';
/** A 1×1 PNG. */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
/** A 2×1 PNG. */
const PNG_2X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAADklEQVR4nGP4z8AAQv8BD/kD/YURmXYAAAAASUVORK5CYII=';

async function node(name: string): Promise<CoreNode> {
  const n = await openCoreNode(pair, dir, name);
  nodes.push(n);
  return n;
}

async function chatWith(n: CoreNode, accountId: number, peer: string): Promise<number> {
  return (await n.call('openChat', { accountId, jid: peer })).conversationId;
}

async function bodies(n: CoreNode, conversationId: number): Promise<MessageView[]> {
  return (await n.call('messages', { conversationId, limit: 200 })).messages.reverse();
}

beforeAll(async () => {
  pair = await startProsodyPair({ name: 'core-chat' });
  dir = await makeRunDir('core-chat');
  alice = await node('alice');
  bob = await node('bob');
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await pair.stop(failures.failed);
  await finishRunDir(dir, failures.failed);
});

describe('core: chat through the contract on two federated servers', () => {
  it('signs up on a.test and b.test: key made and published, backup code given', { timeout: 60_000 }, async () => {
    for (const n of [alice, bob]) await n.call('profileCreate', { protection: 'passphrase', passphrase: PASSPHRASE });
    expect((await alice.call('appInfo', {})).profile).toBe('open');
    const gateways = await alice.call('gateways', {});
    expect(gateways.gateways.map((g) => g.domain).sort()).toEqual(['a.test', 'b.test']);
    expect(['a.test', 'b.test']).toContain(gateways.suggested);

    const form = await alice.call('registrationForm', { domain: 'a.test', endpoints: [endpointOf(pair.a)] });
    expect(form.captcha).toBe(false);
    const a = await alice.call('accountCreate', { domain: 'a.test', endpoints: [endpointOf(pair.a)], username: 'alice', password: PASSWORD, answers: {} });
    const b = await bob.call('accountCreate', { domain: 'b.test', endpoints: [endpointOf(pair.b)], username: 'bob', password: PASSWORD });
    expect(a.account).toMatchObject({ jid: 'alice@a.test', state: 'online' });
    expect(a.account.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(a.backupCode).toMatch(/^[0-9A-Z-]{20,}$/);
    ids.alice = a.account.id;
    ids.bob = b.account.id;
    codes.alice = a.backupCode ?? '';
    // Taken: the same name again is a clear error, not a crash.
    await expect(bob.call('accountCreate', { domain: 'b.test', endpoints: [endpointOf(pair.b)], username: 'bob', password: PASSWORD })).rejects.toBeInstanceOf(CallError);
  });

  it('adds each other by invite link; the invite makes the key verified; nickname and picture show', { timeout: 60_000 }, async () => {
    await alice.call('setNickname', { accountId: ids.alice, nickname: 'Alice Liddell' });
    await alice.call('setAvatar', { accountId: ids.alice, dataUrl: `data:image/png;base64,${PNG_1X1}` });
    await expect(alice.call('setAvatar', { accountId: ids.alice, dataUrl: 'data:image/png;base64,AAAA' })).rejects.toMatchObject({ code: 'avatar-bad-type' });
    const { uri } = await alice.call('invite', { accountId: ids.alice });
    expect(uri).toMatch(/^xmpp:alice@a\.test\?roster;ox=[0-9A-F]{40}/);
    await bob.call('contactAdd', { accountId: ids.bob, address: uri });
    await waitFor('alice to see the request', async () => ((await alice.call('contacts', { accountId: ids.alice })).some((c) => c.jid === 'bob@b.test' && c.request) ? true : undefined), 20_000);
    await alice.call('contactApprove', { accountId: ids.alice, jid: 'bob@b.test' });
    await waitFor('bob to see alice asking back', async () => ((await bob.call('contacts', { accountId: ids.bob })).some((c) => c.jid === 'alice@a.test' && c.request) ? true : undefined), 20_000);
    await bob.call('contactApprove', { accountId: ids.bob, jid: 'alice@a.test' });
    const aliceKey = await waitFor('bob to hold alice’s key, verified', async () => (await bob.call('keys', { accountId: ids.bob, jid: 'alice@a.test' })).keys.find((k) => k.trust === 'verified'), 20_000);
    expect(aliceKey.fingerprint).toBe(uri.split('ox=')[1]?.slice(0, 40));
    await waitFor('alice to hold bob’s key', async () => (await alice.call('keys', { accountId: ids.alice, jid: 'bob@b.test' })).keys.find((k) => k.trust === 'tofu'), 20_000);
    const contact = (await alice.call('contacts', { accountId: ids.alice })).find((c) => c.jid === 'bob@b.test');
    expect(contact).toMatchObject({ subscription: 'both', blocked: false });
    // Bob's side fetched alice's vCard4 nickname and XEP-0084 picture (and keeps them in his profile db).
    const seen = await waitFor('alice’s nickname and picture at bob', async () => {
      const c = (await bob.call('contacts', { accountId: ids.bob })).find((x) => x.jid === 'alice@a.test');
      return c?.nickname === 'Alice Liddell' && c.avatar !== null ? c : undefined;
    }, 20_000);
    expect(seen.avatar).toBe(`data:image/png;base64,${PNG_1X1}`);
    expect((await bob.call('chats', {})).find((c) => c.peer === 'alice@a.test')?.name).toBe('Alice Liddell');
    // A new picture reaches bob live (a PEP event makes his session fetch it again), without a reconnect.
    await alice.call('setAvatar', { accountId: ids.alice, dataUrl: `data:image/png;base64,${PNG_2X1}` });
    await waitFor('alice’s new picture at bob', async () => {
      const c = (await bob.call('contacts', { accountId: ids.bob })).find((x) => x.jid === 'alice@a.test');
      return c?.avatar === `data:image/png;base64,${PNG_2X1}` ? true : undefined;
    }, 20_000);
  });

  it('chats OX both ways; the sender sees delivered', { timeout: 60_000 }, async () => {
    const from = bob.events.length;
    const sent = await alice.call('send', { accountId: ids.alice, jid: 'bob@b.test', text: 'hello bob 🐚' });
    expect(sent).toMatchObject({ direction: 'out', encrypted: true, state: 'queued' });
    const got = await bob.event('bob gets it', (e) => (e.type === 'message' && e.message.body === 'hello bob 🐚' ? e.message : undefined), from);
    expect(got).toMatchObject({ direction: 'in', encrypted: true, id: sent.id });
    await alice.event('delivered', (e) => (e.type === 'messageState' && e.id === sent.id && e.state === 'delivered' ? true : undefined));
    await bob.call('send', { accountId: ids.bob, jid: 'alice@a.test', text: 'hi alice' });
    await alice.event('alice gets the answer', (e) => (e.type === 'message' && e.message.body === 'hi alice' ? true : undefined));
    const chats = await bob.call('chats', {});
    expect(chats.find((c) => c.peer === 'alice@a.test')).toMatchObject({ unread: 1, keys: 'verified' });
    await bob.call('markRead', { conversationId: got.conversationId });
    expect((await bob.call('chats', {})).find((c) => c.peer === 'alice@a.test')?.unread).toBe(0);
    await alice.event('read marker', (e) => (e.type === 'messageState' && e.id === sent.id && e.state === 'read' ? true : undefined));
  });

  it('bob offline gets every message once, in order, when his core starts again', { timeout: 90_000 }, async () => {
    await bob.close();
    const texts = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    for (const t of texts) await alice.call('send', { accountId: ids.alice, jid: 'bob@b.test', text: t });
    bob = await node('bob');
    expect((await bob.call('appInfo', {})).profile).toBe('locked');
    await bob.call('profileUnlock', { passphrase: PASSPHRASE });
    const conversationId = await chatWith(bob, ids.bob, 'alice@a.test');
    const got = await waitFor('all three', async () => {
      const list = (await bodies(bob, conversationId)).filter((m) => m.body.startsWith('while you were away'));
      return list.length >= 3 ? list : undefined;
    }, 30_000);
    expect(got.map((m) => m.body)).toEqual(texts);
  });

  it('a second device of alice: same key from the backup code, the archive, and carbons', { timeout: 90_000 }, async () => {
    const tablet = await node('alice-tablet');
    await tablet.call('profileCreate', { protection: 'passphrase', passphrase: PASSPHRASE });
    const login = await tablet.call('accountLogin', { jid: 'alice@a.test', password: PASSWORD, endpoints: [endpointOf(pair.a)], backupCode: codes.alice });
    const phone = (await alice.call('accounts', {}))[0];
    expect(login.account.fingerprint).toBe(phone?.fingerprint);
    expect(login.backupCode).toBeNull();
    const tabletId = login.account.id;
    const conversationId = await chatWith(tablet, tabletId, 'bob@b.test');
    // The archive: what alice sent and got before this device existed.
    await waitFor('history from the archive', async () => {
      const list = await bodies(tablet, conversationId);
      return list.some((m) => m.body === 'hello bob 🐚' && m.direction === 'out') && list.some((m) => m.body === 'hi alice' && m.direction === 'in') ? true : undefined;
    }, 30_000);
    // Carbons: alice's phone writes, the tablet shows it as sent by alice.
    const from = tablet.events.length;
    await alice.call('send', { accountId: ids.alice, jid: 'bob@b.test', text: 'sent from the phone' });
    await tablet.event('carbon of the phone’s message', (e) => (e.type === 'message' && e.message.body === 'sent from the phone' && e.message.direction === 'out' ? true : undefined), from);
    await bob.call('send', { accountId: ids.bob, jid: 'alice@a.test', text: 'to all your devices' });
    await tablet.event('bob’s message on the tablet', (e) => (e.type === 'message' && e.message.body === 'to all your devices' ? true : undefined), from);
    // Shown once, however it came (live, carbon, archive).
    const list = await bodies(tablet, conversationId);
    expect(list.filter((m) => m.body === 'sent from the phone')).toHaveLength(1);
    await tablet.close();
  });

  it('blocking drops a contact’s messages until unblocked', { timeout: 60_000 }, async () => {
    await bob.call('contactBlock', { accountId: ids.bob, jid: 'alice@a.test', blocked: true });
    expect((await bob.call('contacts', { accountId: ids.bob })).find((c) => c.jid === 'alice@a.test')?.blocked).toBe(true);
    const from = bob.events.length;
    const blockedOne = await alice.call('send', { accountId: ids.alice, jid: 'bob@b.test', text: 'you blocked me' });
    await alice.event('acked by a.test', (e) => (e.type === 'messageState' && e.id === blockedOne.id && e.state === 'acked' ? true : undefined));
    // Time for a.test → b.test (s2s) to hand it over while the block stands (not a timing assertion: a settle wait).
    await new Promise((r) => setTimeout(r, 2000));
    await bob.call('contactBlock', { accountId: ids.bob, jid: 'alice@a.test', blocked: false });
    await alice.call('send', { accountId: ids.alice, jid: 'bob@b.test', text: 'and now?' });
    await bob.event('the message after unblocking', (e) => (e.type === 'message' && e.message.body === 'and now?' ? true : undefined), from);
    const seen = bob.events.slice(from).flatMap((e) => (e.type === 'message' ? [e.message.body] : []));
    expect(seen).not.toContain('you blocked me');
  });

  it('a new key of alice raises a warning on bob’s side and holds his messages until he decides', { timeout: 90_000 }, async () => {
    const laptop = await node('alice-laptop');
    await laptop.call('profileCreate', { protection: 'passphrase', passphrase: PASSPHRASE });
    const from = bob.events.length;
    const login = await laptop.call('accountLogin', { jid: 'alice@a.test', password: PASSWORD, endpoints: [endpointOf(pair.a)] });
    expect(login.backupCode).not.toBeNull();
    const warning = await bob.event('key warning', (e) => (e.type === 'keyWarning' && e.peer === 'alice@a.test' ? e : undefined), from, 30_000);
    expect(warning.fingerprint).toBe(login.account.fingerprint);
    await expect(bob.call('send', { accountId: ids.bob, jid: 'alice@a.test', text: 'held' })).rejects.toMatchObject({ code: 'ox-key-decision-pending' });
    expect((await bob.call('chats', {})).find((c) => c.peer === 'alice@a.test')?.keys).toBe('changed');
    await bob.call('keyDecide', { accountId: ids.bob, jid: 'alice@a.test', fingerprint: warning.fingerprint, decision: 'accept' });
    const sent = await bob.call('send', { accountId: ids.bob, jid: 'alice@a.test', text: 'after deciding' });
    expect(sent.encrypted).toBe(true);
    await laptop.event('the laptop reads it with its own key', (e) => (e.type === 'message' && e.message.body === 'after deciding' ? true : undefined));
    await laptop.close();
  });

  it('an account with a dead first endpoint comes online through the next one (failover order from Settings)', { timeout: 60_000 }, async () => {
    let carol = await node('carol');
    await carol.call('profileCreate', { protection: 'passphrase', passphrase: PASSPHRASE });
    const created = await carol.call('accountCreate', { domain: 'a.test', endpoints: [endpointOf(pair.a)], username: 'carol', password: PASSWORD });
    // Nothing listens on port 1 of a.test's address: the first endpoint is dead.
    const dead = { host: pair.a.host, port: 1, kind: 'clearnet' as const };
    const view = await carol.call('accountEndpoints', { accountId: created.account.id, endpoints: [dead, endpointOf(pair.a)] });
    expect(view.endpoints).toEqual([dead, endpointOf(pair.a)]);
    // At once: the session starts again over the new order, and comes online through the second endpoint.
    await waitFor('carol online again', async () => ((await carol.call('accounts', {}))[0]?.state === 'online' ? true : undefined), 30_000);
    // And after a restart of Cove, from the order stored in the profile.
    await carol.close();
    carol = await node('carol');
    await carol.call('profileUnlock', { passphrase: PASSPHRASE });
    await waitFor('carol online through the second endpoint', async () => ((await carol.call('accounts', {}))[0]?.state === 'online' ? true : undefined), 30_000);
    const { connections } = await carol.call('connections', {});
    expect(connections.map((c) => c.target)).toContain(`${pair.a.host}:${String(pair.a.c2sPort)}`);
  });
});
