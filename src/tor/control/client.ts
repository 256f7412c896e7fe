/**
 * A typed client of tor's control port (torspec control-spec): one persistent connection over TCP or a Unix socket.
 *
 * Why not the npm package `tor-control` (0.0.3): it authenticates by password only (no SAFECOOKIE, which is what a
 * tor started with CookieAuthentication offers, as Tor Browser does), treats each socket chunk as one reply (a reply
 * split over two TCP segments, or two replies in one, are misread), and has no async events, so bootstrap progress,
 * circuits and streams cannot be followed. Those are the three things this client exists for.
 *
 * Behaviour:
 *   - Commands are queued FIFO and sent one at a time: the next goes out when the previous one's reply is in, so
 *     replies are matched in order. Replies with status 6xx are async events and go to event listeners only.
 *   - Every command has a timeout (from the moment it is queued). A command that times out before it was sent is just
 *     dropped. One that times out after it was sent breaks the connection: its reply may still come and would be
 *     matched to the next command, so the client closes instead of guessing.
 *   - A malformed reply (TorProtocolError), a reply nobody asked for, tor closing the connection, a socket error or
 *     close(): the connection is closed and every pending command is rejected at once with a typed error; every later
 *     call fails fast with TorConnectionClosedError (whose `cause` says why). A client connects once; make a new one
 *     to reconnect.
 *   - An event whose body does not parse as its type is still given to onAnyEvent listeners (the connection stays up);
 *     a listener that throws does not disturb the client (the error goes to `onListenerError`).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { authenticate, type AuthOptions } from './auth';
import { TorAbortedError, TorAuthError, TorCommandError, TorConnectError, TorConnectionClosedError, TorError, TorProtocolError, TorTimeoutError } from './errors';
import { isTorEventName, rawEvent, typedEvent, type RawTorEvent, type TorEventMap, type TorEventName } from './events';
import type { AuthMethod } from './parsers';
import { ReplyParser, type ParserLimits, type Reply } from './reply-parser';
import { assertCommandLine } from './syntax';
import { TorCommands } from './commands';

export type TorControlEndpoint = { readonly host: string; readonly port: number } | { readonly path: string };

export interface TorControlOptions {
  /** Default timeout of each command, in ms (10 s). */
  readonly commandTimeoutMs?: number;
  readonly limits?: Partial<ParserLimits>;
  /** Gets what an event listener threw, and event bodies that did not parse. Default: a line on stderr. */
  readonly onListenerError?: (err: unknown) => void;
}

interface Pending {
  readonly line: string;
  readonly keyword: string;
  readonly timeoutMs: number;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: TorError) => void;
  timer: NodeJS.Timeout | undefined;
  sent: boolean;
}

type Listener<T> = (event: T) => void;

export class TorControlClient extends TorCommands {
  private readonly parser: ReplyParser;
  private readonly commandTimeoutMs: number;
  private readonly onListenerError: (err: unknown) => void;
  private socket: Socket | undefined;
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  /** While connect() waits: ends it early (close() called meanwhile). */
  private abortConnect: ((err: TorError) => void) | undefined;
  private closedBy: TorError | undefined;
  private readonly queue: Pending[] = [];
  private readonly typed = new Map<TorEventName, Set<Listener<never>>>();
  private readonly any = new Set<Listener<RawTorEvent>>();
  private readonly closeListeners = new Set<Listener<TorError>>();

  constructor(
    readonly endpoint: TorControlEndpoint,
    options: TorControlOptions = {},
  ) {
    super();
    this.parser = new ReplyParser(options.limits);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.onListenerError =
      options.onListenerError ??
      ((err) => {
        console.error('[tor-control] an event listener failed:', err instanceof Error ? err.name : 'error');
      });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Why the connection closed (undefined while it is not closed). */
  get closeReason(): TorError | undefined {
    return this.closedBy;
  }

  async connect(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    if (this.state !== 'new') throw new TorConnectionClosedError('this client was already connected once; make a new one');
    if (opts.signal?.aborted === true) throw new TorAbortedError('Connecting to the Tor control port', { cause: opts.signal.reason });
    this.state = 'connecting';
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    const ep = this.endpoint;
    const sock = 'path' in ep ? netConnect({ path: ep.path }) : netConnect({ host: ep.host, port: ep.port });
    this.socket = sock;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: TorError): void => {
        clearTimeout(timer);
        this.abortConnect = undefined;
        opts.signal?.removeEventListener('abort', onAbort);
        sock.off('connect', onConnect);
        sock.off('error', onError);
        if (err === undefined) {
          this.attach(sock);
          resolve();
          return;
        }
        sock.on('error', () => undefined);
        sock.destroy();
        if (this.state !== 'closed') {
          this.state = 'closed';
          this.closedBy = new TorConnectionClosedError('it never opened', { cause: err });
        }
        reject(err);
      };
      const onConnect = (): void => {
        settle();
      };
      const onError = (err: Error): void => {
        settle(new TorConnectError({ cause: err }));
      };
      const onAbort = (): void => {
        settle(new TorAbortedError('Connecting to the Tor control port', { cause: opts.signal?.reason }));
      };
      const timer = setTimeout(() => {
        settle(new TorTimeoutError('connect', timeoutMs));
      }, timeoutMs);
      this.abortConnect = settle;
      sock.once('connect', onConnect);
      sock.once('error', onError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private attach(sock: Socket): void {
    this.state = 'open';
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    sock.on('error', (err) => {
      this.fail(new TorConnectionClosedError('a socket error', { cause: err }));
    });
    sock.on('close', () => {
      const partial = this.parser.inReply ? ' in the middle of a reply' : '';
      this.fail(new TorConnectionClosedError(`tor closed it${partial}`));
    });
  }

  /** Sends one command line and resolves with its reply, whatever its status. */
  async request(line: string, timeoutMs?: number): Promise<Reply> {
    assertCommandLine(line);
    if (this.state !== 'open') throw this.closedBy ?? new TorConnectionClosedError('connect() has not finished');
    const ms = timeoutMs ?? this.commandTimeoutMs;
    const keyword = /^[A-Za-z_+]+/.exec(line)?.[0] ?? 'a command';
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = { line, keyword, timeoutMs: ms, resolve, reject, timer: undefined, sent: false };
      p.timer = setTimeout(() => {
        this.onTimeout(p);
      }, ms);
      this.queue.push(p);
      this.pump();
    });
  }

