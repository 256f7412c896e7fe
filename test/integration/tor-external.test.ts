/**
 * "Use my own tor" (src/tor/external-tor.ts) against real tor processes of the rig's private Tor network, each playing
 * a tor the user already runs: ready after its control port says 100 % and lists the SOCKS port, a TorTransport
 * connection through it to a 127.0.0.1 echo server, circuits tagged with the connection's isolation key, stop() that
 * leaves the user's tor running; the SOCKS5-only mode; a wrong SOCKS port refused; and the user's tor going away:
 * "down" within 2 s, Tor-mode connections refused, and "ready" again by itself once that tor is back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportDownError } from '../../src/net/errors';
import { TorTransport } from '../../src/net/tor';
import { TorControlClient } from '../../src/tor/control';
import { ControlPortRequiredError, ExternalTor, SocksPortMismatchError, type ExternalTorOptions } from '../../src/tor/external-tor';
import type { TorState } from '../../src/tor/provider';
import { roundTrip, startEcho, type EchoServer } from '../helpers/echo';
import { trackFailures } from '../rig/lifecycle';
import { startTorNetwork, type ControlEndpoint, type HostPort, type TorNetwork } from '../rig/tor-network';
import { canConnect, ManagedProcess, waitFor } from '../rig/util';

const failures = trackFailures();
let net: TorNetwork;
let echo: EchoServer;
const externals: ExternalTor[] = [];
const extraProcs: ManagedProcess[] = [];
const controls: TorControlClient[] = [];

const alive = (pid: number): boolean => existsSync(`/proc/${String(pid)}`);

function external(socks: HostPort, control?: ControlEndpoint, extra: Partial<ExternalTorOptions> = {}): ExternalTor {
  const ext = new ExternalTor({
    socks,
    ...(control === undefined ? {} : { control: { host: control.host, port: control.port }, cookieFile: control.cookieFile }),
    ...extra,
  });
  externals.push(ext);
  return ext;
}

/** The test's own control connection to a tor (to read its pid, and to show it still answers). */
async function ownControl(ep: ControlEndpoint): Promise<TorControlClient> {
  const c = new TorControlClient({ host: ep.host, port: ep.port });
  controls.push(c);
  await c.connect({ timeoutMs: 10_000 });
  await c.authenticate({ cookieFile: ep.cookieFile });
  return c;
}

beforeAll(async () => {
  [net, echo] = await Promise.all([startTorNetwork(), startEcho('127.0.0.1')]);
});

afterAll(async () => {
  await Promise.all(externals.map((e) => e.stop()));
  await Promise.all(controls.map((c) => c.close()));
  await Promise.all(extraProcs.map((p) => p.stop(2000)));
  await Promise.all([net.stop(failures.failed), echo.close()]);
});

