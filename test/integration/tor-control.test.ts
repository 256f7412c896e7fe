/**
 * The control client against a real `tor` (Debian's), started here in a temp dir and kept offline for the whole test:
 * `DisableNetwork 1` from the torrc to the end (checked at the end, and no socket of tor's leaves 127.0.0.1), no
 * bridges, no directory servers set. Started the way Tor Browser starts it: `ControlPort auto` written to a file,
 * cookie authentication, `SocksPort auto`, owned by this process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorCommandError, TorConnectionClosedError } from '../../src/tor/control/errors';
import { TorControlClient } from '../../src/tor/control/client';
import type { LogEvent } from '../../src/tor/control/events';
import { parseControlPortFile, type Listener } from '../../src/tor/control/parsers';
import { trackFailures } from '../rig/lifecycle';
import { ManagedProcess, RigError, finishRunDir, makeRunDir, waitFor } from '../rig/util';

const run = trackFailures();
let dir = '';
let tor: ManagedProcess | undefined;
let client: TorControlClient | undefined;
let control: Listener | undefined;

beforeAll(async () => {
  dir = await makeRunDir('tor-control');
  const torrc = join(dir, 'torrc');
  const defaults = join(dir, 'torrc-defaults');
  writeFileSync(defaults, '');
  writeFileSync(
    torrc,
    [
      `DataDirectory ${join(dir, 'data')}`,
      'DisableNetwork 1',
      'ControlPort auto',
      `ControlPortWriteToFile ${join(dir, 'control-port')}`,
      'CookieAuthentication 1',
      'SocksPort auto',
      'GeoIPFile ""',
      'GeoIPv6File ""',
      'AvoidDiskWrites 1',
      'Log notice stdout',
      `__OwningControllerProcess ${process.pid}`,
      '',
    ].join('\n'),
  );
  const t0 = Date.now();
  tor = new ManagedProcess('tor', 'tor', ['--defaults-torrc', defaults, '-f', torrc], join(dir, 'tor.log'));
  const proc = tor;
  control = await waitFor(
    'tor to write its control port file',
    () => {
      if (!proc.running) throw new RigError(`tor exited early:\n${proc.tail()}`);
      const file = join(dir, 'control-port');
      return existsSync(file) ? parseControlPortFile(readFileSync(file, 'utf8'))[0] : undefined;
    },
    20_000,
    50,
  );
  console.log(`[tor-control] tor's control port was up after ${Date.now() - t0} ms`);
});

afterAll(async () => {
  await client?.close();
  await tor?.stop();
  await finishRunDir(dir, run.failed);
});

describe('TorControlClient against a real tor (offline: DisableNetwork 1)', () => {
  it('authenticates with SAFECOOKIE', async () => {
    if (control?.kind !== 'tcp') throw new RigError('tor wrote no TCP control port');
    expect(control.host).toBe('127.0.0.1');
    client = new TorControlClient({ host: control.host, port: control.port }, { commandTimeoutMs: 10_000 });
    await client.connect({ timeoutMs: 5000, signal: AbortSignal.timeout(10_000) });
    expect(await client.authenticate()).toBe('SAFECOOKIE');
  });

  it('answers GETINFO version, net/listeners/socks, status/bootstrap-phase, circuit- and stream-status', async () => {
    const c = need(client);
    const info = await c.getInfo(['version', 'net/listeners/socks', 'status/bootstrap-phase']);
    expect(info.get('version')).toMatch(/^\d+\.\d+\.\d+\.\d+/);
    // With DisableNetwork 1 tor opens no listener but the control port: the SOCKS port appears after DisableNetwork=0.
    expect(await c.getSocksListeners()).toEqual([]);
    expect(await c.getConf(['SocksPort'])).toEqual([['SocksPort', 'auto']]);
    const boot = await c.getBootstrapPhase();
    expect(boot.progress).toBeGreaterThanOrEqual(0);
    expect(boot.progress).toBeLessThan(100);
    expect(boot.tag).toMatch(/^[a-z_]+$/);
    expect(boot.severity).toBe('NOTICE');
    expect(await c.getCircuits()).toEqual([]);
    expect(await c.getStreams()).toEqual([]);
    await expect(c.getInfo(['no/such/key'])).rejects.toMatchObject({ name: 'TorCommandError', status: 552, kind: 'unrecognized-entity' });
    expect(c.isOpen).toBe(true);
  });

  it('delivers events after SETEVENTS STATUS_CLIENT NOTICE', async () => {
    const c = need(client);
    const notices: LogEvent[] = [];
    const off = c.onEvent('NOTICE', (e) => notices.push(e));
    await c.setEvents(['STATUS_CLIENT', 'NOTICE']);
    await c.signal('HEARTBEAT');
    await waitFor('a Heartbeat NOTICE event', () => notices.find((n) => n.message.startsWith('Heartbeat')), 10_000, 20);
    off();
    await c.setEvents([]);
  });

  it('GETCONF / SETCONF / RESETCONF round-trip, quoted values included', async () => {
    const c = need(client);
    expect(await c.getConf(['MaxCircuitDirtiness'])).toEqual([['MaxCircuitDirtiness', '600']]);
    await c.setConf([['MaxCircuitDirtiness', '900']]);
    expect(await c.getConf(['MaxCircuitDirtiness'])).toEqual([['MaxCircuitDirtiness', '900']]);
    // tor writes the first back bare, the second (leading quote, '#') as an escaped QuotedString.
    for (const value of ['Cove test "quoted" \\ backslash', '"starts with a quote" # and \\ more']) {
      await c.setConf([['ContactInfo', value]]);
      expect(await c.getConf(['ContactInfo'])).toEqual([['ContactInfo', value]]);
    }
    await c.resetConf(['MaxCircuitDirtiness', 'ContactInfo']);
    expect(await c.getConf(['MaxCircuitDirtiness', 'ContactInfo'])).toEqual([
      ['MaxCircuitDirtiness', '600'],
      ['ContactInfo', undefined],
    ]);
    const err = await c.setConf([['NoSuchOption', '1']]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorCommandError);
    expect((err as TorCommandError).status).toBe(552);
  });

  it('ADD_ONION / DEL_ONION work offline', async () => {
    const c = need(client);
    const onion = await c.addOnion({ key: { type: 'NEW', algorithm: 'ED25519-V3' }, flags: ['DiscardPK'], ports: [{ virtPort: 80, target: '127.0.0.1:9' }] });
    expect(onion.serviceId).toMatch(/^[a-z2-7]{56}$/);
    expect(onion.privateKey).toBeUndefined();
    expect(await c.getInfoOne('onions/current')).toContain(onion.serviceId);
    await c.delOnion(onion.serviceId);
  });

  it('stayed offline: DisableNetwork is still 1 and tor has no socket outside 127.0.0.1', async () => {
    const c = need(client);
    expect(await c.getConf(['DisableNetwork'])).toEqual([['DisableNetwork', '1']]);
    const pid = need(tor).pid;
    const sockets = execFileSync('ss', ['-Htanup', 'exclude', 'time-wait'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\n')
      .filter((l) => l.includes(`pid=${pid},`));
    expect(sockets.length).toBeGreaterThan(0); // at least the control listener
    for (const line of sockets) {
      const [, , , , local, peer] = line.trim().split(/\s+/); // netid state recv-q send-q local peer process
      expect(local, line).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(peer, line).toMatch(/^(127\.0\.0\.1:\d+|0\.0\.0\.0:\*|\*:\*)$/);
    }
  });

  it('TAKEOWNERSHIP: closing the connection makes tor exit, cleanly', async () => {
    const c = need(client);
    const proc = need(tor);
    await c.takeOwnership();
    const t0 = Date.now();
    await c.close();
    await expect(c.getInfoOne('version')).rejects.toBeInstanceOf(TorConnectionClosedError);
    const exit = await Promise.race([proc.exited, new Promise<'timeout'>((r) => setTimeout(() => { r('timeout'); }, 15_000))]);
    console.log(`[tor-control] tor exited ${Date.now() - t0} ms after the owning connection closed`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(proc.running).toBe(false);
    expect(() => process.kill(proc.pid, 0)).toThrow(/ESRCH/);
  });
});

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new RigError('an earlier step of this file failed');
  return v;
}
