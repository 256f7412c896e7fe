/**
 * ExternalTor without a real tor: presets, option checks, the SOCKS5 check against tiny fake SOCKS servers (a good
 * one, garbage, silence, a refusal), the SOCKS-listener match, loopback detection, the NEWNYM limiter, and the
 * control-port path (progress, "down" at once when the connection closes, back to "ready") against the scripted fake
 * control port. The proof against a real tor is test/integration/tor-external.test.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportDownError } from '../net/errors';
import { TorTransport } from '../net/tor';
import { TorAbortedError } from './control';
import { FakeControlServer, type FakeConnection } from './control/testing/fake-server';
import { NewnymLimiter } from './control-common';
import {
  checkSocksListed,
  ControlPortRequiredError,
  DEBIAN_SYSTEM_TOR,
  detectRunningTor,
  ExternalTor,
  ExternalTorOptionsError,
  SocksPortMismatchError,
  SocksProbeError,
  SYSTEM_TOR,
  TOR_BROWSER,
  validateExternalTorOptions,
  type ExternalTorOptions,
} from './external-tor';
import type { TorState } from './provider';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server on 127.0.0.1 whose every connection gets `onConn`; records the bytes each connection sent. */
async function fakeSocks(onConn: (sock: Socket, received: Buffer[]) => void): Promise<{ port: number; received: Buffer[][]; closedByClient: boolean[] }> {
  const received: Buffer[][] = [];
  const closedByClient: boolean[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    const i = received.push([]) - 1;
    const mine = received[i] ?? [];
    closedByClient[i] = false;
    sockets.add(sock);
    sock.on('data', (d) => mine.push(d));
    sock.on('end', () => {
      closedByClient[i] = true;
    });
    sock.on('error', () => undefined);
    onConn(sock, mine);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => {
      resolve();
    });
  }));
  const addr = server.address();
  return { port: addr !== null && typeof addr === 'object' ? addr.port : 0, received, closedByClient };
}

/** Answers the SOCKS5 greeting with `reply` once it has arrived. */
const answering = (reply: Buffer | string) => (sock: Socket, got: Buffer[]): void => {
  sock.on('data', () => {
    if (Buffer.concat(got).length >= 3) sock.write(reply);
  });
};

async function unusedPort(): Promise<number> {
  const s = await fakeSocks((sock) => sock.destroy());
  await cleanups.pop()?.();
  return s.port;
}

function tor(opts: ExternalTorOptions): ExternalTor {
  const t = new ExternalTor(opts);
  cleanups.push(() => t.stop());
  return t;
}

describe('presets and options', () => {
  it('names the usual ports of a system tor and of Tor Browser', () => {
    expect(SYSTEM_TOR).toEqual({ socks: { host: '127.0.0.1', port: 9050 }, control: { host: '127.0.0.1', port: 9051 } });
    expect(TOR_BROWSER).toEqual({ socks: { host: '127.0.0.1', port: 9150 }, control: { host: '127.0.0.1', port: 9151 } });
    expect(DEBIAN_SYSTEM_TOR.control).toEqual({ path: '/run/tor/control' });
    for (const p of [SYSTEM_TOR, TOR_BROWSER, DEBIAN_SYSTEM_TOR]) expect(validateExternalTorOptions(p)).toEqual(p);
    const t = new ExternalTor(TOR_BROWSER);
    expect(t.kind).toBe('external');
    expect(t.state()).toEqual({ kind: 'stopped' });
    expect(t.socksEndpoint()).toHaveProperty('down');
    expect(t.version()).toBeUndefined();
  });

  it('takes localhost as 127.0.0.1', () => {
    expect(validateExternalTorOptions({ socks: { host: 'localhost', port: 9050 } }).socks.host).toBe('127.0.0.1');
  });

  const socks = { host: '127.0.0.1', port: 9050 };
  it.each<[string, ExternalTorOptions]>([
    ['a SOCKS host name', { socks: { host: 'tor.example', port: 9050 } }],
    ['SOCKS port 0', { socks: { host: '127.0.0.1', port: 0 } }],
    ['SOCKS port 70000', { socks: { host: '127.0.0.1', port: 70000 } }],
    ['a fractional port', { socks: { host: '127.0.0.1', port: 9050.5 } }],
    ['a control host name', { socks, control: { host: 'localhost.localdomain', port: 9051 } }],
    ['both control host and path', { socks, control: { host: '127.0.0.1', port: 9051, path: '/run/tor/control' } }],
    ['an empty control path', { socks, control: { path: '' } }],
    ['an empty cookie file', { socks, control: { host: '127.0.0.1', port: 9051 }, cookieFile: '' }],
    ['a password with a line break', { socks, control: { host: '127.0.0.1', port: 9051 }, password: 'pw\r\nSIGNAL SHUTDOWN' }],
    ['a cookie without a control port', { socks, cookieFile: '/run/tor/control.authcookie' }],
    ['a negative timeout', { socks, connectTimeoutMs: -1 }],
  ])('refuses %s', (_what, opts) => {
    expect(() => new ExternalTor(opts)).toThrow(ExternalTorOptionsError);
  });
});

