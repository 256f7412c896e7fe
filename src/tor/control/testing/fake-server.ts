/**
 * A scripted stand-in for tor's control port, for the client's protocol unit tests only: a net.Server on 127.0.0.1
 * (or a Unix socket) whose every connection is handed to a test-written handler that reads command lines and writes
 * whatever bytes the test wants, well-formed or not. The proof against a real tor is
 * test/integration/tor-control.test.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';

export class FakeConnection {
  /** Every command line received, in order, without CRLF. */
  readonly received: string[] = [];
  private buf = '';
  private waiters: ((line: string | undefined) => void)[] = [];
  private unread: string[] = [];
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let i = this.buf.indexOf('\r\n'); i >= 0; i = this.buf.indexOf('\r\n')) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        this.received.push(line);
        const w = this.waiters.shift();
        if (w === undefined) this.unread.push(line);
        else w(line);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    });
  }

  /** The next command line, or undefined once the client has gone (or after `timeoutMs`). */
  async nextLine(timeoutMs = 5000): Promise<string | undefined> {
    const line = this.unread.shift();
    if (line !== undefined) return line;
    if (this.ended) return undefined;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (l: string | undefined): void => {
        clearTimeout(t);
        resolve(l);
      };
      this.waiters.push(done);
    });
  }

  send(data: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class FakeControlServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly connections: readonly FakeConnection[],
    private readonly sockets: Set<Socket>,
  ) {}

  /** Listens on 127.0.0.1 (a free port) or on `path`; runs `handler` for each connection. */
  static async start(handler: (conn: FakeConnection) => void | Promise<void>, path?: string): Promise<FakeControlServer> {
    const sockets = new Set<Socket>();
    const connections: FakeConnection[] = [];
    const server = createServer((sock) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      const conn = new FakeConnection(sock);
      connections.push(conn);
      void Promise.resolve(handler(conn)).catch(() => {
        sock.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (path === undefined) server.listen({ host: '127.0.0.1', port: 0 }, resolve);
      else server.listen({ path }, resolve);
    });
    const addr = server.address();
    return new FakeControlServer(server, addr !== null && typeof addr === 'object' ? addr.port : 0, connections, sockets);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

export const OK = '250 OK\r\n';
