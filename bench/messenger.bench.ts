/**
 * The message pipeline (src/xmpp/messenger.ts) across the rig's two federated Prosody servers (a.test → s2s →
 * b.test, TLS, loopback), in one run:
 *   - latency, one message at a time: OX (signcrypt, stored in alice's profile db, outbox, c2s, s2s, c2s, bob
 *     decrypts, verifies, stores) vs plaintext (the same stanza path and bob's store, no OpenPGP, no outbox): p50 and
 *     p95, and the OX cost at p50 (goal ≤ +10 ms);
 *   - throughput: alice sends as fast as the pipeline takes them, until bob has received and decrypted them all
 *     (goal ≥ 150 messages/s), with one sender and with four senders on their own c2s connections (the servers
 *     limit each c2s connection to 64 kB/s in server/prosody/cove.cfg.lua; an OX stanza is about 1.5 kB).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { exportPublicKey, exportSecretKey, generateAccountKey, type OxSecretKey } from '../src/crypto/keys';
import { OX_NS } from '../src/crypto/signcrypt';
import { messageStanza } from '../src/xmpp/outbox';
import type { SenderConfig } from '../test/integration/fixtures/messenger-sender';
import { openSide, password, register, type Side } from '../test/integration/fixtures/messenger-side';
import { startProsodyPair } from '../test/rig/prosody';
import { finishRunDir, makeRunDir, ManagedProcess, waitFor } from '../test/rig/util';
import { median, type Bench } from './figure';

const ROUNDS = 60;
const BURST = 400;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

/** Resolves when bob has stored the message with this id. */
function arrival(bob: Side, id: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bob.messenger.off('message', on);
      reject(new Error('a message did not arrive'));
    }, timeoutMs);
    const on = (m: { id: string }): void => {
      if (m.id !== id) return;
      clearTimeout(timer);
      bob.messenger.off('message', on);
      resolve(performance.now());
    };
    bob.messenger.on('message', on);
  });
}

/** Resolves when bob has `n` more messages than now. */
function count(bob: Side, n: number, timeoutMs: number): Promise<number> {
  const target = bob.received.length + n;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bob.messenger.off('message', on);
      reject(new Error(`only ${String(bob.received.length - target + n)} of ${String(n)} arrived`));
    }, timeoutMs);
    const on = (): void => {
      if (bob.received.length < target) return;
      clearTimeout(timer);
      bob.messenger.off('message', on);
      resolve(performance.now());
    };
    bob.messenger.on('message', on);
  });
}

