/**
 * Carbons (XEP-0280) and archive catch-up (XEP-0313) against the real Prosody pair (a.test, b.test; mod_carboncopy
 * and mod_mam on, see server/prosody/cove.cfg.lua). Alice has two devices on a.test (resources `laptop` and
 * `phone`), bob is on b.test, they are subscribed to each other. Proves: a message from bob reaches both of alice's
 * devices (how depends on the address — asserted as Prosody does it); what the laptop sends shows on the phone as a
 * `sent` carbon; a carbon forged by bob is rejected and never comes out as alice's; a device that logs in later
 * catches the conversation up from the archive, in order, and a second catch-up with the saved cursor gets only what
 * is newer; a forged archive result is rejected.
 */
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { DirectTransport } from '../../src/net/direct';
import { XmppAccount, type ConnectionSettings } from '../../src/xmpp/account';
import { Carbons, NS_CARBONS, NS_FORWARD, type IncomingRecord, type RecordRejection } from '../../src/xmpp/carbons';
import { ArchiveCatchUp, MemoryMamCursorStore, NS_MAM } from '../../src/xmpp/mam';
import { Roster } from '../../src/xmpp/roster';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair, type ProsodyServer } from '../rig/prosody';
import { nextEvent as nextEventOf } from '../helpers/events';

const WAIT_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Device {
  account: XmppAccount;
  roster: Roster;
  carbons: Carbons;
  /** Messages the account delivered directly (not carbons), by body. */
  direct: string[];
  carbonsIn: IncomingRecord[];
  rejected: RecordRejection[];
}

function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, match: (...args: A) => boolean, timeoutMs = WAIT_MS): Promise<A> {
  return nextEventOf<A>(emitter, event, match, timeoutMs);
}

const body = (m: Element): string => m.getChildText('body') ?? '';
const chat = (to: string, text: string): Element => xml('message', { to, type: 'chat', id: `id-${text}` }, xml('body', {}, text));

