/**
 * A tor left over from a crashed Cove would hold the data directory's lock. It is stopped only when its pid file
 * names a live process whose command line is EXACTLY the one Cove starts for this data directory: never a tor the
 * user runs, never an unrelated process that reused the pid.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** tor's arguments as Cove passes them (after the binary). */
export function torArgv(defaultsTorrc: string, torrc: string, ownerPid: number): string[] {
  return ['--defaults-torrc', defaultsTorrc, '-f', torrc, '__OwningControllerProcess', String(ownerPid)];
}

/** True if `cmdline` (NUL-separated, as /proc/PID/cmdline) is Cove's tor for these files, whatever its owner pid. */
export function isOurTor(cmdline: string, tor: string, defaultsTorrc: string, torrc: string): boolean {
  const args = cmdline.split('\0');
  if (args.at(-1) === '') args.pop();
  const expected = [tor, ...torArgv(defaultsTorrc, torrc, 0)];
  if (args.length !== expected.length) return false;
  return args.every((a, i) => (i === expected.length - 1 ? /^\d+$/.test(a) : a === expected[i]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a stale tor of this data directory, if there is one. Returns its pid when it stopped one. */
export async function cleanStaleTor(pidFile: string, tor: string, defaultsTorrc: string, torrc: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) return undefined;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // no /proc (macOS, Windows): __OwningControllerProcess makes such a tor exit by itself
  }
  if (!isOurTor(cmdline, tor, defaultsTorrc, torrc)) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 60 && alive(pid); i += 1) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}
