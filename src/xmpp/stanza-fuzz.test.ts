/**
 * Stanza fuzz (unit tier, no server): 30,000 malformed stanzas from a seeded PRNG — random elements, attributes and
 * nesting, and mutations of valid carbons, MAM results, roster and block pushes, presences, PEP events and OX
 * <openpgp/> messages with garbage payloads — fed to every entry point that reads a stanza from the network:
 *   - the pure parsers: parseCarbon, parseArchiveResult, parseFin, parseRosterItem, parseBlockItems, classify/messageId;
 *   - a (never connected) account with Roster, BlockList, Carbons and ArchiveCatchUp, through the client's 'stanza'
 *     event (account intake, presence/subscription handling, carbons, MAM results) and, for iqs, its 'element' event
 *     (@xmpp/iq's callee: roster and block-list pushes), the technique of test/integration/xmpp-account.test.ts.
 * Nothing may throw out of them, no promise may reject unhandled, and every rejection carries a known reason. The
 * counts by reason are printed. Replay a failure with FUZZ_SEED.
 */
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { int, pick, prng, randomBytes, type Rand } from '../../test/helpers/prng';
import { TransportDownError } from '../net/errors';
import type { Transport } from '../net/transport';
import { XmppAccount } from './account';
import { BlockList, parseBlockItems } from './blocking';
import { Carbons, NS_CARBONS, NS_FORWARD, parseCarbon, type RecordRejection } from './carbons';
import { ArchiveCatchUp, MemoryMamCursorStore, NS_MAM, NS_RSM, parseArchiveResult, parseFin } from './mam';
import { classify, messageId } from './messenger-stanzas';
import { parseRosterItem, Roster } from './roster';
import type { Rejection } from './validate';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_501);
const CASES = 30_000;
const ME = 'alice@a.test';
const NS_OX = 'urn:xmpp:openpgp:0';
const NS_EVENT = 'http://jabber.org/protocol/pubsub#event';

const ACCOUNT_REASONS = new Set(['missing-attribute', 'bad-jid', 'bad-value', 'oversized', 'forged-roster-push', 'forged-push', 'presence-from-stranger', 'blocked-sender', 'bad-avatar', 'handler-failed']);
const RECORD_REASONS = new Set(['forged-carbon', 'bad-carbon', 'carbon-not-ours', 'forged-archive-result', 'unknown-query', 'bad-archive-result', 'too-many-results']);

