// The connections registry against real sockets: a local TCP echo server, reached through the real DirectTransport.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Logger, type LogRecord } from '../log/redact';
import { DirectTransport } from './direct';
import { ConnectionRegistry, ConnectionSnapshotSchema, RegistryUsageError, TrackedTransport, type ClosedConnection, type ConnectionSnapshot } from './registry';
import type { Hop, Target, Transport } from './transport';

const TIMEOUT_MS = 5000;
let server: Server;
let port = 0;
const serverSockets = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  server = createServer((s) => {
    accepted++;
    serverSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => serverSockets.delete(s));
    s.pipe(s); // echo
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  port = a.port;
});
afterAll(async () => {
  for (const s of serverSockets) s.destroy();
  await new Promise<void>((r) => {
    server.close(() => {
      r();
    });
  });
});

let registry: ConnectionRegistry;
let records: LogRecord[];
afterEach(async () => {
  await registry.closeAll('test over');
  registry.dispose();
});

function setup(updateIntervalMs = 20): TrackedTransport {
  records = [];
  registry = new ConnectionRegistry({ updateIntervalMs, logger: new Logger('net', (r) => records.push(r), 'debug') });
  return new TrackedTransport(new DirectTransport(), registry, 'xmpp');
}

function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => {
      clearTimeout(timer);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}`));
      }, TIMEOUT_MS);
    }),
  ]);
}

async function echo(sock: Socket, payload: Buffer): Promise<void> {
  let got = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= payload.length) resolve();
    });
  });
  sock.write(payload);
  await within('the echo', done);
}

const target = (): Target => ({ host: '127.0.0.1', port });

describe('connections registry', () => {
  it('registers a connection with its account, purpose, target, hop and mode, and counts bytes both ways', async () => {
    const t = setup();
    const opened: ConnectionSnapshot[] = [];
    registry.on('opened', (c) => opened.push(c));
    const sock = await t.connect(target(), { account: 'acct-1', timeoutMs: TIMEOUT_MS });
    expect(opened).toHaveLength(1);
    const [snap] = registry.snapshot();
    expect(ConnectionSnapshotSchema.parse(snap)).toEqual(snap);
    expect(snap).toMatchObject({ account: 'acct-1', purpose: 'xmpp', target: `127.0.0.1:${String(port)}`, mode: 'direct', bytesIn: 0, bytesOut: 0 });
    expect(snap?.hop).toEqual({ kind: 'direct', host: '127.0.0.1', port });

    await echo(sock, Buffer.alloc(3000, 1));
    await echo(sock, Buffer.alloc(1000, 2));
    const after = registry.get(snap?.id ?? '');
    expect(after?.bytesOut).toBe(4000);
    expect(after?.bytesIn).toBe(4000);
    expect(after?.ageMs).toBeGreaterThanOrEqual(0);
    sock.destroy();
  });

  it("emits throttled 'updated' events carrying the new counts", async () => {
    const t = setup(50);
    const updates: ConnectionSnapshot[][] = [];
    registry.on('updated', (list) => updates.push(list));
    const sock = await t.connect(target(), { purpose: 'directory', timeoutMs: TIMEOUT_MS });
    const started = Date.now();
    for (let i = 0; i < 10; i++) await echo(sock, Buffer.alloc(100, i)); // ten round trips, faster than the throttle
    await waitUntil("an 'updated' event with the final counts", () => updates.flat().some((c) => c.bytesIn === 1000 && c.bytesOut === 1000));
    const elapsed = Date.now() - started;
    // at most one event per interval (plus one for the partial interval)
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 1);
    expect(updates.flat().every((c) => c.purpose === 'directory' && c.account === null)).toBe(true);
    sock.destroy();
  });

  it('removes a connection when it closes, from either side, with the final counts and a reason', async () => {
    const t = setup();
    const closed: ClosedConnection[] = [];
    registry.on('closed', (c) => closed.push(c));
    const a = await t.connect(target(), { timeoutMs: TIMEOUT_MS });
    const b = await t.connect(target(), { timeoutMs: TIMEOUT_MS });
    const [idA, idB] = registry.snapshot().map((c) => c.id);
    expect(registry.size).toBe(2);
    await echo(a, Buffer.from('hello'));
    a.end(); // our side hangs up
    await waitUntil('the registry to drop a', () => registry.size === 1);
    expect(registry.snapshot().map((c) => c.id)).toEqual([idB]);
    expect(closed[0]).toMatchObject({ id: idA, bytesIn: 5, bytesOut: 5, reason: 'closed' });
    for (const s of serverSockets) s.destroy(); // the server hangs up on b
    await waitUntil('the registry to drop b', () => registry.size === 0);
    expect(closed.map((c) => c.id)).toEqual([idA, idB]);
    expect(b.destroyed).toBe(true);
  });

  it('closeAll closes the real sockets (the server sees them go) and reports the reason', async () => {
    const t = setup();
    const closed: ClosedConnection[] = [];
    registry.on('closed', (c) => closed.push(c));
    const socks = await Promise.all([1, 2, 3].map(() => t.connect(target(), { timeoutMs: TIMEOUT_MS })));
    await waitUntil('the server to see three', () => serverSockets.size >= 3);
    const count = await registry.closeAll('kill switch engaged');
    expect(count).toBe(3);
    expect(registry.size).toBe(0);
    expect(socks.every((s) => s.destroyed)).toBe(true);
    expect(closed.map((c) => c.reason)).toEqual(['kill switch engaged', 'kill switch engaged', 'kill switch engaged']);
    await waitUntil('the server to see them closed', () => serverSockets.size === 0);
  });

  it('keeps TLS-style owners working: registration adds no data listener (the socket stays paused)', async () => {
    const t = setup();
    const sock = await t.connect(target(), { timeoutMs: TIMEOUT_MS });
    expect(sock.listenerCount('data')).toBe(0);
    expect(sock.listenerCount('error')).toBe(0);
    expect(sock.readableFlowing).toBe(null);
    sock.destroy();
  });

  it('refuses a JID as the account key, before connecting', async () => {
    const t = setup();
    const before = accepted;
    await expect(t.connect(target(), { account: 'alice@example.org' })).rejects.toBeInstanceOf(RegistryUsageError);
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBe(before);
    expect(registry.size).toBe(0);
  });

  it('records the hop the transport really uses (a proxy), not the target', async () => {
    setup();
    const viaProxy: Transport = {
      mode: 'socks5',
      firstHop: (): Hop => ({ kind: 'proxy', host: '127.0.0.1', port }),
      connect: (_t, o) => new DirectTransport().connect({ host: '127.0.0.1', port }, o),
    };
    const t = new TrackedTransport(viaProxy, registry);
    const sock = await t.connect({ host: 'xmpp.example', port: 5222 }, { isolationKey: 'acct-2', timeoutMs: TIMEOUT_MS });
    expect(registry.snapshot()[0]).toMatchObject({ target: 'xmpp.example:5222', hop: { kind: 'proxy', port }, mode: 'socks5', account: 'acct-2', purpose: 'other' });
    sock.destroy();
  });

  it('logs no IP address, JID, target or account key', async () => {
    const t = setup();
    const sock = await t.connect(target(), { account: 'secret-account-key', timeoutMs: TIMEOUT_MS });
    await echo(sock, Buffer.from('x'));
    await registry.closeAll('switching to Tor');
    expect(records.length).toBeGreaterThanOrEqual(3); // opened, closing, closed
    for (const r of records) {
      expect(r.message).not.toMatch(/\d+\.\d+\.\d+\.\d+|\[ip\]|\[jid\]|@/);
      expect(r.message).not.toContain(String(port));
      expect(r.message).not.toContain('secret-account-key');
    }
  });
});

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