describe('without a control port', () => {
  it('is ready after a SOCKS5 method negotiation, sends no CONNECT, and needs the control port for the rest', async () => {
    const server = await fakeSocks(answering(Buffer.from([5, 0])));
    const t = tor({ socks: { host: '127.0.0.1', port: server.port } });
    const states: TorState['kind'][] = [];
    t.events.on('state', (s) => states.push(s.kind));
    await t.start();
    expect(states).toEqual(['starting', 'ready']);
    expect(t.socksEndpoint()).toEqual({ host: '127.0.0.1', port: server.port });
    expect(new TorTransport(t).firstHop()).toEqual({ kind: 'tor', host: '127.0.0.1', port: server.port });
    await expect(t.circuits()).rejects.toBeInstanceOf(ControlPortRequiredError);
    await expect(t.streams()).rejects.toBeInstanceOf(ControlPortRequiredError);
    await expect(t.newIdentity()).rejects.toBeInstanceOf(ControlPortRequiredError);
    await expect(t.circuits()).rejects.toMatchObject({ code: 'tor-control-port-needed' });
    await sleep(50);
    expect(Buffer.concat(server.received[0] ?? [])).toEqual(Buffer.from([5, 1, 0]));
    expect(server.closedByClient[0]).toBe(true);
    await t.stop();
    expect(t.state()).toEqual({ kind: 'stopped' });
    await expect(new TorTransport(t).connect({ host: '127.0.0.1', port: 1 })).rejects.toBeInstanceOf(TransportDownError);
  });

  it.each<[string, (sock: Socket, got: Buffer[]) => void, string]>([
    ['an HTTP answer', answering('HTTP/1.1 400 Bad Request\r\n\r\n'), 'not-socks5'],
    ['a SOCKS4 answer', answering(Buffer.from([0, 0x5a, 0, 0, 0, 0, 0, 0])), 'not-socks5'],
    ['no acceptable method', answering(Buffer.from([5, 0xff])), 'no-acceptable-method'],
    ['a method not offered', answering(Buffer.from([5, 2])), 'not-socks5'],
    ['a close without answer', (sock) => sock.end(), 'not-socks5'],
    ['silence', () => undefined, 'timeout'],
  ])('fails with a typed error on %s', async (_what, onConn, kind) => {
    const server = await fakeSocks(onConn);
    const t = tor({ socks: { host: '127.0.0.1', port: server.port }, connectTimeoutMs: 300 });
    const err: unknown = await t.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SocksProbeError);
    expect(err).toMatchObject({ kind, code: 'tor-socks-check-failed' });
    expect(t.state()).toMatchObject({ kind: 'failed', error: { code: 'tor-socks-check-failed' } });
    expect(t.socksEndpoint()).toHaveProperty('down');
  });

  it('fails with a typed error when nothing listens, and may start again later', async () => {
    const t = tor({ socks: { host: '127.0.0.1', port: await unusedPort() } });
    await expect(t.start()).rejects.toMatchObject({ name: 'SocksProbeError', kind: 'unreachable' });
    await expect(t.start()).rejects.toBeInstanceOf(SocksProbeError);
  });
});

