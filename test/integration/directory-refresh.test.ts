/**
 * Refreshing the signed server directory over the privacy mode's path: an https server for a.test (127.0.0.2,
 * certificate from the rig's CA) serves directory.json and directory.json.sig, signed by keys generated here
 * (n = 3, k = 2). Cove fetches them through the real dante proxy BY NAME (dante resolves it), and directly. A bad
 * copy on the server (tampered, under-signed, older) is refused with its typed error and the last good copy stays,
 * on disk too.
 * With the proxy down the refresh fails with ProxyUnreachableError and the server sees no request: no direct fallback.
 * Server errors are retried a capped number of times; an abort stops the retries.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { PrivateKey } from 'openpgp';
import type { CoveError } from '../../src/api/result';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryFetchError, NotEnoughSignaturesError, StaleSerialError, TamperedDirectoryError } from '../../src/directory/errors';
import { refreshDirectory, type RefreshOptions, type RefreshOutcome } from '../../src/directory/refresh';
import { DirectoryStore, STORE_FILE } from '../../src/directory/store';
import { makeDocument, makeTestNetwork, signedCopy, type TestNetwork } from '../../src/directory/testing/network';
import { DirectTransport } from '../../src/net/direct';
import { AbortedError, ProxyUnreachableError } from '../../src/net/errors';
import { Socks5Transport } from '../../src/net/socks5';
import type { Transport } from '../../src/net/transport';
import { makeTestCa, type TestCa } from '../rig/ca';
import { DEFAULT_TEST_HOSTS, startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { finishRunDir, freePort, makeRunDir } from '../rig/util';

const failures = trackFailures();
let dir: string;
let ca: TestCa;
let dante: Dante;
let server: Server;
let port: number;
let net: TestNetwork;
let A: PrivateKey;
let B: PrivateKey;
/** What the server answers, by path: a body, or an HTTP status, or 'hang' (never answer). */
const routes = new Map<string, Buffer | number | 'hang'>();
let requests = 0;

beforeAll(async () => {
  await failures.guard(async () => {
    dir = await makeRunDir('directory-refresh');
    [ca, dante, port, net] = await Promise.all([makeTestCa(join(dir, 'ca'), ['a.test']), startDante({ auth: true }), freePort('127.0.0.2'), makeTestNetwork(3, 2)]);
    [A, B] = net.secrets as [PrivateKey, PrivateKey];
    const cert = ca.certs.get('a.test');
    if (cert === undefined) throw new Error('no certificate for a.test');
    server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
      requests++;
      const route = routes.get(req.url ?? '') ?? 404;
      if (route === 'hang') return;
      if (typeof route === 'number') res.writeHead(route).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(route);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.2', resolve));
  });
});

afterAll(async () => {
  // Each may be unset if beforeAll failed half-way.
  /* eslint-disable @typescript-eslint/no-unnecessary-condition */
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await dante?.close(failures.failed);
  if (dir !== undefined) await finishRunDir(dir, failures.failed);
  /* eslint-enable @typescript-eslint/no-unnecessary-condition */
});

const socks = (): Transport => new Socks5Transport({ host: dante.host, port: dante.port, username: dante.username, password: dante.password });
const byName = (): string => `https://a.test:${String(port)}/directory.json`;
/**
 * Direct mode as on a machine whose resolver knows the rig's names (the rig has no DNS server): the real
 * DirectTransport, handed the address of the name. TLS still checks the certificate for a.test.
 */
const direct = new DirectTransport();
const directWithHosts: Transport = {
  mode: 'direct',
  firstHop: (t) => direct.firstHop(t),
  connect: (t, o) => direct.connect({ host: DEFAULT_TEST_HOSTS[t.host] ?? t.host, port: t.port }, o),
};

async function serve(serial: number, keys: readonly PrivateKey[], tamper = false): Promise<void> {
  const copy = await signedCopy(makeDocument({ serial }), keys);
  const bytes = Buffer.from(copy.bytes);
  if (tamper) bytes[bytes.indexOf('a.test')] = 'x'.charCodeAt(0);
  routes.set('/directory.json', bytes);
  routes.set('/directory.json.sig', Buffer.from(copy.signatures));
}

async function freshStore(name: string): Promise<DirectoryStore> {
  const store = new DirectoryStore({ dir: join(dir, name), network: net.network, shipped: await signedCopy(makeDocument({ serial: 1 }), [A, B]) });
  await store.load();
  return store;
}

const refresh = (store: DirectoryStore, transport: Transport, over: Partial<RefreshOptions> = {}): Promise<RefreshOutcome> =>
  refreshDirectory(store, { transport, url: byName(), ca: ca.caPem, timeoutMs: 10_000, retryDelayMs: 20, ...over });

