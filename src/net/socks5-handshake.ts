/**
 * The SOCKS5 client handshake (RFC 1928, RFC 1929 username/password), written here rather than taken from the `socks`
 * package: that package accepted CONNECT replies with an unknown address type as success (our fuzz test found it),
 * and a proxy's reply must be validated strictly before a single byte of the user's stream is sent. It also knows
 * tor's extended reply codes (onion service errors), which a person needs to see in words.
 *
 * Strict means: version 5 everywhere (1 in the auth reply), the method we offered and no other, reserved byte 0,
 * address type 1, 3 or 4 with its exact length, and nothing but the stream's own bytes after the reply (handed back
 * to the socket with unshift, never dropped).
 */
import { isIP, type Socket } from 'node:net';
import { AbortedError, ConnectTimeoutError, ProxyAuthError, ProxyProtocolError, ProxyRefusedError } from './errors';

export interface HandshakeOptions {
  target: { host: string; port: number };
  username?: string;
  password?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Names the proxy in errors: "The SOCKS5 proxy", "Tor". */
  what: string;
}

/** RFC 1928 reply codes, and tor's extended ones (tor's SocksPort ExtendedErrors, and always for onion addresses). */
const REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by its rules',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused by the server',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
  0xf0: 'the onion service was not found (its descriptor is not published)',
  0xf1: 'the onion service descriptor is invalid',
  0xf2: 'the onion service could not be reached (introduction failed)',
  0xf3: 'the onion service could not be reached (rendezvous failed)',
  0xf4: 'the onion service needs client authorization',
  0xf5: 'the onion service refused the client authorization',
  0xf6: 'the onion address is not valid',
  0xf7: 'the onion service did not answer in time',
};

export function replyText(code: number): string {
  return REPLIES[code] ?? `reply code ${String(code)}`;
}

function addressOf(host: string): Buffer {
  const v = isIP(host);
  if (v === 4) return Buffer.from([1, ...host.split('.').map(Number)]);
  if (v === 6) {
    const groups = expandV6(host);
    const b = Buffer.alloc(17);
    b[0] = 4;
    groups.forEach((g, i) => b.writeUInt16BE(g, 1 + i * 2));
    return b;
  }
  const name = Buffer.from(host, 'utf8');
  if (name.length < 1 || name.length > 255) throw new ProxyProtocolError('Cove', 'a host name must be 1 to 255 bytes');
  return Buffer.concat([Buffer.from([3, name.length]), name]);
}

function expandV6(host: string): number[] {
  const [head = '', tail] = host.split('::');
  const part = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const a = part(head);
  const b = tail === undefined ? [] : part(tail);
  return [...a, ...Array<number>(8 - a.length - b.length).fill(0), ...b];
}

/** Reads exact byte counts from a socket during the handshake; everything after is unshifted back. */
class Reader {
  private buf = Buffer.alloc(0);
  private want: { n: number; resolve: (b: Buffer) => void } | undefined;
  private failed: Error | undefined;
  private onFail: ((e: Error) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = Buffer.concat([this.buf, chunk]);
    this.pump();
  };

  fail(err: Error): void {
    this.failed ??= err;
    this.onFail?.(err);
  }

  private pump(): void {
    if (this.want !== undefined && this.buf.length >= this.want.n) {
      const { n, resolve } = this.want;
      this.want = undefined;
      const out = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      resolve(out);
    }
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed !== undefined) {
        reject(this.failed);
        return;
      }
      this.onFail = reject;
      this.want = { n, resolve };
      this.pump();
    });
  }

  /** Stops reading and gives any bytes after the reply back to the socket. */
  release(): void {
    this.socket.off('data', this.onData);
    if (this.buf.length > 0) this.socket.unshift(this.buf);
  }
}

export async function socks5Handshake(socket: Socket, o: HandshakeOptions): Promise<void> {
  const { what } = o;
  const reader = new Reader(socket);
  const onClose = (): void => {
    reader.fail(new ProxyProtocolError(what, 'it closed the connection during the handshake'));
  };
  const onError = (err: Error): void => {
    reader.fail(new ProxyProtocolError(what, `the connection failed during the handshake (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }));
  };
  const onAbort = (): void => {
    reader.fail(new AbortedError());
  };
  const timer = setTimeout(() => {
    reader.fail(new ConnectTimeoutError(o.timeoutMs));
  }, o.timeoutMs);
  socket.once('close', onClose);
  socket.on('error', onError);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted === true) throw new AbortedError();
    const auth = o.username !== undefined && o.password !== undefined;
    const method = auth ? 2 : 0;
    socket.write(Buffer.from([5, 1, method]));
    const [ver, chosen] = await reader.read(2);
    if (ver !== 5) throw new ProxyProtocolError(what, 'its greeting is not SOCKS version 5');
    if (chosen === 0xff) throw new ProxyAuthError(what);
    if (chosen !== method) throw new ProxyProtocolError(what, 'it chose an authentication method Cove did not offer');
    if (auth) {
      const u = Buffer.from(o.username ?? '', 'utf8');
      const p = Buffer.from(o.password ?? '', 'utf8');
      socket.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
      const [aver, status] = await reader.read(2);
      if (aver !== 1) throw new ProxyProtocolError(what, 'its authentication reply has the wrong version');
      if (status !== 0) throw new ProxyAuthError(what);
    }
    const port = Buffer.alloc(2);
    port.writeUInt16BE(o.target.port);
    socket.write(Buffer.concat([Buffer.from([5, 1, 0]), addressOf(o.target.host), port]));
    const [rver, rep, rsv, atyp] = await reader.read(4);
    if (rver !== 5) throw new ProxyProtocolError(what, 'its reply is not SOCKS version 5');
    if (rep !== 0) throw new ProxyRefusedError(what, replyText(rep ?? 1));
    if (rsv !== 0) throw new ProxyProtocolError(what, 'its reply has a non-zero reserved byte');
    if (atyp === 1) await reader.read(4 + 2);
    else if (atyp === 4) await reader.read(16 + 2);
    else if (atyp === 3) {
      const [len = 0] = await reader.read(1);
      if (len === 0) throw new ProxyProtocolError(what, 'its reply has an empty host name');
      await reader.read(len + 2);
    } else throw new ProxyProtocolError(what, 'its reply has an unknown address type');
  } finally {
    clearTimeout(timer);
    socket.off('close', onClose);
    socket.off('error', onError);
    o.signal?.removeEventListener('abort', onAbort);
    reader.release();
  }
}