const bench: Bench = {
  title: 'OX message pipeline across federation: latency vs plaintext, and sustained throughput',
  async run(signal) {
    // The servers' per-connection bandwidth limit (64kb/s in cove.cfg.lua, ~38 OX messages/s) is raised here: this
    // measures Cove's pipeline, not the operator's rate limit (which the 1-sender figure at 64kb/s showed: 39.6/s).
    const pair = await startProsodyPair({ name: 'bench-messenger', c2sRate: '2mb/s', s2sRate: '2mb/s' });
    const dir = await makeRunDir('bench-messenger');
    const sides: Side[] = [];
    try {
      const senders = ['alice', 'carol', 'dave', 'erin'];
      await Promise.all([...senders.map((u) => register(pair.a, pair.caPem, u)), register(pair.b, pair.caPem, 'bob')]);
      const keys = new Map<string, OxSecretKey>();
      for (const u of [...senders.map((s) => `${s}@a.test`), 'bob@b.test']) keys.set(u, await generateAccountKey(u));
      const k = (jid: string): OxSecretKey => {
        const key = keys.get(jid);
        if (key === undefined) throw new Error('no key');
        return key;
      };
      const bob = await openSide({ server: pair.b, ca: pair.caPem, username: 'bob', dir, key: k('bob@b.test'), peers: senders.map((s) => k(`${s}@a.test`).publicKey) });
      sides.push(bob);
      const from: Side[] = [];
      for (const u of senders) {
        const s = await openSide({ server: pair.a, ca: pair.caPem, username: u, dir, key: k(`${u}@a.test`), peers: [k('bob@b.test').publicKey] });
        sides.push(s);
        from.push(s);
      }
      const [alice] = from;
      if (alice === undefined) throw new Error('no alice');

      // The size of an OX stanza as bob's client gets it (the last one seen).
      let oxSize = 0;
      bob.account.client.on('stanza', (st) => {
        if (st.is('message') && st.getChild('openpgp', OX_NS) !== undefined) oxSize = st.toString().length;
      });
      // Warm-up: s2s links both ways, JIT.
      for (let i = 0; i < 5; i += 1) {
        const m = await alice.messenger.send(bob.jid, `warm ${String(i)}`);
        await arrival(bob, m.id).catch(() => 0);
      }

      const ox: number[] = [];
      const plain: number[] = [];
      // Each message on a quiet link: the receipt bob sends back for an OX message (and the XEP-0198 traffic) would
      // otherwise cross the next message and add 10–15 ms to whichever is measured next. OX: send() makes the id,
      // so wait for bob's next stored message.
      for (let i = 0; i < ROUNDS; i += 1) {
        signal.throwIfAborted();
        const id = randomUUID();
        const t1 = performance.now();
        const got = arrival(bob, id);
        await alice.account.send(messageStanza({ id, to: bob.jid, payload: [xml('body', {}, `latency plain ${String(i)}`)], state: 'queued' }));
        plain.push((await got) - t1);
        await new Promise((r) => setTimeout(r, 30));
        const t0 = performance.now();
        const next = count(bob, 1, 30_000);
        await alice.messenger.send(bob.jid, `latency ox ${String(i)}`);
        ox.push((await next) - t0);
        await new Promise((r) => setTimeout(r, 30));
      }

      const throughput = async (group: readonly Side[]): Promise<number> => {
        const per = Math.floor(BURST / group.length);
        const done = count(bob, per * group.length, 180_000);
        const t0 = performance.now();
        await Promise.all(group.map(async (s) => {
          for (let i = 0; i < per; i += 1) await s.messenger.send(bob.jid, `burst ${String(i)}`);
        }));
        return (per * group.length) / (((await done) - t0) / 1000);
      };
      const one = await throughput([alice]);
      const four = await throughput(from);

      // As two people are: the sender in a process of its own (test/integration/fixtures/messenger-sender.ts, the
      // "nothing lost" test's sender), bob here. Sustained rate = messages after the first / time first → last.
      await register(pair.a, pair.caPem, 'procsender');
      const procKey = await generateAccountKey('procsender@a.test');
      bob.keys.add(procKey.publicKey);
      const files = { secret: join(dir, 'procsender.key'), peer: join(dir, 'procsender-peer.pub'), config: join(dir, 'procsender.json'), log: join(dir, 'procsender.log') };
      writeFileSync(files.secret, await exportSecretKey(procKey, 'bench key'));
      writeFileSync(files.peer, exportPublicKey(k('bob@b.test').publicKey));
      const config: SenderConfig = {
        profile: join(dir, 'procsender.db'), passphrase: 'bench profile', host: pair.a.host, port: pair.a.c2sPort, domain: 'a.test', caFile: pair.caFile,
        username: 'procsender', password: password('procsender'), secretKeyFile: files.secret, keyPassphrase: 'bench key', peer: bob.jid, peerKeyFile: files.peer, total: BURST,
      };
      writeFileSync(files.config, JSON.stringify(config));
      const arrivals: number[] = [];
      bob.messenger.on('message', (_m, peer) => {
        if (peer === 'procsender@a.test') arrivals.push(performance.now());
      });
      const child = new ManagedProcess('bench-sender', process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'test', 'integration', 'fixtures', 'messenger-sender.ts'), files.config], files.log, {
        cwd: join(import.meta.dirname, '..'),
      });
      try {
        // The sender exits once the server acked all; bob may still be decrypting the last ones.
        await waitFor(`bob to have the other process's ${String(BURST)}`, () => (arrivals.length >= BURST ? true : undefined), 180_000, 20);
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n${child.tail()}`, { cause: err });
      } finally {
        await child.stop();
      }
      const first = arrivals[0] ?? 0;
      const last = arrivals[BURST - 1] ?? first;
      const separate = (BURST - 1) / ((last - first) / 1000);

      const oxP50 = median(ox);
      const plainP50 = median(plain);
      return [
        { name: `plaintext latency alice→bob across a.test/b.test, p50 (${String(ROUNDS)} messages)`, value: plainP50, unit: 'ms' },
        { name: 'plaintext latency, p95', value: percentile(plain, 95), unit: 'ms' },
        { name: 'OX latency (send → stored, decrypted and verified at bob), p50', value: oxP50, unit: 'ms', ratio: { value: oxP50 / plainP50, against: 'vs plaintext' } },
        { name: 'OX latency, p95', value: percentile(ox, 95), unit: 'ms', ratio: { value: percentile(ox, 95) / percentile(plain, 95), against: 'vs plaintext p95' } },
        { name: 'OX cost at p50 (goal ≤ 10 ms)', value: oxP50 - plainP50, unit: 'ms' },
        { name: `OX throughput, 1 sender, ${String(BURST)} messages sent → decrypted at bob, server limits 2mb/s c2s and s2s (goal ≥ 150)`, value: one, unit: 'messages/s' },
        { name: `OX throughput, 4 senders on 4 c2s connections, ${String(BURST)} messages`, value: four, unit: 'messages/s', ratio: { value: four / one, against: 'vs 1 sender' } },
        { name: `OX throughput, sender in its own process (as two people are), ${String(BURST)} messages, sustained first → last at bob (goal ≥ 150)`, value: separate, unit: 'messages/s', ratio: { value: separate / one, against: 'vs both ends in one process' } },
        { name: 'size of an OX chat stanza as received (a ~10-character text)', value: oxSize, unit: 'bytes' },
      ];
    } finally {
      await Promise.all(sides.map((s) => s.close()));
      await pair.stop();
      await finishRunDir(dir, false);
    }
  },
};

export default bench;
