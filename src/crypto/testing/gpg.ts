/**
 * Test-only: the real GnuPG (`gpg`) in a throw-away home directory, driven in batch mode with loopback pinentry,
 * for interoperability tests. Every command is logged to gpg.log in the run directory; stop() kills the agent.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface GpgResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** The `[GNUPG:] …` status lines, without that prefix. */
  readonly status: readonly string[];
}

export interface GpgRunOptions {
  readonly input?: Uint8Array | string;
  /** The passphrase for loopback pinentry (keys made here have none). */
  readonly passphrase?: string;
  readonly timeoutMs?: number;
}

export class GnuPG {
  private constructor(
    readonly home: string,
    private readonly log: string,
  ) {}

  /** A new, empty GnuPG home `runDir/<name>` (short: the agent's socket path must fit in 108 bytes). */
  static async start(runDir: string, name = 'gnupg'): Promise<GnuPG> {
    const home = join(runDir, name);
    await mkdir(home, { mode: 0o700 });
    return new GnuPG(home, join(runDir, `${name}.log`));
  }

  /** Runs gpg; a non-zero exit is an Error carrying its stderr. */
  async run(args: readonly string[], options: GpgRunOptions = {}): Promise<GpgResult> {
    const result = await this.runRaw(args, options);
    if (result.code !== 0) throw new Error(`gpg ${args.join(' ')} exited with ${String(result.code)}: ${result.stderr}`);
    return result;
  }

  runRaw(args: readonly string[], options: GpgRunOptions = {}): Promise<GpgResult> {
    const full = [
      '--homedir', this.home, '--batch', '--no-tty', '--yes', '--pinentry-mode', 'loopback',
      '--passphrase', options.passphrase ?? '', '--trust-model', 'always', '--status-fd', '2', ...args,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn('gpg', full, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        const status = stderr.split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9));
        void appendFile(this.log, `$ gpg ${args.join(' ')}\n${stderr}exit ${String(code)}\n\n`).then(
          () => { resolve({ code, stdout: Buffer.concat(out), stderr, status }); },
          reject,
        );
      });
      if (child.stdin !== null) {
        // gpg may exit before reading everything (e.g. on an error): that is its answer, not ours to crash on.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input);
      }
    });
  }

  /** Stops the gpg-agent (and any other daemon) of this home directory. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn('gpgconf', ['--homedir', this.home, '--kill', 'all'], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('error', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