describe('a tor the user already runs', () => {
  it('is ready once its control port says 100 %, carries a TorTransport connection, lists its circuits; stop() leaves that tor running', async () => {
    const own = await ownControl(net.clientControl);
    const pid = Number(await own.getInfoOne('process/pid'));
    expect(alive(pid)).toBe(true);

    const ext = external(net.clientSocks, net.clientControl);
    const progress: number[] = [];
    ext.events.on('bootstrap', (p) => progress.push(p.progress));
    const t0 = Date.now();
    await ext.start();
    console.log(`external tor ready in ${String(Date.now() - t0)} ms (tor ${ext.version() ?? '?'})`);
    expect(ext.state()).toEqual({ kind: 'ready', socks: net.clientSocks });
    expect(ext.version()).toMatch(/^\d+\.\d+\.\d+/);
    expect(progress.at(-1)).toBe(100);

    const transport = new TorTransport(ext);
    const t1 = Date.now();
    const sock = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'alice', timeoutMs: 60_000 });
    expect(await roundTrip(sock, 'through the user tor')).toBe('through the user tor');
    console.log(`first connection through the external tor: ${String(Date.now() - t1)} ms`);
    const [circuits, streams] = await Promise.all([ext.circuits(), ext.streams()]);
    const alice = circuits.filter((c) => c.isolationKey === 'alice');
    expect(alice.length).toBeGreaterThan(0);
    for (const c of alice) expect(c.path.length).toBeGreaterThan(0);
    // GETINFO stream-status carries no SOCKS username, so a stream is tied to an account through its circuit.
    expect(streams.some((s) => s.status === 'SUCCEEDED' && alice.some((c) => c.id === s.circuitId))).toBe(true);
    sock.destroy();
    await ext.newIdentity();

    await ext.stop();
    expect(ext.state()).toEqual({ kind: 'stopped' });
    await expect(transport.connect({ host: echo.host, port: echo.port })).rejects.toBeInstanceOf(TransportDownError);
    // The user's tor is untouched: same process, control and SOCKS ports still answering, still bootstrapped.
    expect(alive(pid)).toBe(true);
    expect(Number(await own.getInfoOne('process/pid'))).toBe(pid);
    expect((await own.getBootstrapPhase()).progress).toBe(100);
    expect(await canConnect(net.clientSocks.host, net.clientSocks.port)).toBe(true);
  });

  it('without a control port: ready after a SOCKS5 handshake, carries connections, and says the rest needs the control port', async () => {
    const ext = external(net.clientSocks);
    await ext.start();
    expect(ext.state()).toEqual({ kind: 'ready', socks: net.clientSocks });
    const sock = await new TorTransport(ext).connect({ host: echo.host, port: echo.port }, { isolationKey: 'bob', timeoutMs: 60_000 });
    expect(await roundTrip(sock, 'socks only')).toBe('socks only');
    sock.destroy();
    await expect(ext.circuits()).rejects.toBeInstanceOf(ControlPortRequiredError);
    await expect(ext.newIdentity()).rejects.toBeInstanceOf(ControlPortRequiredError);
    await ext.stop();
  });

  it('refuses a SOCKS port that tor does not list, with a typed error', async () => {
    const ext = external({ host: '127.0.0.1', port: echo.port }, net.clientControl);
    const err: unknown = await ext.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SocksPortMismatchError);
    expect(err).toMatchObject({ listed: [net.clientSocks.port] });
    expect(ext.state()).toMatchObject({ kind: 'failed', error: { code: 'tor-socks-port-mismatch' } });
  });

  it('goes down within 2 s when that tor stops, refuses Tor-mode connections, and is ready again once it is back', { timeout: 240_000 }, async () => {
    const user = await net.startClient({ name: 'user-tor' });
    const bootMs = await user.waitBootstrapped(90_000);
    const ext = external(user.socks, user.control);
    const states: { at: number; state: TorState }[] = [];
    ext.events.on('state', (s) => states.push({ at: Date.now(), state: s }));
    await ext.start();
    const transport = new TorTransport(ext);
    const before = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'carol', timeoutMs: 60_000 });
    expect(await roundTrip(before, 'before')).toBe('before');
    before.destroy();

    const stoppedAt = Date.now();
    await user.stop();
    expect(alive(user.pid)).toBe(false);
    const down = await waitFor('the down state', () => states.find((s) => s.state.kind === 'down'), 2000, 10);
    expect(down.at - stoppedAt).toBeLessThan(2000);
    expect(down.state).toMatchObject({ kind: 'down', restartInMs: 1000 });
    await expect(transport.connect({ host: echo.host, port: echo.port }, { timeoutMs: 5000 })).rejects.toBeInstanceOf(TransportDownError);
    await expect(ext.circuits()).rejects.toMatchObject({ code: 'tor-not-ready' });

    // The user starts their tor again: same torrc, same ports, same data directory (a new cookie).
    const again = new ManagedProcess('user-tor-again', 'tor', ['-f', user.torrcFile, '--defaults-torrc', join(net.runDir, 'empty-defaults')], join(user.dataDir, 'stdout-again.log'));
    extraProcs.push(again);
    const restartedAt = Date.now();
    await waitFor('the external tor ready again', () => (ext.state().kind === 'ready' ? true : undefined), 120_000, 50);
    const readyAgain = Date.now();
    const after = await transport.connect({ host: echo.host, port: echo.port }, { isolationKey: 'carol', timeoutMs: 60_000 });
    expect(await roundTrip(after, 'after')).toBe('after');
    after.destroy();
    const kinds = states.map((s) => s.state.kind);
    const firstDown = kinds.indexOf('down');
    expect(kinds[firstDown - 1]).toBe('ready');
    expect(kinds.slice(firstDown + 1)).not.toContain('failed');
    expect(kinds.at(-1)).toBe('ready');
    console.log(
      `user tor bootstrap ${String(bootMs)} ms; stopped → down in ${String(down.at - stoppedAt)} ms; ` +
        `restarted → ready again in ${String(readyAgain - restartedAt)} ms; states ${kinds.join(' → ')}`,
    );
    await ext.stop();
    expect(again.running).toBe(true);
  });
});
