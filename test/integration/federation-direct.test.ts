/**
 * The first federation proof: two real Prosody servers (a.test on 127.0.0.2, b.test on 127.0.0.3) from the rig,
 * an account on each made by in-band registration, and plain chat messages across s2s over TLS in both
 * directions, with direct TCP connections. Then b.test is stopped: connecting to it fails with a clear error and a
 * message to it bounces back to the sender with an error; after a restart both work again.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Client, type Element } from '@xmpp/client';
import { makeTestCa } from '../rig/ca';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair, type ProsodyServer } from '../rig/prosody';
import {
  chatMessage,
  connectClient,
  registerAccount,
  sendStanza,
  stopClient,
  waitForMessage,
  XmppConnectError,
  XmppRegistrationError,
  type AccountOptions,
} from '../helpers/xmpp';

const WAIT_MS = 10_000;
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

/** The first <stream:features/> a server sends on a plain TCP connection, as text. */
async function plainFeatures(host: string, port: number, domain: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no stream features from ${host}:${port}: ${got}`));
    }, WAIT_MS);
    sock.setEncoding('utf8');
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(`<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    });
    sock.on('data', (chunk: string) => {
      got += chunk;
      const end = got.indexOf('</stream:features>');
      if (end < 0) return;
      clearTimeout(timer);
      sock.destroy();
      resolve(got.slice(got.indexOf('<stream:features'), end));
    });
  });
}

