/**
 * The tor Cove owns (src/tor/owned-tor.ts), joined to the rig's private Tor network: bootstrap progress that is
 * monotonic and reaches 100 %, an abort that leaves no tor behind, connections through the app's SOCKS port to
 * a.test's .onion (a real XMPP login) and to a 127.0.0.1 service through the exit, per-account circuits, NEWNYM's
 * rate limit, and kill -9: "down" at once, every Tor-mode connection refused meanwhile, tor back by itself and the
 * XMPP client reconnected by itself. Also: the version tor reports, judged against the pinned minimum (an
 * `outdated` warning exactly when older), and a tor run from a bundle directory laid out as the packaged app has it
 * (its own LD_LIBRARY_PATH and the bundle's GeoIP file from torrc-defaults).
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportDownError } from '../../src/net/errors';
import { TorTransport } from '../../src/net/tor';
import { bundledTorLayout } from '../../src/platform/resources';
import { findTorBinaries } from '../../src/tor/binary';
import { parseControlPortFile, TorControlClient } from '../../src/tor/control';
import { OwnedTor } from '../../src/tor/owned-tor';
import type { BootstrapProgress, TorState, TorWarning } from '../../src/tor/provider';
import { torrcPaths } from '../../src/tor/torrc';
import { compareTorVersions, MINIMUM_TOR_VERSION, parseTorVersion, torVersionStatus } from '../../src/tor/version';
import { roundTrip, startEcho, type EchoServer } from '../helpers/echo';
import { connectClient, registerAccount, stopClient } from '../helpers/xmpp';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { clientTorrcLines, startTorNetwork, type TorNetwork } from '../rig/tor-network';
import { waitFor } from '../rig/util';

const failures = trackFailures();
let net: TorNetwork;
let pair: ProsodyPair;
let echo: EchoServer;
let onion: { onion: string; port: number };
const dirs: string[] = [];
const tors: OwnedTor[] = [];
const clients: Client[] = [];

function newTor(extra: Partial<ConstructorParameters<typeof OwnedTor>[0]> = {}): OwnedTor {
  const dataDir = mkdtempSync(join(tmpdir(), 'cove-owned-tor-'));
  dirs.push(dataDir);
  const tor = new OwnedTor({ dataDir, extraTorrcLines: clientTorrcLines(net), ...extra });
  tors.push(tor);
  return tor;
}

/** alice, online at a.test through its .onion, over `transport`. */
async function aliceOverOnion(transport: TorTransport, reconnect: boolean): Promise<Client> {
  return connectClient({
    host: onion.onion,
    port: onion.port,
    domain: 'a.test',
    ca: pair.caPem,
    username: 'alice',
    password: 'pw-alice',
    timeoutMs: 60_000,
    reconnect,
    createSocket: () => transport.connect({ host: onion.onion, port: onion.port }, { isolationKey: 'alice', timeoutMs: 60_000 }),
  });
}

const alive = (pid: number): boolean => existsSync(`/proc/${String(pid)}`);

beforeAll(() =>
  failures.guard(async () => {
    [net, pair, echo] = await Promise.all([startTorNetwork(), startProsodyPair({ name: 'tor-owned' }), startEcho('127.0.0.1')]);
    onion = await net.addOnion({ host: pair.a.host, port: pair.a.c2sPort });
    await registerAccount({ host: pair.a.host, port: pair.a.c2sPort, domain: 'a.test', ca: pair.caPem, username: 'alice', password: 'pw-alice' });
  }),
);