function failedWith(outcome: RefreshOutcome): CoveError {
  if (outcome.status !== 'failed') throw new Error(`expected a failed refresh, got ${outcome.status}`);
  return outcome.error;
}

describe('directory refresh over the privacy mode', () => {
  it('fetches through the SOCKS5 proxy by name, verifies, and stores the copy', async () => {
    const store = await freshStore('socks');
    await serve(2, [A, B]);
    const mark = dante.logMark();
    const outcome = await refresh(store, socks());
    expect(outcome.status).toBe('updated');
    expect([outcome.current?.source, outcome.current?.directory.document.serial]).toEqual(['stored', 2]);
    expect(dante.connections(mark).map((c) => [c.destinationHost, c.addressType])).toEqual([
      ['a.test', 'domain'],
      ['a.test', 'domain'],
    ]);
    expect(dante.dnsQueries()).toBe(0);
    // the same copy again: nothing to do
    expect((await refresh(store, socks())).status).toBe('unchanged');
  });

  it('fetches directly in Direct mode', async () => {
    const store = await freshStore('direct');
    await serve(3, [A, B]);
    const mark = dante.logMark();
    const before = requests;
    const outcome = await refresh(store, directWithHosts);
    expect(outcome.status).toBe('updated');
    expect(outcome.current?.directory.document.serial).toBe(3);
    expect(requests - before).toBe(2);
    expect(dante.connections(mark)).toEqual([]);
  });

  it('keeps the last good copy when the server serves a bad one', async () => {
    const store = await freshStore('bad');
    await serve(4, [A, B]);
    expect((await refresh(store, socks())).status).toBe('updated');
    const file = readFileSync(join(dir, 'bad', STORE_FILE));
    const cases: [() => Promise<void>, abstract new (...a: never[]) => Error][] = [
      [() => serve(5, [A, B], true), TamperedDirectoryError],
      [() => serve(5, [A]), NotEnoughSignaturesError],
      [() => serve(3, [A, B]), StaleSerialError],
    ];
    for (const [setUp, kind] of cases) {
      await setUp();
      const outcome = await refresh(store, socks());
      expect(failedWith(outcome)).toBeInstanceOf(kind);
      expect(outcome.current?.directory.document.serial).toBe(4);
      expect(readFileSync(join(dir, 'bad', STORE_FILE)).equals(file)).toBe(true);
    }
  });

  it('fails closed when the proxy is down: a typed error, no request reaches the server, the last good copy stays', async () => {
    const store = await freshStore('down');
    await serve(6, [A, B]);
    const before = requests;
    await dante.stop();
    try {
      const outcome = await refresh(store, socks());
      expect(failedWith(outcome)).toBeInstanceOf(ProxyUnreachableError);
      expect(failedWith(outcome).message).toMatch(/never falls back to a direct connection/);
      expect(outcome.current?.source).toBe('shipped');
      expect(requests).toBe(before);
    } finally {
      await dante.start();
    }
    expect((await refresh(store, socks())).status).toBe('updated');
    expect(requests).toBe(before + 2);
  });

  it('retries server errors a capped number of times, never a 404, and stops on abort', async () => {
    const store = await freshStore('retry');
    routes.set('/directory.json', 503);
    let before = requests;
    const five = await refresh(store, socks(), { attempts: 3 });
    expect(failedWith(five)).toBeInstanceOf(DirectoryFetchError);
    expect(failedWith(five).message).toMatch(/HTTP 503/);
    expect(requests - before).toBe(3);

    before = requests;
    expect((await refresh(store, socks(), { attempts: 50 })).status).toBe('failed');
    expect(requests - before).toBe(5); // attempts are capped at 5

    routes.set('/directory.json', 404);
    before = requests;
    expect(failedWith(await refresh(store, socks(), { attempts: 3 })).message).toMatch(/HTTP 404/);
    expect(requests - before).toBe(1);

    routes.set('/directory.json', 503);
    const abort = new AbortController();
    before = requests;
    const pending = refresh(store, socks(), { attempts: 5, retryDelayMs: 60_000, signal: abort.signal });
    while (requests === before) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    expect(failedWith(await pending)).toBeInstanceOf(AbortedError);
    expect(requests - before).toBe(1);
    expect(store.current()?.source).toBe('shipped');
  });

  it('gives up on a server that never answers, after its deadline and the capped retries', async () => {
    const store = await freshStore('hang');
    routes.set('/directory.json', 'hang');
    const before = requests;
    const outcome = await refresh(store, socks(), { timeoutMs: 500, attempts: 2 });
    expect(failedWith(outcome).code).toBe('connect-timeout');
    expect(requests - before).toBe(2);
  });
});
