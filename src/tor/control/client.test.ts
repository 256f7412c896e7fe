import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { safeCookieHash } from './auth';
import { TorControlClient } from './client';
import {
  TorAbortedError,
  TorArgumentError,
  TorAuthError,
  TorCommandError,
  TorConnectError,
  TorConnectionClosedError,
  TorProtocolError,
  TorTimeoutError,
} from './errors';
import type { CircEvent, LogEvent, RawTorEvent, StatusEvent } from './events';
import { FakeControlServer, OK, type FakeConnection } from './testing/fake-server';

let dir = '';
let cookieFile = '';
const cookie = randomBytes(32);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-torctl-'));
  cookieFile = join(dir, 'control_auth_cookie');
  await writeFile(cookieFile, cookie);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const servers: FakeControlServer[] = [];
const clients: TorControlClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: (c: FakeConnection) => void | Promise<void>): Promise<FakeControlServer> {
  const s = await FakeControlServer.start(handler);
  servers.push(s);
  return s;
}

async function client(server: FakeControlServer, commandTimeoutMs = 2000): Promise<TorControlClient> {
  const c = new TorControlClient({ host: '127.0.0.1', port: server.port }, { commandTimeoutMs });
  clients.push(c);
  await c.connect({ timeoutMs: 2000 });
  return c;
}

