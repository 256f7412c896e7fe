/** The development directory and network keys in resources/directory/: consistent, valid, and with no secret key. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadShipped } from './shipped';
import { DirectoryStore } from './store';
import { verifyDirectory } from './verify';

const RESOURCES = join(import.meta.dirname, '..', '..', 'resources', 'directory');

describe('the shipped development directory', () => {
  it('verifies with the shipped keys: n = 3, k = 2, gateways a.test and b.test', async () => {
    const { network, shipped } = await loadShipped(RESOURCES);
    expect([network.keys.size, network.threshold]).toEqual([3, 2]);
    if (shipped === undefined) throw new Error('no shipped directory');
    const d = await verifyDirectory(shipped.bytes, shipped.signatures, { network });
    expect(d.signers.length).toBeGreaterThanOrEqual(2);
    expect(d.document.gateways.map((g) => g.domain)).toEqual(['a.test', 'b.test']);
    expect(d.document.gateways.every((g) => /DEVELOPMENT ONLY/.test(g.operator.name))).toBe(true);
  });

  it('is what a fresh DirectoryStore starts from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-shipped-'));
    try {
      const store = new DirectoryStore({ dir, ...(await loadShipped(RESOURCES)) });
      const c = await store.load();
      expect([c?.source, c?.expired]).toEqual(['shipped', false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds no secret key material, and says these are development keys', () => {
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(RESOURCES)) expect(readFileSync(f, 'utf8'), f).not.toMatch(/PRIVATE KEY|SECRET KEY BLOCK/);
    expect(readFileSync(join(RESOURCES, 'README.md'), 'utf8')).toMatch(/development and tests only[\s\S]*replaces these keys/);
  });
});