describe('the SOCKS listener check', () => {
  const at = (host: string, port: number) => ({ kind: 'tcp' as const, host, port });
  it('accepts the exact listener or a wildcard one', () => {
    expect(() => { checkSocksListed({ host: '127.0.0.1', port: 9050 }, [{ kind: 'unix', path: '/run/tor/socks' }, at('127.0.0.1', 9050)]); }).not.toThrow();
    expect(() => { checkSocksListed({ host: '127.0.0.1', port: 9050 }, [at('0.0.0.0', 9050)]); }).not.toThrow();
    expect(() => { checkSocksListed({ host: '::1', port: 9050 }, [at('::', 9050)]); }).not.toThrow();
  });

  it('names the ports tor has, or says it has none', () => {
    const wrong = ((): unknown => {
      try {
        checkSocksListed({ host: '127.0.0.1', port: 9050 }, [at('127.0.0.1', 9150), at('127.0.0.2', 9050)]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(wrong).toBeInstanceOf(SocksPortMismatchError);
    expect(wrong).toMatchObject({ code: 'tor-socks-port-mismatch', listed: [9150, 9050] });
    expect(() => { checkSocksListed({ host: '127.0.0.1', port: 9050 }, []); }).toThrow(/no SOCKS port open/);
  });
});

describe('detectRunningTor', () => {
  it('lists the candidates whose SOCKS port accepts a connection, preferring one whose control answers', async () => {
    const socks = await fakeSocks(() => undefined);
    const control = await fakeSocks(() => undefined);
    const none = await unusedPort();
    const lo = (port: number) => ({ host: '127.0.0.1', port });
    const found = await detectRunningTor({
      timeoutMs: 500,
      candidates: [
        { preset: 'a', options: { socks: lo(socks.port), control: lo(none) } },
        { preset: 'b', options: { socks: lo(socks.port), control: lo(control.port) } },
        { preset: 'c', options: { socks: lo(none), control: lo(control.port) } },
      ],
    });
    expect(found).toEqual([{ preset: 'b', options: { socks: lo(socks.port), control: lo(control.port) }, controlReachable: true }]);
    expect(socks.received.every((r) => r.length === 0)).toBe(true);
  });

  it('looks at loopback only', async () => {
    await expect(detectRunningTor({ candidates: [{ preset: 'x', options: { socks: { host: '192.0.2.1', port: 9050 } } }] })).rejects.toBeInstanceOf(ExternalTorOptionsError);
  });
});

describe('NewnymLimiter', () => {
  it('waits out the interval, in order, and sends nothing when aborted', async () => {
    const limiter = new NewnymLimiter(200);
    const sent: number[] = [];
    const t0 = Date.now();
    await Promise.all([1, 2, 3].map((n) => limiter.run(() => { sent.push(n); return Promise.resolve(); }, undefined)));
    expect(sent).toEqual([1, 2, 3]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    const ac = new AbortController();
    const p = limiter.run(() => { sent.push(4); return Promise.resolve(); }, ac.signal);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(TorAbortedError);
    expect(sent).toEqual([1, 2, 3]);
  });
});

/** Plays a tor's control port: password auth, version, events, bootstrap from `steps`, SOCKS listeners. */
function fakeTor(socksPort: number, steps: readonly number[]): (conn: FakeConnection) => Promise<void> {
  const phase = (p: number): string => `NOTICE BOOTSTRAP PROGRESS=${p} TAG=${p === 100 ? 'done' : 'conn'} SUMMARY="step ${p}"`;
  return async (conn) => {
    for (let line = await conn.nextLine(); line !== undefined; line = await conn.nextLine()) {
      if (line === 'PROTOCOLINFO 1') conn.send('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n');
      else if (line === 'AUTHENTICATE "pw"') conn.send('250 OK\r\n');
      else if (line.startsWith('AUTHENTICATE')) conn.send('515 Authentication failed\r\n');
      else if (line === 'GETINFO version') conn.send('250-version=0.4.9.99\r\n250 OK\r\n');
      else if (line === 'SETEVENTS STATUS_CLIENT CIRC STREAM') conn.send('250 OK\r\n');
      else if (line === 'GETINFO status/bootstrap-phase') {
        conn.send(`250-status/bootstrap-phase=${phase(steps[0] ?? 100)}\r\n250 OK\r\n`);
        for (const p of steps.slice(1)) {
          await sleep(20);
          conn.send(`650 STATUS_CLIENT ${phase(p)}\r\n`);
        }
      } else if (line === 'GETINFO net/listeners/socks') conn.send(`250-net/listeners/socks="127.0.0.1:${socksPort}"\r\n250 OK\r\n`);
      else conn.send('510 Unrecognized command\r\n');
    }
  };
}

describe('with a control port (scripted fake)', () => {
  it('follows bootstrap to 100 %, is down at once when the connection closes, and ready again when tor is back', async () => {
    const server = await FakeControlServer.start(fakeTor(9050, [10, 50, 100]));
    cleanups.push(() => server.close());
    const t = tor({ socks: { host: '127.0.0.1', port: 9050 }, control: { host: '127.0.0.1', port: server.port }, password: 'pw' });
    const progress: number[] = [];
    const states: { at: number; s: TorState }[] = [];
    t.events.on('bootstrap', (p) => progress.push(p.progress));
    t.events.on('state', (s) => states.push({ at: Date.now(), s }));
    await t.start();
    expect(progress).toEqual([10, 50, 100]);
    expect(t.state()).toEqual({ kind: 'ready', socks: { host: '127.0.0.1', port: 9050 } });
    expect(t.version()).toBe('0.4.9.99');

    const closedAt = Date.now();
    server.connections[0]?.destroy();
    await sleep(50);
    expect(t.state()).toMatchObject({ kind: 'down', restartInMs: 1000 });
    expect((states.find((x) => x.s.kind === 'down')?.at ?? Infinity) - closedAt).toBeLessThan(1000); // at once, not at the 1 s retry
    await expect(new TorTransport(t).connect({ host: '127.0.0.1', port: 1 })).rejects.toBeInstanceOf(TransportDownError);
    await expect(t.circuits()).rejects.toMatchObject({ code: 'tor-not-ready' });
    for (let i = 0; i < 60 && t.state().kind !== 'ready'; i++) await sleep(50);
    expect(t.state().kind).toBe('ready');
    expect(server.connections).toHaveLength(2);
    await t.stop();
    expect(t.state()).toEqual({ kind: 'stopped' });
  });

  it('refuses a SOCKS port tor does not list, and a wrong password, with typed errors', async () => {
    const server = await FakeControlServer.start(fakeTor(9150, [100]));
    cleanups.push(() => server.close());
    const control = { host: '127.0.0.1', port: server.port };
    const wrongPort = tor({ socks: { host: '127.0.0.1', port: 9050 }, control, password: 'pw' });
    await expect(wrongPort.start()).rejects.toMatchObject({ name: 'SocksPortMismatchError', listed: [9150] });
    expect(wrongPort.state()).toMatchObject({ kind: 'failed', error: { code: 'tor-socks-port-mismatch' } });
    const wrongPw = tor({ socks: { host: '127.0.0.1', port: 9150 }, control, password: 'nope' });
    await expect(wrongPw.start()).rejects.toMatchObject({ name: 'TorAuthError', kind: 'rejected' });
  });

  it('stop() during start leaves it stopped, not failed', async () => {
    const server = await FakeControlServer.start(fakeTor(9050, [10]));
    cleanups.push(() => server.close());
    const t = tor({ socks: { host: '127.0.0.1', port: 9050 }, control: { host: '127.0.0.1', port: server.port }, password: 'pw' });
    const started = t.start();
    t.events.once('bootstrap', () => void t.stop());
    await expect(started).rejects.toBeInstanceOf(TorAbortedError);
    expect(t.state()).toEqual({ kind: 'stopped' });
  });
});
