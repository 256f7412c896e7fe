#!/usr/bin/env node
// Builds what Electron loads: the main process and preload bundled by esbuild (CommonJS, as a sandboxed preload
// requires), and the renderer by Vite.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, platform: 'node', target: 'node22', format: 'cjs', sourcemap: true, external: ['electron'], logLevel: 'warning' };
await build({ ...common, entryPoints: [join(root, 'main', 'main.ts')], outfile: join(root, 'dist', 'main', 'main.cjs') });
await build({ ...common, entryPoints: [join(root, 'main', 'preload.ts')], outfile: join(root, 'dist', 'main', 'preload.cjs') });
const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts'], { cwd: root, stdio: 'inherit' });
process.exit(vite.status ?? 1);
