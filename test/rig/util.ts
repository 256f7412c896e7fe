/**
 * Shared plumbing of the test rig: free ports, run directories, child processes with their logs, and waits with
 * deadlines. Every part of the rig (Prosody, dante, the private Tor network) is built from these so that each one is
 * on loopback, in a temp dir, torn down even when a test fails, and leaves its logs behind when it does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class RigError extends Error {
  override name = 'RigError';
}

/**
 * A TCP port that was free on `host` a moment ago. Chosen at random BELOW the kernel's ephemeral range (32768–60999
 * on Linux): a port the kernel hands out itself can be taken a moment later by any outgoing connection (tor relays
 * make many), and the server that wanted it then fails with "Address already in use".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (await canBind(host, port)) return port;
  }
  throw new RigError(`no free port found on ${host}`);
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => {
      resolve(false);
    });
    srv.listen({ host, port, exclusive: true }, () => {
      srv.close(() => {
        resolve(true);
      });
    });
  });
}

/** A fresh directory under the system temp dir, named for what runs in it. */
export async function makeRunDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `cove-rig-${name}-`));
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose stdout and stderr go to a log file, stopped with SIGTERM and then SIGKILL. */
export class ManagedProcess {
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    readonly logFile: string,
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    const log = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        log.write(`\n[rig] could not start ${command}: ${err.message}\n`);
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        log.end();
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    live.add(this);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new RigError(`${this.name} has no pid (it did not start)`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /**
   * The JSON-object lines the process wrote to its log, in order: how a fixture child reports events. Other lines
   * (stderr shares the log) are skipped, and so is a last line still being written.
   */
  jsonLines<T = Record<string, unknown>>(): T[] {
    if (!existsSync(this.logFile)) return [];
    const out: T[] = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // a line cut in the middle of being written
      }
    }
    return out;
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    return logTail(this.logFile, lines);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

// Every live child, so that a crashed test run still takes its servers down with it.
const live = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function logTail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Wait until a TCP connect to host:port succeeds. Fails early, with the log's tail, if `proc` exits. */
export async function waitForTcp(
  host: string,
  port: number,
  opts: { timeoutMs: number; proc?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.proc !== undefined && !opts.proc.running) {
      throw new RigError(`${opts.proc.name} exited before ${host}:${port} opened:\n${opts.proc.tail()}`);
    }
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline) {
      const why = opts.proc === undefined ? '' : `\n${opts.proc.tail()}`;
      throw new RigError(`nothing listens on ${host}:${port} after ${opts.timeoutMs} ms${why}`);
    }
    await sleep(50);
  }
}

export async function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => {
      done(false);
    });
    sock.once('connect', () => {
      done(true);
    });
    sock.once('error', () => {
      done(false);
    });
  });
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new RigError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Removes a run directory, unless the run failed or COVE_KEEP_RIG is set: then it stays, and the tail of every log in
 * it is printed so that CI output shows why.
 */
export async function finishRunDir(dir: string, failed: boolean): Promise<void> {
  if (failed || process.env.COVE_KEEP_RIG === '1') {
    const logs = listLogs(dir);
    const body = logs.map((f) => `--- ${f}\n${logTail(f, 40)}`).join('\n');
    process.stderr.write(`[rig] kept ${dir} (${failed ? 'a test failed' : 'COVE_KEEP_RIG=1'})\n${failed ? body : ''}\n`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}

function listLogs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.log')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** A TCP port that was free on every one of `hosts` a moment ago: for one port that several addresses must share. */
export async function freePortOnAll(hosts: readonly string[]): Promise<number> {
  const [first, ...rest] = hosts;
  if (first === undefined) throw new RigError('freePortOnAll needs at least one host');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await freePort(first);
    if ((await Promise.all(rest.map((h) => canBind(h, port)))).every(Boolean)) return port;
  }
  throw new RigError(`no port free on all of ${hosts.join(', ')}`);
}
