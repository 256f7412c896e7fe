// VpnTransport's kill switch on real loopback sockets, with the interface's state played by a fake probe (the real
// tunnel, with captures, is test/integration/vpn-killswitch.test.ts). The "tunnel address" is 127.0.0.1.
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportDownError } from './errors';
import type { InterfaceInfo, TunnelAddress } from './vpn-interfaces';
import type { RouteVerdict } from './vpn-route';
import { VpnTransport, type VpnProbe, type VpnStatus } from './vpn';

class FakeTunnel implements VpnProbe {
  exists = true;
  up = true;
  addresses: TunnelAddress[] = [{ address: '127.0.0.1', family: 'IPv4', cidr: '127.0.0.1/8' }];
  read(name: string): InterfaceInfo | undefined {
    if (!this.exists) return undefined;
    const flags = this.up ? 0x1091 : 0x1090;
    // Like os.networkInterfaces(): a downed interface shows no address.
    return { name, type: 65534, flags, operstate: this.up ? 'unknown' : 'down', up: this.up, addresses: this.up ? this.addresses : [], tunnel: true };
  }
  linkUp(): boolean {
    return this.exists && this.up;
  }
}

/** A server that records what each connection sent and whether its client closed (FIN or RST). */
interface Peer {
  data: string;
  ended: boolean;
}
let server: Server;
let port = 0;
const peers: Peer[] = [];
beforeAll(async () => {
  server = createServer((s) => {
    const peer: Peer = { data: '', ended: false };
    peers.push(peer);
    s.on('data', (d) => {
      peer.data += d.toString('utf8');
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      peer.ended = true;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  port = a.port;
});
afterAll(() => {
  server.close();
});

const made: VpnTransport[] = [];
afterEach(() => {
  for (const t of made.splice(0)) t.dispose();
});

function setup(opts: { route?: RouteVerdict; pollMs?: number } = {}): { vpn: VpnTransport; tun: FakeTunnel; states: VpnStatus[] } {
  const tun = new FakeTunnel();
  const vpn = new VpnTransport({
    interfaceName: 'wgtest',
    probe: tun,
    pollMs: opts.pollMs ?? 60_000,
    checkRoute: () => Promise.resolve(opts.route ?? { ok: true, dev: 'wgtest' }),
  });
  made.push(vpn);
  const states: VpnStatus[] = [];
  vpn.on('state', (s) => states.push(s));
  return { vpn, tun, states };
}

async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const target = (): { host: string; port: number } => ({ host: '127.0.0.1', port });

describe('VpnTransport', () => {
  it('connects bound to the tunnel address while the interface is up', async () => {
    const { vpn } = setup();
    expect(vpn.status.state).toBe('open');
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    expect(s.localAddress).toBe('127.0.0.1');
    s.write('hello');
    await until('data', () => peers.at(-1)?.data === 'hello');
    s.destroy();
    expect(vpn.firstHop()).toEqual({ kind: 'tunnel', host: 'wgtest', port: 0 });
  });

  it('refuses to connect while the interface is down or gone, saying why', async () => {
    const { vpn, tun, states } = setup();
    tun.up = false;
    const before = peers.length;
    await expect(vpn.connect(target())).rejects.toThrow(new TransportDownError('blocked by the kill switch: the VPN interface wgtest is down'));
    expect(states.map((s) => s.state)).toEqual(['blocked']);
    tun.exists = false;
    await expect(vpn.connect(target())).rejects.toThrow(/blocked by the kill switch: the VPN interface wgtest does not exist/);
    expect(peers.length).toBe(before);
  });

  it('refuses when the route to the server does not go through the tunnel', async () => {
    const { vpn } = setup({ route: { ok: false, why: 'the route to the server goes through eth0, not wgtest' } });
    await expect(vpn.connect(target())).rejects.toThrow('blocked by the kill switch: the route to the server goes through eth0, not wgtest');
  });

  it('engages on the first write after the link went down, before any byte leaves, and holds the kernel socket', async () => {
    const { vpn, tun, states } = setup();
    const n = peers.length;
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    const peer = await peerAfter(n);
    const errors: Error[] = [];
    s.on('error', (e) => errors.push(e));
    tun.up = false;
    s.write('must not leave');
    expect(states.map((x) => x.state)).toEqual(['blocked']); // synchronously, on the write
    await until('socket closed for its user, with the reason', () => s.destroyed && errors.length > 0);
    expect(errors[0]).toBeInstanceOf(TransportDownError);
    expect(vpn.heldCount).toBe(1);
    await sleep(100);
    // Nothing arrived, and the server saw no FIN: the socket is held open in the kernel.
    expect(peer.data).toBe('');
    expect(peer.ended).toBe(false);
    await expect(vpn.connect(target())).rejects.toThrow(TransportDownError);
    // The interface comes back: state open, and the held socket is closed now (its FIN goes through the tunnel).
    tun.up = true;
    expect(vpn.check().state).toBe('open');
    await until('held socket closed', () => peer.ended);
    expect(vpn.heldCount).toBe(0);
    expect(states.map((x) => x.state)).toEqual(['blocked', 'open']);
  });

  it('the watcher engages without any traffic, and destroys every socket (with the reason to those listening)', async () => {
    const { vpn, tun, states } = setup({ pollMs: 20 });
    const a = await vpn.connect(target(), { timeoutMs: 2000 });
    const b = await vpn.connect(target(), { timeoutMs: 2000 });
    const errors: Error[] = [];
    a.on('error', (e) => errors.push(e));
    const t0 = Date.now();
    tun.exists = false;
    await until('both closed', () => a.destroyed && b.destroyed);
    expect(Date.now() - t0).toBeLessThan(2000); // on the watcher's next look (200 ms), not after some long timeout
    expect(states[0]).toMatchObject({ state: 'blocked', reason: 'the VPN interface wgtest does not exist' });
    expect(errors.map((e) => e.message)).toEqual(['blocked by the kill switch: the VPN interface wgtest does not exist']);
    expect(vpn.heldCount).toBe(2);
    tun.exists = true;
    await until('open again', () => vpn.status.state === 'open');
    await until('held sockets released', () => vpn.heldCount === 0);
    const c = await vpn.connect(target(), { timeoutMs: 2000 });
    c.destroy();
  });

  it('a socket closed by its user while the link is down is held too (no FIN)', async () => {
    const { vpn, tun } = setup();
    const n = peers.length;
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    const peer = await peerAfter(n);
    tun.up = false;
    s.destroy();
    await sleep(100);
    expect(peer.ended).toBe(false);
    expect(vpn.heldCount).toBe(1);
    tun.up = true;
    vpn.check();
    await until('released', () => peer.ended);
  });

  it('a socket whose address left the interface is closed', async () => {
    const { vpn, tun } = setup();
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    tun.addresses = [{ address: '127.0.0.2', family: 'IPv4', cidr: '127.0.0.2/8' }];
    expect(vpn.check().state).toBe('open');
    expect(s.destroyed).toBe(true);
  });

  it('dispose(): state off, every connect refused', async () => {
    const { vpn, states } = setup();
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    vpn.dispose();
    expect(s.destroyed).toBe(true);
    expect(states.at(-1)).toMatchObject({ state: 'off' });
    await expect(vpn.connect(target())).rejects.toThrow(/VPN mode is off/);
  });

  it('resolves a name only while open, for the family the tunnel has; refuses a family it lacks', async () => {
    const tun = new FakeTunnel();
    const asked: string[] = [];
    const vpn = new VpnTransport({
      interfaceName: 'wgtest',
      probe: tun,
      pollMs: 60_000,
      checkRoute: () => Promise.resolve({ ok: true, dev: 'wgtest' }),
      resolve: (host, family) => {
        asked.push(`${host}/${String(family)}`);
        return Promise.resolve('127.0.0.1');
      },
    });
    made.push(vpn);
    const n = peers.length;
    const s = await vpn.connect({ host: 'chat.test', port }, { timeoutMs: 2000 });
    const peer = await peerAfter(n);
    s.end('bye');
    await until('end() arrives while up', () => peer.ended && peer.data === 'bye');
    expect(asked).toEqual(['chat.test/4']);
    await expect(vpn.connect({ host: '::1', port })).rejects.toThrow('blocked by the kill switch: the VPN interface wgtest has no IPv6 address');
    tun.up = false;
    await expect(vpn.connect({ host: 'chat.test', port })).rejects.toThrow(TransportDownError);
    expect(asked).toHaveLength(1);
  });

  it('connect() sees the interface back before the watcher does: open again, and connects', async () => {
    const { vpn, tun, states } = setup();
    tun.up = false;
    expect(vpn.check().state).toBe('blocked');
    tun.up = true;
    const s = await vpn.connect(target(), { timeoutMs: 2000 });
    s.destroy();
    expect(states.map((x) => x.state)).toEqual(['blocked', 'open']);
  });

  it('a probe that throws counts as no interface: blocked, never an exception', async () => {
    const { vpn, tun } = setup();
    tun.read = () => {
      throw new Error('EINVAL');
    };
    tun.linkUp = () => {
      throw new Error('EINVAL');
    };
    expect(vpn.check()).toMatchObject({ state: 'blocked', reason: 'the VPN interface wgtest does not exist' });
    await expect(vpn.connect(target())).rejects.toThrow(TransportDownError);
  });

  it('names the peer as first hop when it is known', () => {
    const vpn = new VpnTransport({ interfaceName: 'wgtest', probe: new FakeTunnel(), peerEndpoint: { host: '192.0.2.7', port: 51820 } });
    made.push(vpn);
    expect(vpn.firstHop()).toEqual({ kind: 'tunnel', host: '192.0.2.7', port: 51820 });
  });
});

async function peerAfter(n: number): Promise<Peer> {
  await until('server accepted', () => peers.length > n);
  const peer = peers[n];
  if (peer === undefined) throw new Error('no peer');
  return peer;
}

