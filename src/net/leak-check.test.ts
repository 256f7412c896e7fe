// The leak check: the /proc parser on real kernel lines, then the whole check on real sockets of this process.
import dgram from 'node:dgram';
import dns, { lookup as namedLookup } from 'node:dns';
import { fstatSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTcp } from './direct';
import { canonicalIp, LeakCheckResultSchema, runLeakCheck, type LeakCheckResult, type SocketReport } from './leak-check';
import { DnsCounterError, installDnsCounter, type DnsCounter } from './leak-check-dns';
import { ownSocketInodes, parseHexAddress, parseProcNet, parseProcNetLine, ProcParseError } from './leak-check-proc';

// Real lines, copied from this machine's /proc/self/net/* (x86_64, little-endian) while a probe held the sockets.
const REAL = {
  tcpListen: '   2: 0100007F:B67F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 522567 1 000000002e0664a1 100 0 0 10 0                    ',
  tcpEstablished: '  69: 0100007F:E518 0100007F:B67F 01 00000000:00000000 00:00000000 00000000     0        0 522749 2 00000000cd375a42 20 0 0 10 -1                    ',
  tcpNonLoopback: ' 370: 020200C0:8D9A 020200C0:87D3 01 00000000:00000000 00:00000000 00000000     0        0 584151 2 00000000b2616fb6 20 0 0 10 -1                    ',
  tcp6Listen: '   0: 00000000000000000000000000000000:AAC7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 522568 1 0000000094127518 100 0 0 10 0',
  tcp6Mapped: '   1: 0000000000000000FFFF00000100007F:AAC7 0000000000000000FFFF00000100007F:9024 01 00000000:00000000 00:00000000 00000000     0        0 522753 1 00000000567b4b38 20 0 0 10 -1',
  tcp6Loopback: '   2: 00000000000000000000000001000000:9C86 00000000000000000000000001000000:AAC7 01 00000000:00000000 00:00000000 00000000     0        0 522751 2 00000000a1f044a4 20 0 0 10 -1',
  tcp6Ula: '   2: 000000FD000000000000000002000000:C2EA 000000FD000000000000000002000000:B2DF 01 00000000:00000000 00:00000000 00000000     0        0 584152 2 00000000567b4b38 20 0 0 10 -1',
  udpUnconnected: ' 1993: 0100007F:CCA0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 522569 2 00000000a57899ee 0        ',
  udp6Connected: '12264: 00000000000000000000000001000000:B4BF 00000000000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 522570 2 00000000b63e6a64 0',
};
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const LE = true;

