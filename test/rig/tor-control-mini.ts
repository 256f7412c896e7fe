/**
 * A deliberately small Tor control-port client for the test rig only: cookie AUTHENTICATE, GETINFO, ADD_ONION and
 * whatever single-line command a rig needs; plus reading the consensus an authority serves on its DirPort. It is not
 * the product's control client (that lives in src/tor/); it exists so that the rig can drive the tor processes of
 * its private network without depending on product code.
 *
 * Replies are read in order (tor answers commands in the order it got them). Asynchronous events (6xx) are skipped,
 * since the rig never subscribes to any.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RigError, waitFor } from './util';

export class TorControlError extends RigError {
  override name = 'TorControlError';
}

export interface ControlReply {
  /** The status code of the final line, e.g. 250. */
  code: number;
  /** Every line of the reply without its `250-` prefix; a data block (`250+key=`) is joined to its line with \n. */
  lines: string[];
}

interface Pending {
  command: string;
  resolve: (reply: ControlReply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class TorControlMini {
  private buffer = '';
  private readonly pending: Pending[] = [];
  private lines: string[] = [];
  private data: string[] | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly label: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.onData(chunk);
    });
    socket.on('error', (err) => {
      this.failAll(new TorControlError(`${label}: control connection error: ${err.message}`));
    });
    socket.on('close', () => {
      this.closed = true;
      this.failAll(new TorControlError(`${label}: control connection closed`));
    });
  }

  /** Connects to host:port and authenticates with the cookie file (COOKIE method: the cookie in hex). */
  static async open(
    host: string,
    port: number,
    cookieFile: string,
    opts: { timeoutMs?: number; label?: string } = {},
  ): Promise<TorControlMini> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const label = opts.label ?? `tor control ${host}:${port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new TorControlError(`${label}: connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(sock);
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(new TorControlError(`${label}: connect failed: ${err.message}`));
      });
    });
    const ctl = new TorControlMini(socket, label);
    try {
      // tor opens the control port a moment before it writes the cookie: wait for it.
      await waitFor(`${label}: the cookie file`, () => (existsSync(cookieFile) ? true : undefined), timeoutMs, 20);
      const cookie = await readFile(cookieFile);
      await ctl.command(`AUTHENTICATE ${cookie.toString('hex')}`, timeoutMs);
    } catch (err) {
      ctl.close();
      throw err;
    }
    return ctl;
  }

  /** Sends one command line and resolves with its reply; rejects on a non-2xx status or after `timeoutMs`. */
  async command(line: string, timeoutMs = 10_000): Promise<ControlReply> {
    if (this.closed) throw new TorControlError(`${this.label}: connection is closed`);
    const shown = line.startsWith('AUTHENTICATE') ? 'AUTHENTICATE' : line.split(' ')[0] ?? line;
    const reply = await new Promise<ControlReply>((resolve, reject) => {
      const entry: Pending = {
        command: shown,
        resolve,
        reject,
        timer: setTimeout(() => {
          // The reply may still come; the connection is no longer in step, so drop it.
          reject(new TorControlError(`${this.label}: ${shown} got no reply within ${timeoutMs} ms`));
          this.close();
        }, timeoutMs),
      };
      this.pending.push(entry);
      this.socket.write(`${line}\r\n`);
    });
    if (reply.code < 200 || reply.code > 299) {
      throw new TorControlError(`${this.label}: ${shown} failed: ${String(reply.code)} ${reply.lines.join(' | ')}`);
    }
    return reply;
  }

  /** GETINFO for one key; returns its value (a data block comes back with its lines joined by \n). */
  async getInfo(key: string, timeoutMs = 10_000): Promise<string> {
    const reply = await this.command(`GETINFO ${key}`, timeoutMs);
    const prefix = `${key}=`;
    const line = reply.lines.find((l) => l.startsWith(prefix));
    if (line === undefined) throw new TorControlError(`${this.label}: GETINFO ${key}: no value in ${reply.lines.join(' | ')}`);
    return line.slice(prefix.length).replace(/^\n/, '');
  }

  /** The bootstrap progress in percent, from `GETINFO status/bootstrap-phase` (PROGRESS=, not the wording). */
  async bootstrapProgress(timeoutMs = 5000): Promise<{ progress: number; tag: string; raw: string }> {
    const raw = await this.getInfo('status/bootstrap-phase', timeoutMs);
    const progress = /PROGRESS=(\d+)/.exec(raw)?.[1];
    const tag = /TAG=(\S+)/.exec(raw)?.[1] ?? '';
    if (progress === undefined) throw new TorControlError(`${this.label}: cannot parse bootstrap phase: ${raw}`);
    return { progress: Number(progress), tag, raw };
  }

  /** Polls the bootstrap phase until PROGRESS=100; `check` is called before each poll and throws to give up. */
  async waitBootstrapped(check: () => void, everyMs = 100): Promise<void> {
    for (;;) {
      check();
      if ((await this.bootstrapProgress()).progress >= 100) return;
      await sleep(everyMs);
    }
  }

  /**
   * ADD_ONION with a fresh ed25519 key that tor discards, detached from this connection so that it outlives it.
   * Returns the address with its `.onion` suffix.
   */
  async addOnion(virtualPort: number, target: { host: string; port: number }, timeoutMs = 15_000): Promise<string> {
    const reply = await this.command(
      `ADD_ONION NEW:ED25519-V3 Flags=DiscardPK,Detach Port=${virtualPort},${target.host}:${target.port}`,
      timeoutMs,
    );
    const id = reply.lines.find((l) => l.startsWith('ServiceID='))?.slice('ServiceID='.length);
    if (id === undefined || !/^[a-z2-7]{56}$/.test(id)) {
      throw new TorControlError(`${this.label}: ADD_ONION gave no ServiceID: ${reply.lines.join(' | ')}`);
    }
    return `${id}.onion`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end('QUIT\r\n');
    this.socket.destroy();
    this.failAll(new TorControlError(`${this.label}: connection closed by the rig`));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) return;
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (this.data !== undefined) {
      if (line === '.') {
        const head = this.lines.pop() ?? '';
        this.lines.push([head, ...this.data].join('\n'));
        this.data = undefined;
      } else {
        this.data.push(line.startsWith('..') ? line.slice(1) : line);
      }
      return;
    }
    const match = /^(\d{3})([ +-])(.*)$/.exec(line);
    if (match === null) return;
    const [, code = '', sep, text = ''] = match;
    this.lines.push(text);
    if (sep === '+') this.data = [];
    if (sep !== ' ') return;
    const lines = this.lines;
    this.lines = [];
    if (code.startsWith('6')) return; // an asynchronous event, not a reply
    const entry = this.pending.shift();
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.resolve({ code: Number(code), lines });
  }

  private failAll(err: Error): void {
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
  }
}

/** The ns consensus an authority serves on its DirPort now, or '' if it has none yet (or does not answer). */
export async function fetchConsensus(host: string, dirPort: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host, port: dirPort, path: '/tor/status-vote/current/consensus', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve(res.statusCode === 200 ? body : '');
      });
      res.on('error', () => {
        resolve('');
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve('');
    });
  });
}

/** True when `consensus` lists every relay in `nicknames` as Running and Valid. */
export function consensusHasAll(consensus: string, nicknames: readonly string[]): boolean {
  const flags = new Map<string, string>();
  let current = '';
  for (const line of consensus.split('\n')) {
    if (line.startsWith('r ')) current = line.split(' ')[1] ?? '';
    else if (line.startsWith('s ') && current !== '') flags.set(current, line);
  }
  return nicknames.every((n) => {
    const s = flags.get(n) ?? '';
    return s.includes(' Running') && s.includes(' Valid');
  });
}
