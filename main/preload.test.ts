// The preload is the window's whole view of the core: exactly one named function per operation of the contract,
// each on its own channel, and nothing that a sandboxed preload cannot load (only `electron`; no zod, no core).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../src/api/contract';
import { EVENT_CHANNEL, channelOf } from './ipc';

const file = join(import.meta.dirname, 'preload.ts');
const source = readFileSync(file, 'utf8');

describe('preload', () => {
  it('exposes exactly one function per operation of the contract, each on the channel cove:<op>', () => {
    const entries = [...source.matchAll(/^ {2}(\w+): \(input\) => invoke\('([^']+)', input\),$/gm)].map((m) => ({ name: m[1] ?? '', channel: m[2] ?? '' }));
    expect(entries.map((e) => e.name).sort()).toEqual([...OP_NAMES].sort());
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    for (const { name, channel } of entries) expect(channel).toBe(channelOf(name));
    // Nothing else reaches ipcRenderer.invoke: the one generic helper, used only by the lines above.
    expect(source.match(/ipcRenderer\.invoke\(/g)).toHaveLength(1);
    expect(source.match(/invoke\(/g)?.length).toBe(OP_NAMES.length + 2);
    expect(source.match(/exposeInMainWorld\(/g)).toHaveLength(1);
  });

  it('subscribes to the event channel main sends on, and can unsubscribe', () => {
    expect(source).toContain(`ipcRenderer.on('${EVENT_CHANNEL}', onEvent)`);
    expect(source).toContain(`ipcRenderer.removeListener('${EVENT_CHANNEL}', onEvent)`);
  });

  it('imports only electron at run time (type imports are erased), so the sandboxed preload loads', async () => {
    const imports = [...source.matchAll(/^import (type )?.* from '([^']+)';$/gm)].map((m) => ({ typeOnly: m[1] !== undefined, from: m[2] }));
    expect(imports.filter((i) => !i.typeOnly).map((i) => i.from)).toEqual(['electron']);
    const out = await build({ entryPoints: [file], bundle: true, write: false, platform: 'node', format: 'cjs', external: ['electron'], logLevel: 'silent' });
    const text = out.outputFiles[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(text).not.toMatch(/zod|safeParse/);
  });
});
