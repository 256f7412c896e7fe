/** A TCP echo server on a loopback address, and a round trip through any socket: the simplest proof a path works. */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../rig/util';

export interface EchoServer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** The remote address of each connection accepted, in order. */
  readonly peers: readonly string[];
  close(): Promise<void>;
}

export async function startEcho(host = '127.0.0.1'): Promise<EchoServer> {
  const port = await freePort(host);
  const peers: string[] = [];
  const server: Server = createServer((sock) => {
    peers.push(sock.remoteAddress ?? '?');
    sock.on('error', () => undefined);
    sock.pipe(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, resolve);
  });
  const echo: EchoServer = {
    host,
    port,
    get accepted() {
      return peers.length;
    },
    peers,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
  return echo;
}

/** Writes `text` and resolves with what came back once as many bytes arrived (or rejects after `timeoutMs`). */
export async function roundTrip(sock: Socket, text: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('utf8');
      if (got.length >= text.length) finish();
    };
    const onError = (err: Error): void => {
      finish(err);
    };
    const timer = setTimeout(() => {
      finish(new Error(`no echo within ${timeoutMs} ms (got ${JSON.stringify(got)})`));
    }, timeoutMs);
    function finish(err?: Error): void {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onError);
      if (err === undefined) resolve(got);
      else reject(err);
    }
    sock.on('data', onData);
    sock.once('error', onError);
    sock.write(text);
  });
}
