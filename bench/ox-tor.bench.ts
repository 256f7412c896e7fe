/**
 * Tor mode on the private network: an OX message's round trip vs a raw TCP echo's round trip through the same tor,
 * measured in one run (the issue's goal: ≤ 1.3×).
 *
 * alice reaches a.test at its .onion, bob reaches b.test through the exit, both through one client tor with their own
 * circuits (isolation). One round = alice signcrypts a message to bob, sends it; bob's client receives it, decrypts
 * and verifies it, signcrypts a reply; alice receives it and decrypts it. The raw baselines on the same tor, with
 * connections already open: an echo through the exit (one 3-hop circuit), and an echo through an onion (a 6-hop
 * rendezvous circuit). The message crosses BOTH kinds of path each way (alice's onion circuit, s2s on loopback, bob's
 * exit circuit), so a second ratio compares it with the sum of the two raw echoes: what OX and XMPP add on top of the
 * paths themselves.
 */
import { xml, type Client, type Element } from '@xmpp/client';
import { TorTransport } from '../src/net/tor';
import { generateAccountKey, type OxPublicKey, type OxSecretKey } from '../src/crypto/keys';
import { decryptSigncrypt, encryptSigncrypt } from '../src/crypto/ox';
import { roundTrip, startEcho } from '../test/helpers/echo';
import { connectClient, registerAccount, stopClient, waitForStanza } from '../test/helpers/xmpp';
import { startProsodyPair } from '../test/rig/prosody';
import { startTorNetwork } from '../test/rig/tor-network';
import { median, type Bench } from './figure';

const ROUNDS = 20;
const NS_OX = 'urn:xmpp:openpgp:0';

async function echoRtt(transport: TorTransport, host: string, port: number, key: string): Promise<number[]> {
  const sock = await transport.connect({ host, port }, { isolationKey: key, timeoutMs: 60_000 });
  try {
    await roundTrip(sock, 'warm');
    const out: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const t0 = performance.now();
      await roundTrip(sock, `ping-${String(i).padStart(4, '0')}`);
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    sock.destroy();
  }
}

interface Side {
  client: Client;
  jid: string;
  key: OxSecretKey;
}

async function oxSend(from: Side, to: string, toKey: OxPublicKey, text: string): Promise<void> {
  const openpgp = await encryptSigncrypt({ to: [to], from: from.jid, body: [xml('body', { xmlns: 'jabber:client' }, text)], recipientsKeys: [toKey], senderKey: from.key });
  await from.client.send(xml('message', { type: 'chat', to }, xml('openpgp', { xmlns: NS_OX }, openpgp)));
}

async function oxReceive(at: Side, fromJid: string, fromKey: OxPublicKey, pending: Promise<Element>): Promise<void> {
  const stanza = await pending;
  const text = stanza.getChildText('openpgp', NS_OX) ?? '';
  await decryptSigncrypt({ openpgpText: text, ourJid: at.jid, senderJid: fromJid, ourKey: at.key, senderKeys: [fromKey] });
}

const isOx = (s: Element): boolean => s.is('message') && s.getChild('openpgp', NS_OX) !== undefined;

const bench: Bench = {
  title: "Tor mode: an OX message's round trip vs raw TCP echoes through the same tor",
  async run(signal) {
    const [net, pair, echo] = await Promise.all([startTorNetwork({ signal }), startProsodyPair({ name: 'bench-ox-tor' }), startEcho('127.0.0.2')]);
    const clients: Client[] = [];
    try {
      const [aliceOnion, echoOnion] = await Promise.all([net.addOnion({ host: pair.a.host, port: pair.a.c2sPort }), net.addOnion({ host: echo.host, port: echo.port })]);
      await Promise.all([net.waitForOnion(aliceOnion.onion, aliceOnion.port, 90_000), net.waitForOnion(echoOnion.onion, echoOnion.port, 90_000)]);
      const tor = new TorTransport({ socksEndpoint: () => net.clientSocks });
      for (const [s, u] of [[pair.a, 'alice'], [pair.b, 'bob']] as const) {
        await registerAccount({ host: s.host, port: s.c2sPort, domain: s.domain, ca: pair.caPem, username: u, password: `pw-${u}` });
      }
      const [aliceKey, bobKey] = await Promise.all([generateAccountKey('alice@a.test'), generateAccountKey('bob@b.test')]);
      const common = { ca: pair.caPem, timeoutMs: 60_000 };
      const [ca, cb] = await Promise.all([
        connectClient({ ...common, host: aliceOnion.onion, port: aliceOnion.port, domain: 'a.test', username: 'alice', password: 'pw-alice', createSocket: () => tor.connect({ host: aliceOnion.onion, port: aliceOnion.port }, { isolationKey: 'alice', timeoutMs: 60_000 }) }),
        connectClient({ ...common, host: pair.b.host, port: pair.b.c2sPort, domain: 'b.test', username: 'bob', password: 'pw-bob', createSocket: () => tor.connect({ host: pair.b.host, port: pair.b.c2sPort }, { isolationKey: 'bob', timeoutMs: 60_000 }) }),
      ]);
      clients.push(ca, cb);
      const alice: Side = { client: ca, jid: 'alice@a.test', key: aliceKey };
      const bob: Side = { client: cb, jid: 'bob@b.test', key: bobKey };

      // Bob answers every OX message with an OX reply, as a client would: decrypt, verify, encrypt, send.
      cb.on('stanza', (s: Element) => {
        if (!isOx(s)) return;
        (async () => {
          await oxReceive(bob, alice.jid, aliceKey.publicKey, Promise.resolve(s));
          await oxSend(bob, alice.jid, aliceKey.publicKey, 'pong');
        })().catch((err: unknown) => {
          console.error(`bob could not answer: ${err instanceof Error ? `${err.name}: ${err.message}` : 'error'}`);
        });
      });
      const oxRound = async (i: number): Promise<number> => {
        const t0 = performance.now();
        const reply = waitForStanza(ca, isOx, 60_000, 'an OX reply');
        await oxSend(alice, bob.jid, bobKey.publicKey, `ping ${String(i)}`);
        await oxReceive(alice, bob.jid, bobKey.publicKey, reply);
        return performance.now() - t0;
      };
      await oxRound(-1); // warm: opens the s2s links both ways
      const ox: number[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        signal.throwIfAborted();
        ox.push(await oxRound(i));
      }
      const exitEcho = median(await echoRtt(tor, echo.host, echo.port, 'bob'));
      const onionEcho = median(await echoRtt(tor, echoOnion.onion, echoOnion.port, 'alice'));
      const oxMs = median(ox);
      return [
        { name: `raw TCP echo through the exit (median of ${String(ROUNDS)})`, value: exitEcho, unit: 'ms' },
        { name: `raw TCP echo through an onion (median of ${String(ROUNDS)})`, value: onionEcho, unit: 'ms' },
        { name: `OX message round trip, alice (onion) ↔ bob (exit) (median of ${String(ROUNDS)})`, value: oxMs, unit: 'ms', ratio: { value: oxMs / exitEcho, against: 'vs the exit echo; goal ≤ 1.3' } },
        { name: 'OX round trip vs the paths it crosses', value: oxMs, unit: 'ms', ratio: { value: oxMs / (exitEcho + onionEcho), against: 'vs exit echo + onion echo' } },
      ];
    } finally {
      await Promise.all(clients.map((c) => stopClient(c)));
      await Promise.all([net.stop(), pair.stop(), echo.close()]);
    }
  },
};

export default bench;
