/**
 * HTTP(S) takes the privacy mode's path: an https server named a.test (on 127.0.0.2, certificate from the rig's CA)
 * is fetched through the real dante proxy BY NAME (the proxy resolves it, this process looks nothing up), and
 * directly by address. The response cap, a wrong CA and a dead proxy give typed errors.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectTransport } from '../../src/net/direct';
import { ProxyUnreachableError } from '../../src/net/errors';
import { fetchVia, HttpError } from '../../src/net/http';
import { Socks5Transport } from '../../src/net/socks5';
import { makeTestCa, type TestCa } from '../rig/ca';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { finishRunDir, freePort, makeRunDir } from '../rig/util';

const failures = trackFailures();
let dir: string;
let ca: TestCa;
let server: Server;
let port: number;
let dante: Dante;
let otherCa: TestCa;

beforeAll(async () => {
  dir = await makeRunDir('http');
  [ca, otherCa, dante, port] = await Promise.all([
    makeTestCa(join(dir, 'ca'), ['a.test']),
    makeTestCa(join(dir, 'other'), ['a.test']),
    startDante({ auth: true }),
    freePort('127.0.0.2'),
  ]);
  const cert = ca.certs.get('a.test');
  if (cert === undefined) throw new Error('no certificate for a.test');
  server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    const big = req.url === '/big';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(big ? 'x'.repeat(100_000) : JSON.stringify({ path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.2', resolve));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await dante.close(failures.failed);
  await finishRunDir(dir, failures.failed);
});

describe('HTTPS over the transports', () => {
  it('fetches through the SOCKS5 proxy by name, with TLS checked for that name', async () => {
    const via = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
    const mark = dante.logMark();
    const r = await fetchVia(via, `https://a.test:${String(port)}/directory.json?x=1`, { ca: ca.caPem, timeoutMs: 10_000 });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ path: '/directory.json?x=1', host: `a.test:${String(port)}` });
    expect(dante.connections(mark).map((c) => [c.destinationHost, c.addressType])).toEqual([['a.test', 'domain']]);
  });

  it('checks the certificate for the name asked for, and refuses one from another CA', async () => {
    const direct = new DirectTransport();
    // Direct by IP: the certificate is for a.test, so TLS must fail — the name is checked, not just the chain.
    await expect(fetchVia(direct, `https://127.0.0.2:${String(port)}/`, { ca: ca.caPem, timeoutMs: 10_000 })).rejects.toThrow(HttpError);
    const via = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
    await expect(fetchVia(via, `https://a.test:${String(port)}/`, { ca: otherCa.caPem, timeoutMs: 10_000 })).rejects.toThrow(/secure connection failed/);
  });

  it('caps the body, and fails closed when the proxy is down', async () => {
    const via = new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
    await expect(fetchVia(via, `https://a.test:${String(port)}/big`, { ca: ca.caPem, maxBytes: 10_000, timeoutMs: 10_000 })).rejects.toThrow(/larger than 10000 bytes/);
    await dante.stop();
    try {
      await expect(fetchVia(via, `https://a.test:${String(port)}/`, { ca: ca.caPem, timeoutMs: 10_000 })).rejects.toBeInstanceOf(ProxyUnreachableError);
    } finally {
      await dante.start();
    }
  });
});