describe('carbons and archive catch-up on the Prosody pair', () => {
  const run = trackFailures();
  const transport = new DirectTransport();
  let pair: ProsodyPair | undefined;
  const devices: Device[] = [];
  let laptop: Device;
  let phone: Device;
  let bob: Device;

  function rig(): ProsodyPair {
    if (pair === undefined) throw new Error('the Prosody pair did not start');
    return pair;
  }

  function settings(server: ProsodyServer, key: string): ConnectionSettings {
    return { domain: server.domain, server: { host: server.host, port: server.c2sPort }, transport, accountKey: key, ca: rig().caPem, timeoutMs: WAIT_MS };
  }

  async function device(server: ProsodyServer, username: string, resource: string): Promise<Device> {
    const account = new XmppAccount({ ...settings(server, `key-${username}-${resource}`), username, password: `pw-${username}-secret`, resource });
    const d: Device = { account, roster: new Roster(account), carbons: new Carbons(account), direct: [], carbonsIn: [], rejected: [] };
    account.on('message', (m, from) => {
      if (from.bare().toString() !== account.bareJid && m.getChild('body') !== undefined) d.direct.push(body(m));
    });
    d.carbons.on('carbon', (r) => d.carbonsIn.push(r));
    d.carbons.on('rejected', (r) => d.rejected.push(r));
    devices.push(d);
    await account.start();
    await d.roster.loaded();
    expect(await d.carbons.ready()).toBe(true);
    return d;
  }

  beforeAll(async () => {
    pair = await startProsodyPair({ name: 'carbons-mam' });
    const [a, b] = await Promise.all([
      XmppAccount.register({ ...settings(rig().a, 'reg-a'), username: 'alice', password: 'pw-alice-secret' }),
      XmppAccount.register({ ...settings(rig().b, 'reg-b'), username: 'bob', password: 'pw-bob-secret' }),
    ]);
    expect([a.status, b.status]).toEqual(['registered', 'registered']);
    const t0 = performance.now();
    [laptop, phone, bob] = await Promise.all([device(rig().a, 'alice', 'laptop'), device(rig().a, 'alice', 'phone'), device(rig().b, 'bob', 'desk')]);
    console.log(`[carbons-mam] pair up in ${rig().startedInMs.toFixed(0)} ms; 3 logins + carbons enabled in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.account.stop()));
    await pair?.stop(run.failed);
  });

  it('alice and bob subscribe to each other (as in xmpp-account.test.ts)', async () => {
    const asked = nextEvent<[{ jid: string }]>(bob.roster, 'subscription-request', (r) => r.jid === 'alice@a.test');
    await laptop.roster.add('bob@b.test');
    await asked;
    const askedBack = nextEvent<[{ jid: string }]>(laptop.roster, 'subscription-request', (r) => r.jid === 'bob@b.test');
    await bob.roster.approve('alice@a.test');
    await askedBack;
    await laptop.roster.approve('bob@b.test');
    await expect.poll(() => laptop.roster.get('bob@b.test')?.subscription, { timeout: WAIT_MS }).toBe('both');
    await expect.poll(() => bob.roster.get('alice@a.test')?.subscription, { timeout: WAIT_MS }).toBe('both');
  });

  it("bob -> alice's laptop (full JID): the laptop gets it, the phone gets a `received` carbon", async () => {
    const onPhone = nextEvent<[IncomingRecord]>(phone.carbons, 'carbon', (r) => body(r.message) === 'b1');
    const onLaptop = nextEvent<[Element]>(laptop.account, 'message', (m) => body(m) === 'b1');
    const t0 = performance.now();
    await bob.account.send(chat(laptop.account.fullJid ?? '', 'b1'));
    const [[record]] = await Promise.all([onPhone, onLaptop]);
    console.log(`[carbons-mam] bob -> laptop + carbon on phone in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(record).toMatchObject({ direction: 'in', peer: 'bob@b.test', via: 'carbon' });
    expect(record.message.attrs.to).toBe(laptop.account.fullJid);
    await sleep(300);
    expect(phone.direct).not.toContain('b1');
    expect(laptop.carbonsIn.map((r) => body(r.message))).not.toContain('b1');
  });

  it("bob -> alice's bare JID: Prosody delivers it to both devices directly (no carbon needed)", async () => {
    const both = Promise.all([
      nextEvent<[Element]>(laptop.account, 'message', (m) => body(m) === 'b2'),
      nextEvent<[Element]>(phone.account, 'message', (m) => body(m) === 'b2'),
    ]);
    await bob.account.send(chat('alice@a.test', 'b2'));
    await both;
    await sleep(500);
    // Each device saw it exactly once: directly, and no carbon on top.
    for (const d of [laptop, phone]) {
      expect(d.direct.filter((b) => b === 'b2')).toHaveLength(1);
      expect(d.carbonsIn.filter((r) => body(r.message) === 'b2')).toHaveLength(0);
    }
  });

  it("what alice's laptop sends shows on the phone as a `sent` carbon", async () => {
    const onPhone = nextEvent<[IncomingRecord]>(phone.carbons, 'carbon', (r) => body(r.message) === 'a1');
    const onBob = nextEvent<[Element]>(bob.account, 'message', (m) => body(m) === 'a1');
    const t0 = performance.now();
    await laptop.account.send(chat('bob@b.test', 'a1'));
    const [[record]] = await Promise.all([onPhone, onBob]);
    console.log(`[carbons-mam] laptop -> bob + sent carbon on phone in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(record).toMatchObject({ direction: 'out', peer: 'bob@b.test', via: 'carbon' });
    expect(record.message.attrs.from).toBe(laptop.account.fullJid);
  });

  it('a carbon forged by bob is rejected and never comes out as alice’s', async () => {
    const phoneJid = phone.account.fullJid ?? '';
    const before = phone.rejected.length;
    const carbonsBefore = phone.carbonsIn.length;
    const forge = (kind: 'sent' | 'received', inner: Record<string, string>, text: string): Element =>
      xml('message', { to: phoneJid, from: 'alice@a.test', type: 'chat', id: `forged-${text}` },
        xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, xml('message', { xmlns: 'jabber:client', type: 'chat', ...inner }, xml('body', {}, text)))));
    // A "sent" carbon would make the phone show alice saying something she never said; a "received" one, mallory.
    const arrived = nextEvent<[Element]>(phone.account, 'message', (m) => m.attrs.id === 'forged-f2');
    await bob.account.send(forge('sent', { from: 'alice@a.test/laptop', to: 'bob@b.test' }, 'f1'));
    await bob.account.send(forge('received', { from: 'mallory@b.test/x', to: phoneJid }, 'f2'));
    const [last] = await arrived;
    expect(last.attrs.from).toMatch(/^bob@b\.test\//); // the servers stamped the real sender
    await sleep(300);
    expect(phone.carbonsIn.length).toBe(carbonsBefore);
    expect(phone.rejected.slice(before)).toEqual([
      { module: 'carbons', stanza: 'message', reason: 'forged-carbon' },
      { module: 'carbons', stanza: 'message', reason: 'forged-carbon' },
    ]);
  });

  it('a device that logs in later catches up from the archive in order; the saved cursor then gives only newer messages', async () => {
    const tablet = await device(rig().a, 'alice', 'tablet');
    const cursor = new MemoryMamCursorStore();
    const mam = new ArchiveCatchUp(tablet.account, cursor, { pageSize: 2 });
    const rejected: RecordRejection[] = [];
    mam.on('rejected', (r) => rejected.push(r));
    const t0 = performance.now();
    const first = await mam.catchUp({ with: 'bob@b.test' });
    console.log(`[carbons-mam] first catch-up: ${first.messages.length} messages in ${first.pages} pages, ${(performance.now() - t0).toFixed(0)} ms`);
    const chatLines = first.messages.filter((m) => body(m.message).length > 0).map((m) => `${m.direction}:${body(m.message)}`);
    expect(chatLines).toEqual(['in:b1', 'in:b2', 'out:a1']);
    expect(first.complete).toBe(true);
    expect(first.pages).toBeGreaterThanOrEqual(2);
    expect(cursor.get()).toBe(first.messages.at(-1)?.archiveId);
    const stamps = first.messages.map((m) => m.archivedAt.getTime());
    expect([...stamps].sort((x, y) => x - y)).toEqual(stamps);
    expect(first.messages.every((m) => m.peer === 'bob@b.test')).toBe(true);

    // b3 crosses s2s before alice's archive stores it: wait for it to arrive before alice answers, so the order is set.
    const b3 = nextEvent<[Element]>(laptop.account, 'message', (m) => body(m) === 'b3');
    await bob.account.send(chat('alice@a.test', 'b3'));
    await b3;
    const a2 = nextEvent<[Element]>(bob.account, 'message', (m) => body(m) === 'a2');
    await laptop.account.send(chat('bob@b.test', 'a2'));
    await a2;
    const t1 = performance.now();
    const second = await mam.catchUp();
    console.log(`[carbons-mam] second catch-up (from the cursor): ${second.messages.length} messages in ${(performance.now() - t1).toFixed(0)} ms`);
    expect(second.messages.map((m) => `${m.direction}:${body(m.message)}`)).toEqual(['in:b3', 'out:a2']);
    const third = await mam.catchUp();
    expect(third).toMatchObject({ messages: [], complete: true });
    expect(rejected).toEqual([]);

    // A result forged by bob (outer from = bob) is rejected, whatever its query id.
    const forged = nextEvent<[RecordRejection]>(mam, 'rejected', () => true);
    await bob.account.send(
      xml('message', { to: tablet.account.fullJid ?? '' },
        xml('result', { xmlns: NS_MAM, queryid: 'guess', id: 'x1' },
          xml('forwarded', { xmlns: NS_FORWARD }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2024-01-01T00:00:00Z' }),
            xml('message', { from: 'bob@b.test/desk', to: 'alice@a.test', type: 'chat' }, xml('body', {}, 'fake history'))))),
    );
    expect((await forged)[0]).toEqual({ module: 'mam', stanza: 'message', reason: 'forged-archive-result' });
  });
});
