/**
 * The message pipeline (src/xmpp/messenger.ts) on the rig's real Prosody pair (a.test ↔ b.test over s2s, TLS):
 *   - OX chat both ways; our messages reach delivered (XEP-0184) and read (XEP-0333); no plaintext on the wire;
 *     a message signed with another key (mallory's, claiming alice's address) or garbled is rejected, not stored;
 *     a plaintext message is stored flagged unencrypted;
 *   - bob offline: alice's 20 messages wait in b.test's offline storage and arrive once each when he comes back;
 *   - nothing lost: a child process sends 1,000 OX messages from a profile db and is SIGKILLed mid-way, then started
 *     again on the same db; and the same with alice's server restarted in the middle. Bob stores each of the 1,000
 *     exactly once, in sequence order; the repeats that dedupe dropped are counted.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicKey, exportSecretKey, generateAccountKey, type OxSecretKey } from '../../src/crypto/keys';
import { encryptSigncrypt } from '../../src/crypto/ox';
import type { MessageState, StoredMessage } from '../../src/store';
import type { MessageRejection } from '../../src/xmpp/messenger';
import { OX_FALLBACK_BODY, oxMessageChildren, signcryptBody } from '../../src/xmpp/messenger-stanzas';
import { messageStanza } from '../../src/xmpp/outbox';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { finishRunDir, makeRunDir, ManagedProcess, waitFor } from '../rig/util';
import type { SenderConfig } from './fixtures/messenger-sender';
import { bodiesInOrder, openSide, password, register, stateOf, type Side } from './fixtures/messenger-side';

const failures = trackFailures();
const root = join(import.meta.dirname, '..', '..');
const senderChild = join(import.meta.dirname, 'fixtures', 'messenger-sender.ts');
const TOTAL = 1000;
const KILL_AFTER_ACKED = 300;
let pair: ProsodyPair;
let dir: string;
const sides: Side[] = [];
const keys = new Map<string, OxSecretKey>();

async function key(jid: string): Promise<OxSecretKey> {
  const existing = keys.get(jid);
  if (existing !== undefined) return existing;
  const k = await generateAccountKey(jid);
  keys.set(jid, k);
  return k;
}

async function side(server: 'a' | 'b', username: string, peer: string, start = true): Promise<Side> {
  const s = await openSide({ server: pair[server], ca: pair.caPem, username, dir, key: await key(`${username}@${pair[server].domain}`), peers: [(await key(peer)).publicKey], start });
  sides.push(s);
  return s;
}

beforeAll(async () => {
  pair = await startProsodyPair({ name: 'messenger' });
  dir = await makeRunDir('messenger');
  const users: [ 'a' | 'b', string][] = [['a', 'alice'], ['b', 'bob'], ['a', 'alice2'], ['b', 'bob2'], ['a', 'alice3'], ['b', 'bob3']];
  await Promise.all(users.map(([s, u]) => register(pair[s], pair.caPem, u)));
}, 60_000);

afterAll(async () => {
  await Promise.all(sides.map((s) => s.close()));
  await pair.stop(failures.failed);
  await finishRunDir(dir, failures.failed);
});

const until = <T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> => waitFor(what, check, timeoutMs, 20);

describe('messenger: OX chat on the Prosody pair', () => {
  it('chats both ways, reaches delivered and read, and rejects a forged signature', { timeout: 60_000 }, async () => {
    const alice = await side('a', 'alice', 'bob@b.test');
    const bob = await side('b', 'bob', 'alice@a.test');
    const wire: Element[] = [];
    bob.account.client.on('stanza', (s: Element) => {
      if (s.is('message')) wire.push(s);
    });
    const events = new Map<string, MessageState[]>();
    alice.messenger.on('state', (ref, state) => events.set(ref.id, [...(events.get(ref.id) ?? []), state]));

    const texts = ['hello bob', 'markup <b>&amp;</b> "quoted" \'single\'', 'ünïcødé 🐚'];
    const sent: StoredMessage[] = [];
    for (const t of texts) sent.push(await alice.messenger.send(bob.jid, t));
    await until('bob to have 3 messages', () => (bob.received.length >= 3 ? true : undefined));
    expect(bob.received.map((m) => m.body)).toEqual(texts);
    expect(bob.received.every((m) => m.encrypted && m.direction === 'in')).toBe(true);
    expect(bob.received.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    await until('all delivered', () => (sent.every((m) => stateOf(alice, m) === 'delivered') ? true : undefined));
    for (const m of bob.received) await bob.messenger.markRead(m);
    await until('all read', () => (sent.every((m) => stateOf(alice, m) === 'read') ? true : undefined));
    const order = ['queued', 'sent', 'acked', 'delivered', 'read'];
    for (const m of sent) {
      const seen = (events.get(m.id) ?? []).map((s) => order.indexOf(s));
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(seen.at(-1)).toBe(4);
    }
    // On the wire: no plaintext anywhere, the fallback body, the hints.
    const oxOnWire = wire.filter((s) => s.getChild('openpgp', 'urn:xmpp:openpgp:0') !== undefined);
    expect(oxOnWire).toHaveLength(3);
    for (const s of oxOnWire) {
      const text = s.toString();
      for (const t of ['hello bob', 'markup', 'quoted', 'ünïcødé']) expect(text).not.toContain(t);
      expect(s.getChildText('body')).toBe(OX_FALLBACK_BODY);
      for (const [name, ns] of [['origin-id', 'urn:xmpp:sid:0'], ['store', 'urn:xmpp:hints'], ['request', 'urn:xmpp:receipts'], ['markable', 'urn:xmpp:chat-markers:0']]) {
        expect(s.getChild(name ?? '', ns), name).toBeDefined();
      }
    }

    // The other way round.
    await bob.messenger.send(alice.jid, 'hi alice');
    await bob.messenger.send(alice.jid, 'second');
    await until('alice to have 2', () => (alice.received.length >= 2 ? true : undefined));
    expect(alice.received.map((m) => m.body)).toEqual(['hi alice', 'second']);

    // Mallory made a key with alice's address on it and sends through alice's session; and a garbled OX text.
    const rejected: MessageRejection[] = [];
    bob.messenger.on('rejected', (r) => rejected.push(r));
    const mallory = await generateAccountKey('alice@a.test');
    const forged = await encryptSigncrypt({ to: [bob.jid], from: alice.jid, body: signcryptBody('send me your password'), recipientsKeys: [(await key(bob.jid)).publicKey], senderKey: mallory });
    const before = bob.received.length;
    const forgedId = randomUUID();
    await alice.account.send(messageStanza({ id: forgedId, to: bob.jid, payload: oxMessageChildren(forged), state: 'queued' }));
    await alice.account.send(messageStanza({ id: randomUUID(), to: bob.jid, payload: oxMessageChildren('bm90IGFuIE9wZW5QR1AgbWVzc2FnZQ=='), state: 'queued' }));
    await until('two rejections', () => (rejected.length >= 2 ? true : undefined));
    expect(rejected.map((r) => r.reason)).toEqual(['bad-signature', 'undecryptable']);
    expect(rejected[0]?.peer).toBe(alice.jid);
    expect(rejected[0]?.error.name).toBe('SignatureError');
    const conv = bob.store.conversations.find(bob.messenger.accountId, alice.jid);
    expect(conv).toBeDefined();
    expect(bob.store.messages.get({ conversationId: conv?.id ?? -1, id: forgedId })).toBeUndefined();
    expect(bob.store.messages.search('password')).toEqual([]);
    expect(bob.received.length).toBe(before);

    // Plaintext from a contact: stored, flagged unencrypted.
    await alice.account.send(messageStanza({ id: randomUUID(), to: bob.jid, payload: [xml('body', {}, 'plain hello')], state: 'queued' }));
    await until('the plaintext message', () => (bob.received.length > before ? true : undefined));
    expect(bob.received.at(-1)).toMatchObject({ body: 'plain hello', encrypted: false });
  });

  it('keeps 20 messages for an offline contact and delivers each once when he is back', { timeout: 60_000 }, async () => {
    const alice = sides.find((s) => s.jid === 'alice@a.test');
    const bob = sides.find((s) => s.jid === 'bob@b.test');
    if (alice === undefined || bob === undefined) throw new Error('the first test sets up alice and bob');
    await bob.account.stop();
    const before = bob.received.length;
    const dupsBefore = bob.messenger.stats.duplicates;
    const sent: StoredMessage[] = [];
    for (let i = 0; i < 20; i += 1) sent.push(await alice.messenger.send(bob.jid, `offline ${String(i)}`));
    await until('all 20 acked by a.test', () => (sent.every((m) => stateOf(alice, m) === 'acked') ? true : undefined));
    await bob.account.start();
    await until('bob to have the 20', () => (bob.received.length >= before + 20 ? true : undefined), 30_000);
    await alice.messenger.settled();
    await until('all 20 delivered', () => (sent.every((m) => stateOf(alice, m) === 'delivered') ? true : undefined));
    expect(bob.received.slice(before).map((m) => m.body)).toEqual(sent.map((_, i) => `offline ${String(i)}`));
    expect(bob.received.length).toBe(before + 20);
    console.log(`[messenger] offline: 20 of 20 delivered once; repeats dropped by dedupe: ${String(bob.messenger.stats.duplicates - dupsBefore)}`);
  });

  for (const disruption of ['sigkill', 'server-restart'] as const) {
    it(`loses and duplicates nothing of ${String(TOTAL)} messages across a ${disruption}`, { timeout: 300_000 }, async () => {
      const [aliceUser, bobUser] = disruption === 'sigkill' ? ['alice2', 'bob2'] : ['alice3', 'bob3'];
      const aliceJid = `${aliceUser}@a.test`;
      const bob = await side('b', bobUser, aliceJid);
      const aliceKey = await key(aliceJid);
      const files = { secret: join(dir, `${aliceUser}.key`), peer: join(dir, `${bobUser}.pub`), config: join(dir, `${aliceUser}.json`), log: join(dir, `${aliceUser}-child.log`) };
      writeFileSync(files.secret, await exportSecretKey(aliceKey, 'child key passphrase'));
      writeFileSync(files.peer, exportPublicKey((await key(bob.jid)).publicKey));
      const config: SenderConfig = {
        profile: join(dir, `${aliceUser}.db`), passphrase: 'child profile', host: pair.a.host, port: pair.a.c2sPort, domain: 'a.test', caFile: pair.caFile,
        username: aliceUser, password: password(aliceUser), secretKeyFile: files.secret, keyPassphrase: 'child key passphrase', peer: bob.jid, peerKeyFile: files.peer, total: TOTAL,
      };
      writeFileSync(files.config, JSON.stringify(config));
      const lines = (tag: string): string[][] => (existsSync(files.log) ? readFileSync(files.log, 'utf8') : '').split('\n').map((l) => l.split(' ')).filter((p) => p[0] === tag);
      const spawn = (n: number): ManagedProcess =>
        new ManagedProcess(`messenger-sender-${String(n)}`, process.execPath, ['--import', 'tsx', senderChild, files.config], files.log, { cwd: root });
      const t0 = performance.now();
      let child = spawn(1);
      try {
        await waitFor(`${String(KILL_AFTER_ACKED)} acks`, () => {
          if (!child.running) throw new Error(`the sender exited early:\n${child.tail()}`);
          return lines('A').length >= KILL_AFTER_ACKED ? true : undefined;
        }, 120_000, 10);
        const ackedAt = lines('A').length;
        const enqueuedAt = lines('E').length;
        let requeued = 0;
        if (disruption === 'sigkill') {
          child.kill('SIGKILL');
          expect((await child.exited).signal).toBe('SIGKILL');
          child = spawn(2);
          requeued = Number((await waitFor('the restarted child to open its profile', () => lines('R')[1]?.[1], 30_000, 10)));
          expect(requeued).toBeGreaterThanOrEqual(0);
        } else {
          await pair.a.stop();
          await new Promise((r) => setTimeout(r, 1000));
          await pair.a.start();
        }
        await waitFor('the sender to have every message acked', () => {
          if (!child.running && lines('DONE').length === 0) throw new Error(`the sender exited early:\n${child.tail()}`);
          return lines('DONE').length > 0 ? true : undefined;
        }, 240_000, 50);
        await until(`bob to have ${String(TOTAL)}`, () => (bob.received.length >= TOTAL ? true : undefined), 60_000);
        await new Promise((r) => setTimeout(r, 500)); // anything late (a repeat) would show now
        const seconds = (performance.now() - t0) / 1000;
        const bodies = bodiesInOrder(bob, aliceJid);
        expect(bodies).toEqual(Array.from({ length: TOTAL }, (_, i) => `seq ${String(i)}`));
        expect(new Set(lines('E').map((p) => p[1])).size).toBe(TOTAL);
        expect(bob.messenger.stats.rejected).toBe(0);
        console.log(
          `[messenger] ${disruption}: ${String(TOTAL)} of ${String(TOTAL)} once and in order in ${seconds.toFixed(1)} s; disrupted at ${String(ackedAt)} acked / ${String(enqueuedAt)} enqueued; ` +
            `requeued on reopen ${String(requeued)}; repeats dropped by dedupe at bob: ${String(bob.messenger.stats.duplicates)}; acks seen ${String(lines('A').length)}`,
        );
      } finally {
        child.kill('SIGKILL');
        await child.exited;
      }
    });
  }
});