/** Plays tor's side of PROTOCOLINFO + AUTHCHALLENGE + AUTHENTICATE; `lie` makes the server hash wrong. */
async function safeCookieServer(conn: FakeConnection, opts: { lie?: boolean; methods?: string } = {}): Promise<void> {
  expect(await conn.nextLine()).toBe('PROTOCOLINFO 1');
  conn.send(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=${opts.methods ?? 'COOKIE,SAFECOOKIE'} COOKIEFILE="${cookieFile}"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n`);
  const challenge = /^AUTHCHALLENGE SAFECOOKIE ([0-9A-F]{64})$/.exec((await conn.nextLine()) ?? '');
  const clientNonce = Buffer.from(challenge?.[1] ?? '', 'hex');
  const serverNonce = randomBytes(32);
  const serverHash = opts.lie === true ? randomBytes(32) : safeCookieHash('server', cookie, clientNonce, serverNonce);
  conn.send(`250 AUTHCHALLENGE SERVERHASH=${serverHash.toString('hex').toUpperCase()} SERVERNONCE=${serverNonce.toString('hex').toUpperCase()}\r\n`);
  const auth = await conn.nextLine();
  if (auth === undefined) return;
  const want = safeCookieHash('client', cookie, clientNonce, serverNonce).toString('hex').toUpperCase();
  conn.send(auth === `AUTHENTICATE ${want}` ? OK : '515 Authentication failed: Safe cookie response did not match expected value.\r\n');
}

describe('TorControlClient authentication', () => {
  it('SAFECOOKIE: checks the server hash, then sends the right client hash', async () => {
    const s = await serve((conn) => safeCookieServer(conn));
    const c = await client(s);
    expect(await c.authenticate()).toBe('SAFECOOKIE');
    expect(c.isOpen).toBe(true);
  });

  it('SAFECOOKIE: a wrong server hash is refused and nothing derived from the cookie is sent', async () => {
    const s = await serve((conn) => safeCookieServer(conn, { lie: true }));
    const c = await client(s);
    const err = await c.authenticate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorAuthError);
    expect((err as TorAuthError).kind).toBe('server-hash-mismatch');
    expect(c.isOpen).toBe(false);
    await expect(c.getInfo(['version'])).rejects.toBeInstanceOf(TorConnectionClosedError);
    const received = s.connections[0]?.received ?? [];
    expect(received.some((l) => l.startsWith('AUTHENTICATE'))).toBe(false);
  });

  it('a refused AUTHENTICATE (515) is a TorAuthError "rejected"', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n`);
      await conn.nextLine();
      conn.send('515 Authentication failed: Password did not match HashedControlPassword value from configuration\r\n');
    });
    const c = await client(s);
    await expect(c.authenticate({ password: 'wrong' })).rejects.toMatchObject({ name: 'TorAuthError', kind: 'rejected' });
  });

  it('HASHEDPASSWORD sends the password as an escaped QuotedString', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n`);
      await conn.nextLine();
      conn.send(OK);
    });
    const c = await client(s);
    expect(await c.authenticate({ password: 'p "w" \\ d' })).toBe('HASHEDPASSWORD');
    expect(s.connections[0]?.received[1]).toBe('AUTHENTICATE "p \\"w\\" \\\\ d"');
    const evil = new TorControlClient({ host: '127.0.0.1', port: s.port });
    clients.push(evil);
    await evil.connect();
    await expect(evil.authenticate({ password: 'x\r\nSIGNAL SHUTDOWN' })).rejects.toBeInstanceOf(TorArgumentError);
  });

  it('plain COOKIE only with a cookie path the caller pinned', async () => {
    const offerCookie = async (conn: FakeConnection): Promise<void> => {
      await conn.nextLine();
      conn.send(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE COOKIEFILE="${cookieFile}"\r\n250 OK\r\n`);
      const auth = await conn.nextLine();
      if (auth !== undefined) conn.send(auth === `AUTHENTICATE ${cookie.toString('hex')}` ? OK : '515 Bad\r\n');
    };
    const s = await serve(offerCookie);
    const unpinned = await client(s);
    await expect(unpinned.authenticate()).rejects.toMatchObject({ kind: 'no-usable-method' });
    const pinned = await client(s);
    expect(await pinned.authenticate({ cookieFile })).toBe('COOKIE');
  });

  it('a cookie file that is not 32 bytes is refused', async () => {
    const short = join(dir, 'short-cookie');
    await writeFile(short, randomBytes(31));
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=SAFECOOKIE COOKIEFILE="${short}"\r\n250 OK\r\n`);
    });
    const c = await client(s);
    await expect(c.authenticate()).rejects.toMatchObject({ kind: 'cookie-unreadable' });
  });
});

describe('TorControlClient commands and events', () => {
  it('sends one command at a time and matches replies in order, with events interleaved', async () => {
    const order: string[] = [];
    const s = await serve(async (conn) => {
      for (let i = 0; i < 3; i++) {
        const line = await conn.nextLine();
        order.push(line ?? 'gone');
        // Nothing else may arrive before this command is answered.
        expect(await conn.nextLine(50)).toBeUndefined();
        conn.send(`650 NOTICE before ${i}\r\n`);
        if (i === 0) conn.send('250-version=0.4.9.11\r\n250 OK\r\n650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"\r\n');
        if (i === 1) conn.send('250-MaxCircuitDirtiness=600\r\n250 ContactInfo\r\n');
        if (i === 2) conn.send('552 Unrecognized key "nope"\r\n');
      }
    });
    const c = await client(s);
    const notices: LogEvent[] = [];
    const statuses: StatusEvent[] = [];
    const raws: RawTorEvent[] = [];
    c.onEvent('NOTICE', (e) => notices.push(e));
    c.onEvent('STATUS_CLIENT', (e) => statuses.push(e));
    c.onAnyEvent((e) => raws.push(e));
    const [version, conf, bad] = await Promise.allSettled([c.getInfo(['version']), c.getConf(['MaxCircuitDirtiness', 'ContactInfo']), c.getInfo(['nope'])]);
    expect(order).toEqual(['GETINFO version', 'GETCONF MaxCircuitDirtiness ContactInfo', 'GETINFO nope']);
    expect(version).toEqual({ status: 'fulfilled', value: new Map([['version', '0.4.9.11']]) });
    expect(conf).toEqual({ status: 'fulfilled', value: [['MaxCircuitDirtiness', '600'], ['ContactInfo', undefined]] });
    expect(bad.status).toBe('rejected');
    const err = (bad as PromiseRejectedResult).reason as TorCommandError;
    expect(err).toBeInstanceOf(TorCommandError);
    expect([err.status, err.kind, err.command]).toEqual([552, 'unrecognized-entity', 'GETINFO']);
    expect(notices.map((n) => n.message)).toEqual(['before 0', 'before 1', 'before 2']);
    expect(statuses[0]?.bootstrap?.progress).toBe(5);
    expect(raws).toHaveLength(4);
    expect(c.isOpen).toBe(true);
  });

  it('keeps going when a listener throws or an event body does not parse', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send(`650 CIRC 1 BUILT notapath\r\n650 CIRC 2 BUILT $${'C'.repeat(40)}~relay PURPOSE=GENERAL\r\n650 WEIRD_NEW_EVENT x=1\r\n${OK}`);
    });
    const errors: unknown[] = [];
    const c = new TorControlClient({ host: '127.0.0.1', port: s.port }, { onListenerError: (e) => errors.push(e) });
    clients.push(c);
    await c.connect();
    const circs: CircEvent[] = [];
    c.onEvent('CIRC', (e) => {
      circs.push(e);
      throw new Error('listener bug');
    });
    const names: string[] = [];
    c.onAnyEvent((e) => names.push(e.name));
    await c.setEvents(['CIRC']);
    expect(circs.map((e) => e.id)).toEqual(['2']);
    expect(names).toEqual(['CIRC', 'CIRC', 'WEIRD_NEW_EVENT']);
    expect(errors.map((e) => (e as Error).name)).toEqual(['TorProtocolError', 'Error']);
    expect(c.isOpen).toBe(true);
  });

  it('refuses CR/LF in any argument before anything is sent', async () => {
    const s = await serve(async (conn) => {
      for (;;) if ((await conn.nextLine()) === undefined) return;
    });
    const c = await client(s);
    await expect(c.request('GETINFO version\r\nSIGNAL SHUTDOWN')).rejects.toBeInstanceOf(TorArgumentError);
    await expect(c.setConf([['ContactInfo', 'x\nSIGNAL SHUTDOWN']])).rejects.toBeInstanceOf(TorArgumentError);
    await expect(c.getInfo(['version SIGNAL'])).rejects.toBeInstanceOf(TorArgumentError);
    await expect(c.signal('NEWNYM\r\n')).rejects.toBeInstanceOf(TorArgumentError);
    expect(s.connections[0]?.received).toEqual([]);
  });

  it('a command timing out while queued is dropped; one timing out in flight closes and rejects everything', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine(); // never answered
    });
    const c = await client(s, 5000);
    const inFlight = c.request('GETINFO version', 300);
    const queuedShort = c.request('GETINFO a', 50);
    const queuedLong = c.request('GETINFO b', 5000);
    const t0 = Date.now();
    await expect(queuedShort).rejects.toBeInstanceOf(TorTimeoutError);
    expect(c.isOpen).toBe(true);
    await expect(inFlight).rejects.toBeInstanceOf(TorTimeoutError);
    await expect(queuedLong).rejects.toBeInstanceOf(TorConnectionClosedError);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(c.isOpen).toBe(false);
    await expect(c.getInfo(['version'])).rejects.toBeInstanceOf(TorConnectionClosedError);
  });

  it('tor closing in the middle of a reply rejects every pending command at once', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send('250-version=0.4.9.11\r\n250-more');
      conn.end();
    });
    const c = await client(s, 5000);
    const closed: string[] = [];
    c.onClose((e) => closed.push(e.message));
    const all = await Promise.allSettled([c.getInfo(['version']), c.getInfo(['x']), c.signal('NEWNYM')]);
    for (const r of all) expect(r.status === 'rejected' && r.reason instanceof TorConnectionClosedError).toBe(true);
    expect(closed).toEqual(['The Tor control connection is closed: tor closed it in the middle of a reply.']);
  });

  it('a malformed reply is a TorProtocolError for the command in flight and closes the connection', async () => {
    const s = await serve(async (conn) => {
      await conn.nextLine();
      conn.send('250-a=b\r\n550 mixed\r\n');
    });
    const c = await client(s);
    const [first, second] = await Promise.allSettled([c.getInfo(['a']), c.getInfo(['b'])]);
    expect(first.status === 'rejected' && first.reason instanceof TorProtocolError).toBe(true);
    expect(second.status === 'rejected' && second.reason instanceof TorConnectionClosedError).toBe(true);
    expect(c.closeReason?.cause).toBeInstanceOf(TorProtocolError);
  });

  it('a reply nobody asked for is a protocol error', async () => {
    const s = await serve((conn) => {
      conn.send(OK);
    });
    const c = await client(s);
    await new Promise<void>((resolve) => c.onClose(() => { resolve(); }));
    expect(c.closeReason?.cause).toBeInstanceOf(TorProtocolError);
  });

  it('connect: refused, aborted, twice; a Unix socket works', async () => {
    const s = await serve(() => undefined);
    const port = s.port;
    await s.close();
    servers.length = 0;
    await expect(new TorControlClient({ host: '127.0.0.1', port }).connect({ timeoutMs: 2000 })).rejects.toBeInstanceOf(TorConnectError);
    const ac = new AbortController();
    ac.abort();
    await expect(new TorControlClient({ host: '127.0.0.1', port }).connect({ signal: ac.signal })).rejects.toBeInstanceOf(TorAbortedError);

    const path = join(dir, 'control.sock');
    const unix = await FakeControlServer.start(async (conn) => {
      if ((await conn.nextLine()) === 'GETINFO version') conn.send('250-version=0.4.9.11\r\n250 OK\r\n');
    }, path);
    servers.push(unix);
    const c = new TorControlClient({ path });
    clients.push(c);
    await c.connect();
    expect(await c.getInfoOne('version')).toBe('0.4.9.11');
    await expect(c.connect()).rejects.toBeInstanceOf(TorConnectionClosedError);
    await c.close();
    await expect(c.getInfoOne('version')).rejects.toBeInstanceOf(TorConnectionClosedError);
  });

  it('close() during connect ends connect at once', async () => {
    const s = await serve(() => undefined);
    const c = new TorControlClient({ host: '127.0.0.1', port: s.port });
    const p = c.connect({ timeoutMs: 5000 });
    void c.close();
    await expect(p).rejects.toBeInstanceOf(TorConnectionClosedError);
  });
});
