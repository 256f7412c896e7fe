#!/usr/bin/env node
// `npm start`: build Cove and launch it in Electron. Where Electron cannot start (its binary is missing and cannot be
// downloaded, or there is no display) say why in ONE line and serve the same UI through the browser bridge instead
// (scripts/bridge.ts: the real core, on 127.0.0.1 only, behind a one-time link), until Ctrl-C.
// COVE_BRIDGE=1 skips Electron and starts the bridge directly; arguments after `--` go to scripts/bridge.ts.
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
  return have() ? { path: join(pkg, 'dist', readFileSync(pathFile, 'utf8')) } : { why: "Electron's binary is missing and could not be downloaded" };
}

function displayProblem() {
  if (process.platform !== 'linux') return undefined;
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? undefined : 'there is no display (DISPLAY/WAYLAND_DISPLAY unset)';
}

/** Runs a child with the terminal, passing Ctrl-C and SIGTERM on, and exits with its code. */
function runToEnd(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      child.kill(signal);
    });
  }
  child.on('error', (err) => {
    console.log(`Cove: could not run ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

function startBridge() {
  // The bridge serves the built renderer: build it (a failed build may still leave an older one to serve).
  const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
  if (vite.status !== 0) {
    if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) {
      console.log('Cove: the renderer did not build (see above), so there is nothing to serve.');
      process.exit(1);
    }
    console.log('Cove: the renderer did not build (see above); serving the last build.');
  }
  const dashDash = process.argv.indexOf('--');
  const extra = dashDash === -1 ? process.argv.slice(2) : process.argv.slice(dashDash + 1);
  runToEnd(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'bridge.ts'), ...extra]);
}

if (process.env.COVE_BRIDGE === '1') {
  console.log('Cove: COVE_BRIDGE=1, so Electron is skipped: serving the browser bridge.');
  startBridge();
} else {
  const bin = electronBinary();
  const why = 'why' in bin ? bin.why : displayProblem();
  if (why !== undefined) {
    console.log(`Cove: Electron cannot start here (${why}), so Cove serves its UI through the browser bridge instead.`);
    startBridge();
  } else {
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
    runToEnd(bin.path, [root]);
  }
}
