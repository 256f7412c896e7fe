#!/usr/bin/env node
// `npm start`: build the Electron main process and the renderer, then launch Cove in Electron. Where Electron cannot
// start (no display, or its binary cannot be downloaded on this machine) say so in ONE line, without a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const have = () => existsSync(pathFile) && existsSync(join(pkg, 'dist', readFileSync(pathFile, 'utf8')));
  if (!have()) {
    // Electron's package downloads its binary on first use; try once, quietly, with a deadline.
    spawnSync(process.execPath, [join(pkg, 'install.js')], { stdio: 'ignore', timeout: 120_000 });
  }
  return have() ? { path: join(pkg, 'dist', readFileSync(pathFile, 'utf8')) } : { why: "Electron's binary could not be downloaded" };
}

function displayProblem() {
  if (process.platform !== 'linux') return undefined;
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? undefined : 'there is no display (DISPLAY/WAYLAND_DISPLAY unset)';
}

const bin = electronBinary();
const why = 'why' in bin ? bin.why : displayProblem();
if (why !== undefined) {
  console.log(`Cove: Electron cannot start here: ${why}.`);
  process.exit(1);
}

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(bin.path, [root], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