const JIDS = [ME, `${ME}/laptop`, `${ME}/phone`, 'bob@b.test', 'bob@b.test/desk', 'Bob@B.TEST/x', 'a.test', 'b.test', '', '@', 'a@', '@b', 'a@@b', 'a@b/', 'a b@c', `${'x'.repeat(1100)}@a.test`, 'é@ü.test/ñ', 'a@[::1]', 'a@b\u0000c', '/r', 'alice@a.test/\u0007', '<&>"\''];
const NAMES = ['message', 'presence', 'iq', 'sent', 'received', 'forwarded', 'result', 'fin', 'set', 'last', 'max', 'after', 'query', 'item', 'group', 'body', 'openpgp', 'event', 'items', 'delay', 'x', 'field', 'value', 'block', 'unblock', 'private', 'origin-id', 'request', 'displayed', 'status', 'show', 'enable', 'zz'];
const NSES = [undefined, 'jabber:client', NS_CARBONS, NS_FORWARD, NS_MAM, NS_RSM, 'jabber:iq:roster', 'urn:xmpp:blocking', NS_OX, NS_EVENT, 'urn:xmpp:delay', 'jabber:x:data', 'urn:xmpp:sid:0', 'urn:xmpp:receipts', 'urn:xmpp:chat-markers:0', 'urn:bogus'];
const ATTRS = ['from', 'to', 'id', 'type', 'queryid', 'jid', 'subscription', 'stamp', 'node', 'complete', 'name', 'ask', 'var'];
const VALUES = ['', 'chat', 'set', 'get', 'result', 'error', 'subscribe', 'unavailable', 'both', 'remove', 'true', 'false', 'q1', 'A1', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00+0200', 'not a date', '\u0000', 'x'.repeat(5000), 'urn:xmpp:openpgp:0:public-keys'];

/** A namespace, or none (NSES holds undefined, which pick() refuses). */
function randomNs(r: Rand): string | undefined {
  return NSES[int(r, NSES.length)];
}

function randomText(r: Rand): string {
  switch (int(r, 5)) {
    case 0:
      return '';
    case 1:
      return randomBytes(r, int(r, 64)).toString('base64');
    case 2:
      return pick(r, VALUES);
    case 3:
      return String.fromCharCode(...Array.from({ length: int(r, 20) }, () => int(r, 0x3000)));
    default:
      return 'hello';
  }
}

function randomElement(r: Rand, depth: number): Element {
  const attrs: Record<string, string> = {};
  const ns = randomNs(r);
  if (ns !== undefined) attrs.xmlns = ns;
  for (let i = int(r, 4); i > 0; i--) attrs[pick(r, ATTRS)] = r() < 0.6 ? pick(r, JIDS) : pick(r, VALUES);
  const children: (Element | string)[] = [];
  const n = depth > 6 ? 0 : int(r, 4);
  for (let i = 0; i < n; i++) children.push(r() < 0.8 ? randomElement(r, depth + 1) : randomText(r));
  return xml(pick(r, NAMES), attrs, ...children);
}

// Valid stanzas to mutate.
const innerMsg = (from: string, to: string): Element => xml('message', { xmlns: 'jabber:client', from, to, type: 'chat', id: 'm1' }, xml('body', {}, 'hi'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'm1' }));
const TEMPLATES: (() => Element)[] = [
  () => xml('message', { from: ME, to: `${ME}/phone` }, xml('received', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, innerMsg('bob@b.test/desk', `${ME}/laptop`)))),
  () => xml('message', { from: ME, to: `${ME}/phone` }, xml('sent', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, innerMsg(`${ME}/laptop`, 'bob@b.test')))),
  () =>
    xml('message', { to: `${ME}/phone` }, xml('result', { xmlns: NS_MAM, queryid: 'q1', id: 'A1' }, xml('forwarded', { xmlns: NS_FORWARD }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2024-05-01T10:00:00Z' }), innerMsg('bob@b.test/desk', ME)))),
  () => xml('iq', { type: 'result', id: 'i1' }, xml('fin', { xmlns: NS_MAM, complete: 'true' }, xml('set', { xmlns: NS_RSM }, xml('first', {}, 'A1'), xml('last', {}, 'A9')))),
  () => xml('iq', { type: 'set', id: 'p1', from: ME }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'bob@b.test', name: 'Bob', subscription: 'both' }, xml('group', {}, 'Friends')))),
  () => xml('iq', { type: 'set', id: 'p2' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'spam@x.test' }))),
  () => xml('presence', { from: 'bob@b.test/desk' }, xml('show', {}, 'away'), xml('status', {}, 'out')),
  () => xml('presence', { from: 'carol@c.test', type: 'subscribe' }),
  () =>
    xml('message', { from: 'bob@b.test', to: ME, type: 'headline' }, xml('event', { xmlns: NS_EVENT }, xml('items', { node: 'urn:xmpp:openpgp:0:public-keys' }, xml('item', { id: 'current' }, xml('public-keys-list', { xmlns: NS_OX }, xml('pubkey-metadata', { 'v4-fingerprint': 'AB'.repeat(20), date: '2024-01-01T00:00:00Z' })))))),
  () => xml('message', { from: 'bob@b.test/desk', to: ME, type: 'chat', id: 'o1' }, xml('openpgp', { xmlns: NS_OX }, 'hQEMA-not-really-openpgp=='), xml('body', {}, 'This message is encrypted')),
];

function mutate(r: Rand, el: Element, budget: number): Element {
  const nodes: Element[] = [];
  const walk = (e: Element): void => {
    nodes.push(e);
    for (const c of e.getChildElements()) walk(c);
  };
  walk(el);
  for (let i = 0; i < budget; i++) {
    const target = pick(r, nodes);
    const kids = target.getChildElements();
    switch (int(r, 9)) {
      case 0: {
        const keys = Object.keys(target.attrs);
        if (keys.length > 0) Reflect.deleteProperty(target.attrs, pick(r, keys));
        break;
      }
      case 1:
        target.attrs[pick(r, ATTRS)] = r() < 0.6 ? pick(r, JIDS) : pick(r, VALUES);
        break;
      case 2:
        if (kids.length > 0) target.append(xml(pick(r, kids).name, { ...pick(r, kids).attrs }, ...pick(r, kids).children));
        break;
      case 3:
        if (kids.length > 0) target.remove(pick(r, kids));
        break;
      case 4:
        target.append(randomElement(r, 3));
        break;
      case 5:
        target.name = pick(r, NAMES);
        break;
      case 6:
        target.attrs.xmlns = randomNs(r) ?? '';
        break;
      case 7:
        target.children = [randomText(r)];
        break;
      default: {
        // Nest the element's children one level deeper in a random wrapper.
        const wrapper = xml(pick(r, NAMES), { xmlns: randomNs(r) ?? NS_FORWARD }, ...target.children);
        target.children = [wrapper];
      }
    }
  }
  return el;
}

