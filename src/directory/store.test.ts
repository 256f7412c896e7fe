import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateKey } from 'openpgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Logger, type LogRecord } from '../log/redact';
import { DirectoryStoreError } from './errors';
import { DirectoryStore, STORE_FILE } from './store';
import { makeDocument, makeTestNetwork, signedCopy, type TestNetwork } from './testing/network';

let net: TestNetwork;
let A: PrivateKey;
let B: PrivateKey;
let dir: string;

beforeAll(async () => {
  net = await makeTestNetwork(3, 2);
  [A, B] = net.secrets as [PrivateKey, PrivateKey];
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cove-directory-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('DirectoryStore', () => {
  it('has nothing before anything is stored or shipped', async () => {
    const store = new DirectoryStore({ dir, network: net.network });
    expect(await store.load()).toBeUndefined();
  });

  it('falls back to the shipped copy, and prefers whichever valid copy has the higher serial', async () => {
    const shipped = await signedCopy(makeDocument({ serial: 3 }), [A, B]);
    const store = new DirectoryStore({ dir, network: net.network, shipped });
    expect((await store.load())?.source).toBe('shipped');
    await store.accept(await signedCopy(makeDocument({ serial: 4 }), [A, B]));

    const again = new DirectoryStore({ dir, network: net.network, shipped });
    const c = await again.load();
    expect([c?.source, c?.directory.document.serial]).toEqual(['stored', 4]);

    // An app update ships serial 9: it wins over the stored serial 4.
    const newer = new DirectoryStore({ dir, network: net.network, shipped: await signedCopy(makeDocument({ serial: 9 }), [A, B]) });
    expect((await newer.load())?.directory.document.serial).toBe(9);
  });

  it('writes one file atomically (no temp file left), readable by its owner only', async () => {
    const store = new DirectoryStore({ dir, network: net.network });
    await store.accept(await signedCopy(makeDocument({ serial: 2 }), [A, B]));
    await store.accept(await signedCopy(makeDocument({ serial: 3 }), [A, B]));
    expect(readdirSync(dir)).toEqual([STORE_FILE]);
    expect(statSync(join(dir, STORE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('ignores a stored copy that was edited on disk, and says so in the log', async () => {
    const records: LogRecord[] = [];
    const logger = new Logger('directory', (r) => records.push(r));
    const store = new DirectoryStore({ dir, network: net.network });
    await store.accept(await signedCopy(makeDocument({ serial: 2 }), [A, B]));
    const file = join(dir, STORE_FILE);
    writeFileSync(file, readFileSync(file, 'utf8').replace('a.test', 'z.test'));
    const shipped = await signedCopy(makeDocument({ serial: 1 }), [A, B]);
    const reread = new DirectoryStore({ dir, network: net.network, shipped, logger });
    const c = await reread.load();
    expect([c?.source, c?.directory.document.serial]).toEqual(['shipped', 1]);
    expect(records.map((r) => r.message).join('\n')).toMatch(/stored server directory does not verify: it is ignored/);

    writeFileSync(file, 'garbage');
    expect((await new DirectoryStore({ dir, network: net.network, shipped, logger }).load())?.source).toBe('shipped');
    expect(records.at(-1)?.message).toMatch(/unreadable/);
  });

  it('reports an expired last good copy, and still returns it', async () => {
    const store = new DirectoryStore({ dir, network: net.network, now: () => new Date(Date.now() + 365 * 86_400_000) });
    const shipped = await signedCopy(makeDocument({ serial: 1 }), [A, B]);
    const s2 = new DirectoryStore({ dir, network: net.network, shipped, now: () => new Date(Date.now() + 365 * 86_400_000) });
    expect(await store.load()).toBeUndefined();
    const c = await s2.load();
    expect([c?.source, c?.expired]).toEqual(['shipped', true]);
  });

  it('keeps the last good copy when the new one cannot be saved', async () => {
    const store = new DirectoryStore({ dir, network: net.network });
    await store.accept(await signedCopy(makeDocument({ serial: 2 }), [A, B]));
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'a file where the directory was');
    try {
      await expect(store.accept(await signedCopy(makeDocument({ serial: 3 }), [A, B]))).rejects.toBeInstanceOf(DirectoryStoreError);
      expect(store.current()?.directory.document.serial).toBe(2);
    } finally {
      rmSync(dir, { force: true });
    }
  });

  it('accepts one copy at a time, each checked against the one before', async () => {
    const store = new DirectoryStore({ dir, network: net.network });
    const [c6, c7, c5] = await Promise.all([6, 7, 5].map(async (serial) => signedCopy(makeDocument({ serial }), [A, B])));
    if (c6 === undefined || c7 === undefined || c5 === undefined) throw new Error('copies');
    const results = await Promise.allSettled([store.accept(c6), store.accept(c7), store.accept(c5)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(store.current()?.directory.document.serial).toBe(7);
  });
});