  /** Like request(), but a 4xx/5xx reply is thrown as TorCommandError. */
  override async command(line: string, timeoutMs?: number): Promise<Reply> {
    const reply = await this.request(line, timeoutMs);
    if (reply.status >= 400) {
      const keyword = /^[A-Za-z_+]+/.exec(line)?.[0] ?? 'a command';
      throw new TorCommandError(keyword, reply.status, reply.lines.map((l) => l.text).join('\n'));
    }
    return reply;
  }

  /** PROTOCOLINFO, then the best method tor offers (see auth.ts). Returns the method used. A failure closes. */
  async authenticate(opts: AuthOptions = {}): Promise<AuthMethod> {
    try {
      return await authenticate((line, ms) => this.command(line, ms), opts);
    } catch (err) {
      // tor drops a connection after a failed AUTHENTICATE; after a bad SAFECOOKIE challenge we drop it ourselves.
      const e = err instanceof TorError ? err : new TorConnectionClosedError('authentication failed', { cause: err });
      this.fail(e);
      throw e;
    }
  }

  /** Calls `listener` with each event of that name (after setEvents asked tor for it). Returns an unsubscribe. */
  onEvent<K extends TorEventName>(name: K, listener: Listener<TorEventMap[K]>): () => void {
    let set = this.typed.get(name);
    if (set === undefined) {
      set = new Set();
      this.typed.set(name, set);
    }
    const s = set as Set<Listener<TorEventMap[K]>>;
    s.add(listener);
    return () => s.delete(listener);
  }

  /** Every async event, typed or not, raw. */
  onAnyEvent(listener: Listener<RawTorEvent>): () => void {
    this.any.add(listener);
    return () => this.any.delete(listener);
  }

  /** Called once, with the reason, when the connection closes for any reason. */
  onClose(listener: Listener<TorError>): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Closes the connection (pending commands are rejected) and resolves when the socket is gone (at most 2 s). */
  async close(): Promise<void> {
    const sock = this.socket;
    this.fail(new TorConnectionClosedError('closed by Cove'));
    if (sock === undefined || sock.closed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      sock.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private pump(): void {
    const head = this.queue[0];
    if (head === undefined || head.sent || this.state !== 'open' || this.socket === undefined) return;
    head.sent = true;
    this.socket.write(`${head.line}\r\n`);
  }

  private onTimeout(p: Pending): void {
    p.timer = undefined;
    const err = new TorTimeoutError(p.keyword, p.timeoutMs);
    if (p.sent) {
      this.fail(err);
      return;
    }
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
    p.reject(err);
  }

  private onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.parser.push(chunk);
    } catch (err) {
      this.fail(err instanceof TorError ? err : new TorProtocolError('the parser failed', { cause: err }));
      return;
    }
    for (const reply of replies) {
      if (this.state !== 'open') return;
      if (reply.status >= 600) {
        this.dispatch(reply);
        continue;
      }
      const head = this.queue[0];
      if (head?.sent !== true) {
        this.fail(new TorProtocolError(`a ${reply.status} reply came while no command was waiting`));
        return;
      }
      this.queue.shift();
      clearTimeout(head.timer);
      head.resolve(reply);
      this.pump();
    }
  }

  private dispatch(reply: Reply): void {
    let raw: RawTorEvent;
    try {
      raw = rawEvent(reply);
    } catch (err) {
      this.fail(err instanceof TorError ? err : new TorProtocolError('an event is malformed', { cause: err }));
      return;
    }
    for (const l of this.any) this.safely(() => { l(raw); });
    if (!isTorEventName(raw.name)) return;
    const set = this.typed.get(raw.name);
    if (set === undefined || set.size === 0) return;
    let typed;
    try {
      typed = typedEvent(raw);
    } catch (err) {
      this.onListenerError(err);
      return;
    }
    if (typed === undefined) return;
    const ev = typed.event;
    for (const l of set as Set<Listener<typeof ev>>) this.safely(() => { l(ev); });
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err);
    }
  }

  /** Closes for good: every pending command is rejected now, every later call fails fast. */
  private fail(reason: TorError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedBy = reason instanceof TorConnectionClosedError ? reason : new TorConnectionClosedError(closeWords(reason), { cause: reason });
    this.abortConnect?.(this.closedBy);
    const pending = this.queue.splice(0);
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(p.sent ? reason : this.closedBy);
    }
    this.socket?.destroy();
    for (const l of this.closeListeners) this.safely(() => { l(reason); });
    this.closeListeners.clear();
  }
}

function closeWords(reason: TorError): string {
  if (reason instanceof TorProtocolError) return 'tor sent a malformed reply';
  if (reason instanceof TorTimeoutError) return 'a command sent to tor timed out';
  if (reason instanceof TorAuthError) return 'authentication failed';
  return 'after an error';
}
