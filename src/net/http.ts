/**
 * HTTP(S) over the privacy mode's Transport: the server directory and any other web request take the same path as
 * XMPP (Direct, SOCKS5, VPN or Tor), never the platform's own stack. The socket is opened by the Transport first,
 * then handed to node:http as an already-connected connection; for https TLS runs over it, verified against the
 * host name. Bodies are capped, every request has a deadline, and no redirect is followed (a redirect could point
 * anywhere: the caller decides).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AbortedError, ConnectTimeoutError, NetError } from './errors';
import type { ConnectOptions, Transport } from './transport';

export class HttpError extends NetError {
  override name = 'HttpError';
}

export interface FetchOptions extends ConnectOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Largest body accepted (default 4 MiB). */
  maxBytes?: number;
  /** Extra CA certificates (PEM) for https. */
  ca?: string | Buffer;
}

export interface FetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export async function fetchVia(transport: Transport, url: string, o: FetchOptions = {}): Promise<FetchResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HttpError('invalid-url', 'The address is not a valid URL.');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HttpError('invalid-url', 'Only http and https addresses can be fetched.');
  const secure = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const raw = await transport.connect({ host, port }, { ...o, timeoutMs });
  let socket: Socket = raw;
  try {
    if (secure) socket = await startTls(raw, host, o.ca, deadline - Date.now());
    return await exchange(socket, u, o, deadline);
  } finally {
    socket.destroy();
    raw.destroy();
  }
}

async function startTls(raw: Socket, servername: string, ca: string | Buffer | undefined, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket: raw, servername, minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }) });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(new ConnectTimeoutError(timeoutMs));
    }, Math.max(1, timeoutMs));
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tls);
    });
    tls.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(new HttpError('tls-failed', `The secure connection failed: ${err.message}`, { cause: err }));
    });
  });
}

async function exchange(socket: Socket, u: URL, o: FetchOptions, deadline: number): Promise<FetchResult> {
  const maxBytes = o.maxBytes ?? 4 * 1024 * 1024;
  return new Promise<FetchResult>((resolve, reject) => {
    const req = httpRequest({
      createConnection: () => socket,
      method: o.method ?? 'GET',
      host: u.hostname,
      path: `${u.pathname}${u.search}`,
      headers: { host: u.host, 'user-agent': 'Cove', accept: '*/*', connection: 'close', ...o.headers },
    });
    const fail = (err: NetError): void => {
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(new ConnectTimeoutError(o.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    }, Math.max(1, deadline - Date.now()));
    const onAbort = (): void => {
      fail(new AbortedError());
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (err) => {
      fail(err instanceof NetError ? err : new HttpError('http-failed', `The request failed: ${err.message}`, { cause: err }));
    });
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) fail(new HttpError('response-too-large', `The response is larger than ${String(maxBytes)} bytes.`));
        else chunks.push(c);
      });
      res.once('end', () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.once('error', (err) => {
        fail(new HttpError('http-failed', `The response broke off: ${err.message}`, { cause: err }));
      });
    });
    req.end(o.body);
  });
}
