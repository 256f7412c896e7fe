#!/usr/bin/env node
// Builds what Electron loads: the main process (main/main.ts with the IPC table, the core and everything it imports)
// and the preload bundled by esbuild (CommonJS, as a sandboxed preload requires), and the renderer by Vite. Native
// modules stay outside the bundle (they load their .node file from their own package directory at run time).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, platform: 'node', target: 'node22', format: 'cjs', sourcemap: true, logLevel: 'warning' };
await build({ ...common, external: ['electron', 'better-sqlite3-multiple-ciphers'], entryPoints: [join(root, 'main', 'main.ts')], outfile: join(root, 'dist', 'main', 'main.cjs') });
// The sandboxed preload may require nothing but electron (main/preload.test.ts checks its bundle).
await build({ ...common, external: ['electron'], entryPoints: [join(root, 'main', 'preload.ts')], outfile: join(root, 'dist', 'main', 'preload.cjs') });
const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts'], { cwd: root, stdio: 'inherit' });
process.exit(vite.status ?? 1);
