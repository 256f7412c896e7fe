import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanStaleTor, isOurTor, torArgv } from './stale';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('stale tor clean-up', () => {
  it('matches only the exact command line Cove uses, whatever the owner pid', () => {
    const cmd = ['/usr/bin/tor', ...torArgv('/p/defaults', '/p/torrc', 4242)].join('\0') + '\0';
    expect(isOurTor(cmd, '/usr/bin/tor', '/p/defaults', '/p/torrc')).toBe(true);
    expect(isOurTor(cmd, '/usr/bin/tor', '/p/defaults', '/other/torrc')).toBe(false);
    expect(isOurTor(cmd.replace('4242', 'x'), '/usr/bin/tor', '/p/defaults', '/p/torrc')).toBe(false);
    expect(isOurTor(`${cmd}--extra\0`, '/usr/bin/tor', '/p/defaults', '/p/torrc')).toBe(false);
    expect(isOurTor('/usr/bin/tor\0-f\0/p/torrc\0', '/usr/bin/tor', '/p/defaults', '/p/torrc')).toBe(false);
  });

  it.runIf(existsSync('/usr/bin/tor'))('stops a live process only when its command line matches, and leaves others alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-stale-'));
    dirs.push(dir);
    // A real tor, idle and offline, started with Cove's exact argument list.
    const tor = '/usr/bin/tor';
    const [defaults, torrc] = [join(dir, 'torrc-defaults'), join(dir, 'torrc')];
    writeFileSync(defaults, '');
    writeFileSync(torrc, `DataDirectory ${join(dir, 'data')}\nDisableNetwork 1\nSocksPort 0\nLog err stderr\n`);
    const ours = spawn(tor, torArgv(defaults, torrc, process.pid), { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const pidFile = join(dir, 'tor.pid');
      writeFileSync(pidFile, `${String(other.pid)}\n`);
      expect(await cleanStaleTor(pidFile, tor, defaults, torrc)).toBeUndefined();
      expect(other.exitCode).toBeNull();
      writeFileSync(pidFile, `${String(ours.pid)}\n`);
      const exited = new Promise((r) => ours.once('exit', r));
      expect(await cleanStaleTor(pidFile, tor, defaults, torrc)).toBe(ours.pid);
      await exited;
    } finally {
      ours.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
