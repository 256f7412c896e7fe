/** Direct mode: plain TCP. The only mode in which the core may resolve names itself (DNS, SRV). */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { AbortedError, ConnectRefusedError, ConnectTimeoutError } from './errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, validateTarget, type ConnectOptions, type Hop, type Target, type Transport } from './transport';

/** Opens a TCP connection with a deadline and an AbortSignal; errors are typed. Used by every mode for its first hop. */
export async function openTcp(
  host: string,
  port: number,
  options: ConnectOptions & { localAddress?: string } = {},
): Promise<Socket> {
  return open({ host, port, noDelay: true, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) }, options);
}

/** A local (Unix domain socket or Windows pipe) connection, e.g. to a tor control socket; same deadline and errors. */
export async function openLocal(path: string, options: ConnectOptions = {}): Promise<Socket> {
  return open({ path }, options);
}

async function open(target: NetConnectOpts, options: ConnectOptions): Promise<Socket> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (options.signal?.aborted === true) throw new AbortedError();
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect(target);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        reject(err);
      }
    };
    const onConnect = (): void => {
      finish();
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      finish(new ConnectRefusedError(err.code ?? 'error', { cause: err }));
    };
    const onAbort = (): void => {
      finish(new AbortedError());
    };
    const timer = setTimeout(() => {
      finish(new ConnectTimeoutError(timeoutMs));
    }, timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class DirectTransport implements Transport {
  readonly mode = 'direct' as const;

  firstHop(target: Target): Hop {
    return { kind: 'direct', host: target.host, port: target.port };
  }

  async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    validateTarget(target);
    return openTcp(target.host, target.port, options);
  }
}