describe('/proc/net parser (real lines)', () => {
  it('IPv4: a listening socket and an established one', () => {
    expect(parseProcNetLine(REAL.tcpListen, 'tcp', LE)).toEqual({
      table: 'tcp',
      protocol: 'tcp',
      family: 4,
      local: { address: '127.0.0.1', port: 46719 },
      remote: { address: '0.0.0.0', port: 0 },
      state: 'LISTEN',
      uid: 0,
      inode: 522567,
    });
    expect(parseProcNetLine(REAL.tcpEstablished, 'tcp', LE)).toMatchObject({ local: { address: '127.0.0.1', port: 58648 }, remote: { address: '127.0.0.1', port: 46719 }, state: 'ESTABLISHED', inode: 522749 });
    expect(parseProcNetLine(REAL.tcpNonLoopback, 'tcp', LE)).toMatchObject({ local: { address: '192.0.2.2', port: 36250 }, remote: { address: '192.0.2.2', port: 34771 } });
  });

  it('IPv6: unspecified, loopback, a ULA address, and v4-mapped', () => {
    expect(parseProcNetLine(REAL.tcp6Listen, 'tcp6', LE)).toMatchObject({ family: 6, local: { address: '::', port: 43719 }, state: 'LISTEN' });
    expect(parseProcNetLine(REAL.tcp6Loopback, 'tcp6', LE)).toMatchObject({ local: { address: '::1', port: 40070 }, remote: { address: '::1', port: 43719 } });
    expect(parseProcNetLine(REAL.tcp6Ula, 'tcp6', LE)).toMatchObject({ local: { address: 'fd00::2', port: 49898 }, remote: { address: 'fd00::2', port: 45791 } });
    expect(parseProcNetLine(REAL.tcp6Mapped, 'tcp6', LE)).toMatchObject({
      local: { address: '::ffff:127.0.0.1', port: 43719 },
      remote: { address: '::ffff:127.0.0.1', port: 36900 },
      inode: 522753,
    });
  });

  it('UDP: unconnected (UNCONN) and connected (to port 53)', () => {
    expect(parseProcNetLine(REAL.udpUnconnected, 'udp', LE)).toMatchObject({ protocol: 'udp', local: { address: '127.0.0.1', port: 52384 }, remote: { port: 0 }, state: 'UNCONN' });
    expect(parseProcNetLine(REAL.udp6Connected, 'udp6', LE)).toMatchObject({ protocol: 'udp', family: 6, remote: { address: '::1', port: 53 }, state: 'ESTABLISHED' });
  });

  it('decodes by host byte order', () => {
    expect(parseHexAddress('0100007F', true)).toBe('127.0.0.1');
    expect(parseHexAddress('7F000001', false)).toBe('127.0.0.1');
    expect(parseHexAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(parseHexAddress('00000000000000000000000000000001', false)).toBe('::1');
  });

  it('reads a whole table and is strict about its shape', () => {
    expect(parseProcNet(`${TCP_HEADER}\n${REAL.tcpListen}\n${REAL.tcpEstablished}\n`, 'tcp', LE).map((s) => s.inode)).toEqual([522567, 522749]);
    expect(parseProcNet(`${TCP_HEADER}\n`, 'tcp', LE)).toEqual([]);
    expect(parseProcNet(`${TCP_HEADER}\n${REAL.tcpListen}\n${REAL.tcpEstablished}\n`, 'tcp', LE, new Set([522749])).map((s) => s.inode)).toEqual([522749]);
    expect(parseProcNet(`${TCP6_HEADER}\n${REAL.tcp6Mapped}\n`, 'tcp6', LE).map((s) => s.inode)).toEqual([522753]);
    expect(() => parseProcNet(REAL.tcpListen, 'tcp', LE)).toThrow(ProcParseError); // no header
    expect(() => parseProcNetLine(REAL.tcp6Loopback, 'tcp', LE)).toThrow(/wrong width/); // a v6 line in the v4 table
    expect(() => parseProcNetLine(REAL.tcpListen.replace('0100007F:B67F', '100007F:B67F'), 'tcp', LE)).toThrow(ProcParseError);
    expect(() => parseProcNetLine(REAL.tcpListen.replace(' 0A ', ' 0F '), 'tcp', LE)).toThrow(/unknown state/);
    expect(() => parseProcNetLine(REAL.udpUnconnected.replace(' 07 ', ' 0A '), 'udp', LE)).toThrow(/unknown state/);
    expect(() => parseProcNetLine(REAL.tcpListen.replace('522567', 'x'), 'tcp', LE)).toThrow(ProcParseError);
    expect(() => parseProcNetLine('', 'tcp', LE)).toThrow(ProcParseError);
  });

  it('compares addresses canonically (v4-mapped is IPv4, IPv6 text is normalized)', () => {
    expect(canonicalIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalIp('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(canonicalIp('FD00:0:0::2')).toBe('fd00::2');
    expect(canonicalIp('[::1]')).toBe('::1');
  });
});

// ---- the check, on this process's real sockets ----

let server: Server;
let port = 0;
const accepted = new Set<Socket>();
beforeAll(async () => {
  server = createServer((s) => {
    accepted.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  port = a.port;
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise<void>((r) => {
    server.close(() => {
      r();
    });
  });
});

let counter: DnsCounter | undefined;
afterEach(() => {
  counter?.uninstall();
  counter = undefined;
});

function inodeOf(sock: Socket): number {
  const handle = (sock as unknown as { _handle: { fd: number } | null })._handle;
  if (handle === null) throw new Error('socket has no handle');
  return fstatSync(handle.fd).ino;
}

function find(r: LeakCheckResult, inode: number): SocketReport | undefined {
  return r.sockets.find((s) => s.inode === inode);
}

describe.runIf(process.platform === 'linux')('leak check on real sockets', () => {
  it('finds a real TCP connection with its inode; allowed when its peer is the hop, flagged when it is not', async () => {
    const sock = await openTcp('127.0.0.1', port, { timeoutMs: 5000 });
    try {
      const inode = inodeOf(sock);
      expect(await ownSocketInodes()).toContain(inode);

      const asHop = await runLeakCheck({ mode: 'socks5', proxy: { host: '127.0.0.1', port } });
      expect(LeakCheckResultSchema.parse(asHop)).toEqual(asHop);
      expect(find(asHop, inode)).toMatchObject({
        protocol: 'tcp',
        local: { address: '127.0.0.1', port: sock.localPort },
        remote: { address: '127.0.0.1', port },
        state: 'ESTABLISHED',
        allowed: true,
        reason: 'the-hop',
      });
      // the server's end (accepted from loopback) and its listening socket are not outgoing connections
      const others = asHop.sockets.filter((s) => s.local.port === port);
      expect(others.map((s) => s.reason).sort()).toEqual(['accepted-locally', 'listening']);

      const elsewhere = await runLeakCheck({ mode: 'tor', socks: { host: '127.0.0.1', port: port === 65535 ? 1 : port + 1 } });
      expect(find(elsewhere, inode)).toMatchObject({ allowed: false, reason: 'not-the-hop' });
      expect(elsewhere.ok).toBe(false);

      const alsoAllowed = await runLeakCheck({ mode: 'tor', socks: { host: '127.0.0.1', port: 9 }, alsoAllowed: [{ host: 'localhost', port }] });
      expect(find(alsoAllowed, inode)).toMatchObject({ allowed: true, reason: 'also-allowed' });

      expect(find(await runLeakCheck({ mode: 'vpn', tunnelAddress: '127.0.0.1' }), inode)).toMatchObject({ allowed: true, reason: 'via-tunnel' });
      expect(find(await runLeakCheck({ mode: 'vpn', tunnelAddress: '10.66.0.2' }), inode)).toMatchObject({ allowed: false, reason: 'outside-tunnel' });
      expect(find(await runLeakCheck({ mode: 'direct' }), inode)).toMatchObject({ allowed: true, reason: 'direct-mode' });
    } finally {
      sock.destroy();
    }
    // once closed, it is gone from the check
    await new Promise((r) => setTimeout(r, 20));
    expect((await runLeakCheck({ mode: 'direct' })).sockets.some((s) => s.local.port === sock.localPort && s.remote.port === port)).toBe(false);
  });

  it('flags an unconnected UDP socket outside direct mode', async () => {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    try {
      const inode = fstatSync((udp as unknown as { _handle: { fd: number } })._handle.fd).ino;
      expect(find(await runLeakCheck({ mode: 'socks5', proxy: { host: '127.0.0.1', port } }), inode)).toMatchObject({ protocol: 'udp', state: 'UNCONN', allowed: false, reason: 'unconnected-udp' });
      expect(find(await runLeakCheck({ mode: 'direct' }), inode)).toMatchObject({ allowed: true });
    } finally {
      udp.close();
    }
  });

  it('counts a real dns.lookup("localhost") and fails the check outside direct mode', async () => {
    counter = installDnsCounter();
    expect(counter.sinceModeStart).toBe(0);
    const address = await new Promise<string>((resolve, reject) => {
      dns.lookup('localhost', (err, a) => {
        if (err === null) resolve(a);
        else reject(err);
      });
    });
    expect(isLoopbackText(address)).toBe(true);
    expect(counter.sinceModeStart).toBe(1);
    expect(counter.byFunction).toEqual({ lookup: 1 });

    const proxied = await runLeakCheck({ mode: 'socks5', proxy: { host: '127.0.0.1', port } });
    expect(proxied).toMatchObject({ dnsLookupsSinceModeStart: 1, ok: false });
    expect((await runLeakCheck({ mode: 'direct' })).dnsLookupsSinceModeStart).toBe(1);

    counter.markModeStart();
    expect((await runLeakCheck({ mode: 'socks5', proxy: { host: '127.0.0.1', port } })).dnsLookupsSinceModeStart).toBe(0);
  });

  it('counts every door: ESM named import, dns.promises, promisify, and net.connect by name — without changing results', async () => {
    const original = dns.lookup;
    counter = installDnsCounter();
    expect(() => installDnsCounter()).toThrow(DnsCounterError);
    await new Promise<void>((resolve) => {
      namedLookup('localhost', () => {
        resolve();
      });
    });
    expect(counter.byFunction).toEqual({ lookup: 1 }); // the ESM binding was re-synced to the wrapper
    await dns.promises.lookup('localhost');
    expect(counter.byFunction).toEqual({ lookup: 1, 'promises.lookup': 1 });
    const viaPromisify = await promisify(dns.lookup)('localhost');
    expect(viaPromisify).toMatchObject({ family: expect.any(Number) as number }); // customPromisifyArgs kept
    expect(counter.byFunction.lookup).toBe(2);
    const sock = await openTcp('localhost', port, { timeoutMs: 5000 }); // net.connect resolves the name via dns.lookup
    sock.destroy();
    expect(counter.byFunction.lookup).toBeGreaterThanOrEqual(3);
    counter.uninstall();
    counter = undefined;
    expect(dns.lookup).toBe(original);
    expect(namedLookup).toBe(original);
  });

  it('counts a Resolver query once, and the check sees its UDP socket to the (local, silent) name server', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      counter = installDnsCounter();
      const resolver = new dns.promises.Resolver({ timeout: 300, tries: 1 });
      resolver.setServers([`127.0.0.1:${String(silent.address().port)}`]);
      const query = resolver.resolve4('cove.invalid').catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 50));
      const during = await runLeakCheck({ mode: 'socks5', proxy: { host: '127.0.0.1', port } });
      expect(await query).toMatchObject({ code: 'ETIMEOUT' });
      expect(counter.total).toBe(1);
      expect(counter.byFunction).toEqual({ 'promises.Resolver.resolve4': 1 });
      const toDns = during.sockets.filter((s) => s.protocol === 'udp' && s.remote.port === silent.address().port);
      expect(toDns.length).toBeGreaterThanOrEqual(1);
      expect(toDns.every((s) => !s.allowed)).toBe(true);
      expect(during.ok).toBe(false);
    } finally {
      silent.close();
    }
  });
});

describe('other platforms', () => {
  it.each([
    ['darwin', 'lsof -i -a -p'],
    ['win32', 'netstat -ano'],
  ] as const)('%s: says it is not supported yet and names %s', async (platform, tool) => {
    const r = await runLeakCheck({ mode: 'tor', socks: { host: '127.0.0.1', port: 9050 } }, { platform });
    expect(LeakCheckResultSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ supported: false, ok: false, platform, sockets: [] });
    if (r.supported) throw new Error('expected unsupported');
    expect(r.tool).toContain(tool);
    expect(r.message).toMatch(/not supported on this platform/);
  });
});

function isLoopbackText(a: string): boolean {
  return a === '::1' || a.startsWith('127.');
}
