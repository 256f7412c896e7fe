/**
 * OX key payloads on PEP (XEP-0373 §4/§5) and the PEP plumbing, without a server: building and reading
 * <pubkey/>, <public-keys-list/> and <secretkey/>, publish-options, our caps/disco#info with the +notify feature, and
 * the intake of PEP events (a forged one is a `forged-push` rejection). The account is never started.
 */
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { jid as parseJid } from '@xmpp/jid';
import { generateAccountKey, exportPublicKey, type OxSecretKey } from '../crypto/keys';
import { TransportDownError } from '../net/errors';
import type { Transport } from '../net/transport';
import { MemoryKeySource } from '../store/key';
import { openProfile } from '../store/profile';
import { useTemp } from '../store/testing/fixtures';
import { XmppAccount } from './account';
import { OxKeys } from './ox-keys';
import {
  buildKeysList,
  buildPubkey,
  buildSecretKey,
  MAX_LIST_ENTRIES,
  NODE_PUBLIC_KEYS,
  NS_OX,
  parseKeysList,
  parsePubkey,
  parseSecretKey,
  publicKeyNode,
} from './ox-keys-stanzas';
import { configureNode, NS_DISCO_INFO, NS_PUBSUB_EVENT, PepNotify, publish } from './pep';
import type { Rejection } from './validate';

const temp = useTemp('ox-keys');
const FP = '1357B01865B2503C18453D208CAC2A9678548E35';
let alice: OxSecretKey;

beforeAll(async () => {
  alice = await generateAccountKey('alice@a.test');
});

describe('OX PEP payloads', () => {
  it('builds <pubkey/> with a date and Base64 of the binary key, and reads it back (whitespace and all)', () => {
    const data = exportPublicKey(alice.publicKey);
    const el = buildPubkey(data, new Date('2026-01-02T03:04:05.678Z'));
    expect(el.toString()).toBe(`<pubkey xmlns="urn:xmpp:openpgp:0" date="2026-01-02T03:04:05Z"><data>${data}</data></pubkey>`);
    const wrapped = xml('pubkey', { xmlns: NS_OX, date: '2026-01-02T03:04:05+0000' }, xml('data', {}, `\n  ${data.slice(0, 10)}\n${data.slice(10)}  `));
    expect(parsePubkey(wrapped)).toEqual({ data, date: new Date('2026-01-02T03:04:05Z') });
    expect(parsePubkey(xml('pubkey', { xmlns: NS_OX }, xml('data', {}, data)))).toEqual({ data });
    expect(parsePubkey(xml('pubkey', { xmlns: 'other' }, xml('data', {}, data)))).toBeUndefined();
    expect(parsePubkey(xml('pubkey', { xmlns: NS_OX }, xml('data', {}, '  ')))).toBeUndefined();
    expect(parsePubkey(xml('pubkey', { xmlns: NS_OX }))).toBeUndefined();
    expect(parsePubkey(undefined)).toBeUndefined();
  });

  it('builds the metadata list and reads it liberally (case, spaces) but drops bad, duplicate and excess entries', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    const list = buildKeysList([{ fingerprint: FP }, { fingerprint: 'A'.repeat(40), date: new Date('2025-01-01T00:00:00Z') }], now);
    expect(list.toString()).toBe(
      `<public-keys-list xmlns="urn:xmpp:openpgp:0"><pubkey-metadata v4-fingerprint="${FP}" date="2026-05-01T12:00:00Z"/>` +
        `<pubkey-metadata v4-fingerprint="${'A'.repeat(40)}" date="2025-01-01T00:00:00Z"/></public-keys-list>`,
    );
    expect(parseKeysList(list)?.entries).toEqual([
      { fingerprint: FP, date: now },
      { fingerprint: 'A'.repeat(40), date: new Date('2025-01-01T00:00:00Z') },
    ]);
    const messy = xml(
      'public-keys-list',
      { xmlns: NS_OX },
      xml('pubkey-metadata', { 'v4-fingerprint': FP.toLowerCase().replace(/(.{4})/g, '$1 '), date: 'yesterday' }),
      xml('pubkey-metadata', { 'v4-fingerprint': FP }),
      xml('pubkey-metadata', { 'v4-fingerprint': 'XYZ' }),
      xml('pubkey-metadata', { 'v4-fingerprint': 'B'.repeat(64) }),
      xml('pubkey-metadata', {}),
    );
    expect(parseKeysList(messy)).toEqual({ entries: [{ fingerprint: FP }], dropped: 4 });
    const long = xml('public-keys-list', { xmlns: NS_OX }, ...Array.from({ length: MAX_LIST_ENTRIES + 5 }, (_, i) => xml('pubkey-metadata', { 'v4-fingerprint': i.toString(16).padStart(40, '0') })));
    expect(parseKeysList(long)).toMatchObject({ dropped: 5 });
    expect(parseKeysList(long)?.entries).toHaveLength(MAX_LIST_ENTRIES);
    expect(parseKeysList(xml('public-keys-list', { xmlns: 'x' }))).toBeUndefined();
  });

  it('builds and reads <secretkey/>', () => {
    expect(buildSecretKey('QUJD').toString()).toBe('<secretkey xmlns="urn:xmpp:openpgp:0">QUJD</secretkey>');
    expect(parseSecretKey(xml('secretkey', { xmlns: NS_OX }, ' QU\nJD '))).toBe('QUJD');
    expect(parseSecretKey(xml('secretkey', { xmlns: NS_OX }))).toBeUndefined();
    expect(parseSecretKey(xml('secretkey', { xmlns: 'x' }, 'QUJD'))).toBeUndefined();
  });

  it('publishes with publish-options (access model) and configures nodes with the owner form', () => {
    expect(publicKeyNode(FP)).toBe(`urn:xmpp:openpgp:0:public-keys:${FP}`);
    const el = publish(NODE_PUBLIC_KEYS, 'current', xml('x'), { accessModel: 'presence' });
    expect(el.toString()).toBe(
      '<pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:openpgp:0:public-keys"><item id="current"><x/></item></publish>' +
        '<publish-options><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>' +
        '<field var="pubsub#access_model"><value>presence</value></field></x></publish-options></pubsub>',
    );
    expect(publish('n', 'i', xml('x')).toString()).toBe('<pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="n"><item id="i"><x/></item></publish></pubsub>');
    expect(configureNode('n', { accessModel: 'whitelist' }).toString()).toContain(
      '<configure node="n"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#node_config</value>',
    );
  });
});