async function discoFeatures(client: Client, to: string): Promise<{ identities: string[]; features: string[] }> {
  const query = await client.iqCaller.get(xml('query', { xmlns: NS_DISCO_INFO }), to, WAIT_MS);
  return {
    identities: (query?.getChildren('identity') ?? []).map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}`),
    features: (query?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? ''),
  };
}

describe('federation over direct TCP (a.test <-> b.test)', () => {
  const run = trackFailures();
  let pair: ProsodyPair | undefined;
  const clients: Client[] = [];

  function rig(): ProsodyPair {
    if (pair === undefined) throw new Error('the Prosody pair did not start');
    return pair;
  }

  function account(server: ProsodyServer, username: string): AccountOptions {
    return { host: server.host, port: server.c2sPort, domain: server.domain, ca: rig().caPem, username, password: `pw-${username}-secret` };
  }

  async function online(server: ProsodyServer, username: string): Promise<Client> {
    const client = await connectClient(account(server, username));
    clients.push(client);
    return client;
  }

  const bodyIs = (text: string) => (m: Element) => m.getChildText('body') === text;

  beforeAll(async () => {
    pair = await startProsodyPair({ name: 'federation-direct' });
    console.log(`[federation-direct] Prosody pair up in ${pair.startedInMs.toFixed(0)} ms (CA ${pair.caMs.toFixed(0)} ms)`);
    const t0 = performance.now();
    await Promise.all([registerAccount(account(pair.a, 'alice')), registerAccount(account(pair.b, 'bob'))]);
    console.log(`[federation-direct] two accounts registered in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => stopClient(c)));
    await pair?.stop(run.failed);
  });

  it('offers only STARTTLS before TLS: no SASL and no registration in clear text', async () => {
    const features = await plainFeatures(rig().a.host, rig().a.c2sPort, 'a.test');
    expect(features).toMatch(/<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]><required\/><\/starttls>/);
    expect(features).not.toContain('mechanisms');
    expect(features).not.toContain('register');
  });

  it('offers what cove.cfg.lua promises (and no software version)', async () => {
    const alice = await online(rig().a, 'alice');
    expect(alice.streamManagement.enabled).toBe(true);
    const server = await discoFeatures(alice, 'a.test');
    expect(server.features).toEqual(
      expect.arrayContaining(['urn:xmpp:carbons:2', 'urn:xmpp:blocking', 'urn:xmpp:ping', 'urn:xmpp:time', 'vcard-temp', 'jabber:iq:register']),
    );
    expect(server.features).not.toContain('jabber:iq:version');
    const account = await discoFeatures(alice, 'alice@a.test');
    expect(account.identities).toContain('pubsub/pep');
    expect(account.features).toEqual(expect.arrayContaining(['urn:xmpp:mam:2', 'urn:ietf:params:xml:ns:vcard-4.0']));
    await stopClient(alice);
  });

  it('refuses a server whose certificate is not from the CA it was given', async () => {
    const other = await makeTestCa(join(rig().runDir, 'other-ca'), []);
    const err: unknown = await connectClient({ ...account(rig().a, 'alice'), ca: other.caPem }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppConnectError);
    expect((err as XmppConnectError).code).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
  });

  it('refuses to register a user name that exists', async () => {
    const err: unknown = await registerAccount(account(rig().a, 'alice')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppRegistrationError);
    expect((err as XmppRegistrationError).condition).toBe('conflict');
  });

  it('delivers chat messages a.test -> b.test and b.test -> a.test', async () => {
    const t0 = performance.now();
    const [alice, bob] = await Promise.all([online(rig().a, 'alice'), online(rig().b, 'bob')]);
    const tOnline = performance.now();

    const toBob = waitForMessage(bob, bodyIs('hello bob, from a.test'), WAIT_MS);
    await sendStanza(alice, chatMessage('bob@b.test', 'hello bob, from a.test'));
    const atBob = await toBob;
    const tFirst = performance.now();
    expect(atBob.attrs.from).toMatch(/^alice@a\.test\//);
    expect(atBob.attrs.type).toBe('chat');

    const toAlice = waitForMessage(alice, bodyIs('hello alice, from b.test'), WAIT_MS);
    await sendStanza(bob, chatMessage('alice@a.test', 'hello alice, from b.test'));
    const atAlice = await toAlice;
    const tBack = performance.now();
    expect(atAlice.attrs.from).toMatch(/^bob@b\.test\//);

    // Now both s2s links exist: a round trip is what a chat feels like.
    const ping = waitForMessage(bob, bodyIs('ping'), WAIT_MS);
    const pong = waitForMessage(alice, bodyIs('pong'), WAIT_MS);
    const tRt = performance.now();
    await sendStanza(alice, chatMessage('bob@b.test', 'ping'));
    await ping;
    await sendStanza(bob, chatMessage('alice@a.test', 'pong'));
    await pong;
    const rtMs = performance.now() - tRt;
    console.log(
      `[federation-direct] two clients online ${(tOnline - t0).toFixed(0)} ms; first a->b (new s2s) ` +
        `${(tFirst - tOnline).toFixed(0)} ms; first b->a (new s2s) ${(tBack - tFirst).toFixed(0)} ms; ` +
        `round trip on warm links ${rtMs.toFixed(1)} ms`,
    );
  });

  it('fails clearly while b.test is down, and works again after a restart', async () => {
    const { a, b } = rig();
    const [alice, bob] = await Promise.all([online(a, 'alice'), online(b, 'bob')]);
    // A live a.test -> b.test link first: the realistic case is a server that goes away under an open link.
    const hello = waitForMessage(bob, bodyIs('before the outage'), WAIT_MS);
    await sendStanza(alice, chatMessage('bob@b.test', 'before the outage'));
    await hello;

    const mark = a.logMark();
    const tStop = performance.now();
    await b.stop();
    expect(b.running).toBe(false);
    console.log(`[federation-direct] b.test stopped in ${(performance.now() - tStop).toFixed(0)} ms`);
    // a.test must have seen the link close, or it could still write the next stanza into the dead socket.
    await a.waitForLog('Outgoing s2s stream a.test->b.test closed', mark, WAIT_MS);

    // A client of b.test gets a connection error, not a hang.
    const connectErr: unknown = await connectClient({ ...account(b, 'bob'), timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(connectErr).toBeInstanceOf(XmppConnectError);
    expect((connectErr as XmppConnectError).code).toBe('connect-failed');
    expect((connectErr as XmppConnectError).message).toContain('ECONNREFUSED');

    // A message to b.test comes back to the sender as an error from a.test.
    const lost = chatMessage('bob@b.test', 'are you there?');
    const bounce = waitForMessage(alice, (m) => m.attrs.type === 'error' && m.attrs.id === lost.attrs.id, WAIT_MS);
    await sendStanza(alice, lost);
    const bounced = await bounce;
    expect(bounced.attrs.from).toBe('bob@b.test');
    expect(bounced.getChild('error')?.getChild('remote-server-not-found', NS_STANZAS)).toBeDefined();

    // Restart with the same ports and data: bob's account is still there, and federation works again.
    const tStart = performance.now();
    await b.start();
    console.log(`[federation-direct] b.test restarted in ${(performance.now() - tStart).toFixed(0)} ms`);
    const bobAgain = await online(b, 'bob');
    const back = waitForMessage(bobAgain, bodyIs('welcome back'), WAIT_MS);
    await sendStanza(alice, chatMessage('bob@b.test', 'welcome back'));
    expect((await back).attrs.from).toMatch(/^alice@a\.test\//);
    const reply = waitForMessage(alice, bodyIs('thanks'), WAIT_MS);
    await sendStanza(bobAgain, chatMessage('alice@a.test', 'thanks'));
    expect((await reply).attrs.from).toMatch(/^bob@b\.test\//);
  });
});
