import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findTorBinaries, TorNotFoundError } from './binary';

const dirs: string[] = [];
function dirWith(files: Record<string, boolean>): string {
  const d = mkdtempSync(join(tmpdir(), 'cove-bin-'));
  dirs.push(d);
  for (const [name, exec] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), '#!/bin/sh\n');
    chmodSync(join(d, name), exec ? 0o755 : 0o644);
  }
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('findTorBinaries', () => {
  it('prefers the bundled tor and its transports', () => {
    const bundle = dirWith({ tor: true, 'pluggable_transports/lyrebird': true, 'pluggable_transports/snowflake-client': true });
    const system = dirWith({ tor: true, obfs4proxy: true });
    const found = findTorBinaries({ bundledDir: bundle, platform: 'linux', path: system });
    expect(found).toEqual({
      tor: join(bundle, 'tor'),
      source: 'bundled',
      obfs4: join(bundle, 'pluggable_transports', 'lyrebird'),
      snowflake: join(bundle, 'pluggable_transports', 'snowflake-client'),
    });
  });

  it('falls back to the system tor on Linux only, and skips files that are not executable', () => {
    const system = dirWith({ tor: true, obfs4proxy: true });
    const bundle = dirWith({ tor: false });
    expect(findTorBinaries({ bundledDir: bundle, platform: 'linux', path: system })).toEqual({
      tor: join(system, 'tor'),
      source: 'system',
      obfs4: join(system, 'obfs4proxy'),
    });
    expect(() => findTorBinaries({ bundledDir: bundle, platform: 'darwin', path: system })).toThrow(/reinstall Cove/);
    expect(() => findTorBinaries({ platform: 'linux', path: dirWith({}) })).toThrow(TorNotFoundError);
  });

  it('looks for tor.exe on Windows', () => {
    const bundle = dirWith({ 'tor.exe': true });
    expect(findTorBinaries({ bundledDir: bundle, platform: 'win32', path: '' }).tor).toBe(join(bundle, 'tor.exe'));
  });
});