describe('caps, disco#info and PEP events on an account that never connects', () => {
  const neverConnect: Transport = {
    mode: 'direct',
    firstHop: (t) => ({ kind: 'direct', host: t.host, port: t.port }),
    connect: () => Promise.reject(new TransportDownError('not in this test')),
  };

  async function setup(): Promise<{ account: XmppAccount; ox: OxKeys; rejected: Rejection[] }> {
    const account = new XmppAccount({ domain: 'a.test', server: { host: '127.0.0.2', port: 5222 }, transport: neverConnect, accountKey: 'k', username: 'alice', password: 'x' });
    const store = temp.track(await openProfile(join(await temp.dir(), 'p.db'), { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p' }, { create: true }));
    const ox = new OxKeys({ account, store: store.contactKeys, accountId: store.accounts.ensure('alice@a.test').id });
    const rejected: Rejection[] = [];
    account.on('rejected', (r) => rejected.push(r));
    return { account, ox, rejected };
  }

  it('lists the +notify feature in disco#info and in the caps hash (XEP-0115)', async () => {
    const { account } = await setup();
    const notify = PepNotify.for(account);
    expect(notify.features).toContain('urn:xmpp:openpgp:0:public-keys+notify');
    expect(notify.ver).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    const c = notify.capsElement();
    expect(c.attrs).toMatchObject({ hash: 'sha-1', ver: notify.ver });
    // Answer a disco#info query the way the server's mod_pep sends it (node#ver) through the client's iq handlers.
    const sent: Element[] = [];
    (account.client as unknown as { send: (e: Element) => Promise<void> }).send = (e) => {
      sent.push(e);
      return Promise.resolve();
    };
    const query = xml('iq', { type: 'get', id: 'disco', from: 'bob@b.test', to: 'alice@a.test/r' }, xml('query', { xmlns: NS_DISCO_INFO, node: `${String(c.attrs.node)}#${notify.ver}` }));
    (account.client as unknown as EventEmitter).emit('element', query);
    await expect.poll(() => sent.length).toBe(1);
    const reply = sent[0]?.getChild('query', NS_DISCO_INFO);
    expect(sent[0]?.attrs).toMatchObject({ type: 'result', id: 'disco', to: 'bob@b.test' });
    expect(reply?.getChildren('feature').map((f) => f.attrs.var)).toEqual(notify.features);
    expect(reply?.getChild('identity')?.attrs).toMatchObject({ category: 'client', type: 'pc' });
  });

  it('rejects a PEP key event from a full JID or a stranger as forged-push, and ignores other events', async () => {
    const { account, ox, rejected } = await setup();
    const event = (node: string): Element =>
      xml('message', { type: 'headline' }, xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('items', { node }, xml('item', { id: 'current' }, buildKeysList([{ fingerprint: FP }], new Date())))));
    let fetched = 0;
    ox.on('keys-changed', () => (fetched += 1));
    account.emit('message', event(NODE_PUBLIC_KEYS), parseJid('bob@b.test/phone'));
    account.emit('message', event(NODE_PUBLIC_KEYS), parseJid('mallory@b.test'));
    account.emit('message', event(NODE_PUBLIC_KEYS), parseJid('b.test'));
    account.emit('message', event('urn:xmpp:avatar:metadata'), parseJid('mallory@b.test'));
    expect(rejected).toEqual(Array.from({ length: 3 }, () => ({ module: 'ox-keys', stanza: 'message', reason: 'forged-push' })));
    expect(fetched).toBe(0);
  });
});