afterAll(async () => {
  await Promise.all(clients.map((c) => stopClient(c)));
  await Promise.all(tors.map((t) => t.stop()));
  await Promise.all([net.stop(failures.failed), pair.stop(failures.failed), echo.close()]);
  if (!failures.failed) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the tor Cove owns', () => {
  it('aborted during bootstrap, leaves no tor process', async () => {
    const tor = newTor();
    const ac = new AbortController();
    let pid: number | undefined;
    tor.events.on('bootstrap', () => {
      pid ??= tor.pid;
      ac.abort();
    });
    await expect(tor.start(ac.signal)).rejects.toThrow();
    expect(pid).toBeTypeOf('number');
    await waitFor('the aborted tor to be gone', () => (alive(pid ?? 0) ? undefined : true), 5000);
    expect(tor.state().kind).not.toBe('ready');
  });

  it('bootstraps with progress that never goes backwards, to 100 %, and connects through the exit and to an onion', async () => {
    const tor = newTor();
    const progress: BootstrapProgress[] = [];
    const warnings: TorWarning[] = [];
    tor.events.on('bootstrap', (p) => progress.push(p));
    tor.events.on('warning', (w) => warnings.push(w));
    const t0 = Date.now();
    await tor.start();
    console.log(`owned tor bootstrap on the private network: ${String(Date.now() - t0)} ms, tor ${tor.version() ?? '?'}`);
    // The version tor reports over the control port, read and judged against the pinned minimum.
    const reported = parseTorVersion(tor.version() ?? '');
    expect(reported, tor.version()).toBeDefined();
    const status = torVersionStatus(tor.version());
    const older = reported !== undefined && compareTorVersions(reported, MINIMUM_TOR_VERSION) < 0;
    expect(status.outdated).toBe(older);
    expect(warnings.filter((w) => w.kind === 'tor-outdated')).toHaveLength(older ? 1 : 0);
    const values = progress.map((p) => p.progress);
    expect(values.at(-1)).toBe(100);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    expect(tor.state().kind).toBe('ready');

    const transport = new TorTransport(tor);
    const viaExit = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'alice', timeoutMs: 60_000 });
    expect(await roundTrip(viaExit, 'through the exit')).toBe('through the exit');
    viaExit.destroy();

    await net.waitForOnion(onion.onion, onion.port, 90_000);
    const client = await aliceOverOnion(transport, false);
    expect(client.jid?.bare().toString()).toBe('alice@a.test');
    await stopClient(client);
    await tor.stop();
  });

  it('puts two accounts on different circuits, and rate-limits new identity', async () => {
    const tor = newTor();
    await tor.start();
    const transport = new TorTransport(tor);
    let liveUpdates = 0;
    tor.events.on('circuits', () => (liveUpdates += 1));
    const a = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'alice', timeoutMs: 60_000 });
    const b = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'bob', timeoutMs: 60_000 });
    await Promise.all([roundTrip(a, 'a'), roundTrip(b, 'b')]);
    const [streams, circuits] = await Promise.all([tor.streams(), tor.circuits()]);
    const open = streams.filter((s) => s.status === 'SUCCEEDED');
    const byKey = (k: string): string[] => circuits.filter((c) => c.isolationKey === k).map((c) => c.id);
    expect(byKey('alice').length).toBeGreaterThan(0);
    expect(byKey('bob').length).toBeGreaterThan(0);
    expect(byKey('alice').some((id) => byKey('bob').includes(id))).toBe(false);
    const circuitOf = new Set(open.map((s) => s.circuitId));
    expect(circuitOf.size).toBeGreaterThanOrEqual(2);
    // The panel's list: each stream labelled with its account, and live updates as circuits and streams change.
    expect(open.map((s) => s.isolationKey).sort()).toEqual(['alice', 'bob']);
    await waitFor('a live circuits update', () => (liveUpdates > 0 ? true : undefined), 5000);
    for (const c of circuits.filter((c) => c.isolationKey !== undefined)) expect(c.path.length).toBeGreaterThan(0);
    a.destroy();
    b.destroy();

    await tor.newIdentity();
    const t0 = Date.now();
    await tor.newIdentity();
    expect(Date.now() - t0).toBeGreaterThan(8_000);
    await tor.stop();
  });

  it('runs from a bundle directory as the packaged app does: its LD_LIBRARY_PATH, its GeoIP file from torrc-defaults', async () => {
    const bundle = mkdtempSync(join(tmpdir(), 'cove-bundle-'));
    dirs.push(bundle);
    const layout = bundledTorLayout(bundle, 'linux');
    copyFileSync(realpathSync(findTorBinaries({ path: process.env.PATH ?? '' }).tor), layout.tor);
    chmodSync(layout.tor, 0o755);
    // 127.0.0.0/8 (2130706432–2147483647) as "nl": tor can only answer that from this file.
    writeFileSync(layout.geoip, '# test geoip\n2130706432,2147483647,NL\n');
    // The rig's GeoIPFile "" lines would override torrc-defaults: leave them out for this tor.
    const dataDir = mkdtempSync(join(tmpdir(), 'cove-owned-tor-'));
    dirs.push(dataDir);
    const tor = newTor({ dataDir, bundledDir: bundle, transportPlugins: {}, extraTorrcLines: clientTorrcLines(net).filter((l) => !l.startsWith('GeoIP')) });
    await tor.start();
    const pid = tor.pid ?? 0;
    expect(readlinkSync(`/proc/${String(pid)}/exe`)).toBe(layout.tor);
    const environ = readFileSync(`/proc/${String(pid)}/environ`, 'utf8').split('\0');
    expect(environ.find((e) => e.startsWith('LD_LIBRARY_PATH='))?.split('=')[1]?.split(':')[0]).toBe(bundle);
    const files = torrcPaths(dataDir);
    const listener = parseControlPortFile(readFileSync(files.controlPortFile, 'utf8')).find((l) => l.kind === 'tcp');
    if (listener?.kind !== 'tcp') throw new Error('no control port');
    const control = new TorControlClient({ host: listener.host, port: listener.port });
    try {
      await control.connect({ timeoutMs: 10_000 });
      await control.authenticate({ cookieFile: files.cookieFile });
      expect((await control.getInfoOne('ip-to-country/127.0.0.1')).toLowerCase()).toBe('nl');
    } finally {
      await control.close();
    }
    await tor.stop();
  });

  it('kill -9: down at once, Tor-mode connections refused meanwhile, tor back and the client reconnected by itself', async () => {
    const tor = newTor();
    await tor.start();
    await net.waitForOnion(onion.onion, onion.port, 90_000);
    const transport = new TorTransport(tor);
    const client = await aliceOverOnion(transport, true);
    clients.push(client);
    const states: { at: number; state: TorState }[] = [];
    tor.events.on('state', (s) => states.push({ at: Date.now(), state: s }));
    // Back by a new session ('online') or by resuming the old one (XEP-0198: no 'online' event then).
    const back = { resumed: false };
    const backOnline = new Promise<number>((resolve) => {
      client.once('online', () => {
        resolve(Date.now());
      });
      client.streamManagement.once('resumed', () => {
        back.resumed = true;
        resolve(Date.now());
      });
    });

    const pid = tor.pid ?? 0;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const down = await waitFor('the down state', () => states.find((s) => s.state.kind === 'down'), 2000, 10);
    expect(down.at - killedAt).toBeLessThan(2000);
    await expect(transport.connect({ host: echo.host, port: echo.port })).rejects.toBeInstanceOf(TransportDownError);

    await waitFor('tor back', () => (tor.state().kind === 'ready' ? true : undefined), 90_000, 100);
    expect(tor.pid).not.toBe(pid);
    const onlineAt = await backOnline;
    const readyAt = states.find((s) => s.state.kind === 'ready')?.at ?? Number.NaN;
    console.log(`tor killed → down in ${String(down.at - killedAt)} ms, ready again in ${String(readyAt - killedAt)} ms; client back (${back.resumed ? 'stream resumed' : 'new session'}) ${String(onlineAt - killedAt)} ms after the kill`);
    expect(client.status).toBe('online');
  });
});