describe('stanza fuzz', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  it(`${String(CASES)} malformed stanzas: no throw, no unhandled rejection, every rejection typed (seed ${String(SEED)})`, async () => {
    const t0 = performance.now();
    const neverConnect: Transport = {
      mode: 'direct',
      firstHop: (t) => ({ kind: 'direct', host: t.host, port: t.port }),
      connect: () => Promise.reject(new TransportDownError('not in this test')),
    };
    const account = new XmppAccount({ domain: 'a.test', server: { host: '127.0.0.2', port: 5222 }, transport: neverConnect, accountKey: 'k', username: 'alice', password: 'x' });
    const client = account.client as unknown as EventEmitter & { send: (el: Element) => Promise<void>; _onElement: (el: Element) => void };
    const replies: Element[] = [];
    client.send = (el) => {
      replies.push(el);
      return Promise.resolve();
    };
    const clientErrors: unknown[] = [];
    client.on('error', (e: unknown) => clientErrors.push(e));
    new Roster(account);
    new BlockList(account);
    const carbons = new Carbons(account);
    const mam = new ArchiveCatchUp(account, new MemoryMamCursorStore());
    const counts = new Map<string, number>();
    const count = (key: string): void => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const untyped: string[] = [];
    account.on('rejected', (x: Rejection) => {
      count(`account/${x.module}:${x.reason}`);
      if (!ACCOUNT_REASONS.has(x.reason)) untyped.push(x.reason);
    });
    const onRecordRejected = (x: RecordRejection): void => {
      count(`${x.module}-event:${x.reason}`);
      if (!RECORD_REASONS.has(x.reason)) untyped.push(x.reason);
    };
    carbons.on('rejected', onRecordRejected);
    mam.on('rejected', onRecordRejected);
    carbons.on('carbon', () => {
      count('carbons-event:accepted');
    });
    const thrown: string[] = [];
    const libraryThrows = new Map<string, number>();
    const r = prng(SEED);

    for (let i = 0; i < CASES; i++) {
      const s = r() < 0.3 ? randomElement(r, 0) : mutate(r, pick(r, TEMPLATES)(), 1 + int(r, 4));
      if (r() < 0.5 && !['message', 'presence', 'iq'].includes(s.name)) s.name = pick(r, ['message', 'presence', 'iq']);
      try {
        const c = parseCarbon(s, ME);
        count(`parseCarbon:${c.kind === 'rejected' ? c.reason : c.kind}`);
        if (c.kind === 'rejected' && !RECORD_REASONS.has(c.reason)) untyped.push(c.reason);
        if (s.is('message') && s.getChild('result', NS_MAM) !== undefined) {
          const m = parseArchiveResult(s, ME, (q) => q === 'q1');
          count(`parseArchiveResult:${m.kind === 'rejected' ? m.reason : m.kind}`);
          if (m.kind === 'rejected' && !RECORD_REASONS.has(m.reason)) untyped.push(m.reason);
        }
        for (const child of s.getChildElements()) {
          parseFin(child);
          parseBlockItems(child);
          for (const item of child.getChildren('item')) parseRosterItem(item);
        }
        if (s.is('message')) {
          classify(s);
          messageId(s);
        }
        client.emit('stanza', s);
      } catch (err) {
        thrown.push(`${s.toString().slice(0, 200)}: ${String(err)}`);
      }
      if (s.is('iq')) {
        // @xmpp/iq's callee (roster/block pushes) runs on 'element'; `_onElement` is where the parser hands elements
        // over, behind Cove's guard (src/xmpp/socket.ts guardIncoming). Nothing may escape it.
        try {
          client._onElement(s);
        } catch (err) {
          const key = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          libraryThrows.set(key, (libraryThrows.get(key) ?? 0) + 1);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the iq callee's promise chains settle
    const ms = performance.now() - t0;
    const sorted = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
    console.log(`[stanza-fuzz] ${String(CASES)} stanzas (seed ${String(SEED)}) in ${ms.toFixed(0)} ms; ${String(replies.length)} iq replies; ${String(clientErrors.length)} client 'error' events`);
    console.log(`[stanza-fuzz] counts:\n${sorted.map(([k, v]) => `  ${k}: ${String(v)}`).join('\n')}`);
    if (libraryThrows.size > 0) console.log(`[stanza-fuzz] thrown out of the client's element entry point:\n${[...libraryThrows].map(([k, v]) => `  ${k}: ${String(v)}`).join('\n')}`);
    expect(thrown).toEqual([]);
    expect(untyped).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(counts.get('carbons-event:accepted') ?? 0).toBeGreaterThan(0); // the mutations leave some valid ones
    expect([...libraryThrows.keys()]).toEqual([]);
  });
});
