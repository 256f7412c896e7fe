/**
 * One XMPP account: one @xmpp/client whose every connection is opened by the privacy mode's Transport (see
 * socket.ts), TLS checked against the CA given (the system's by default), SCRAM login, XEP-0198 stream management
 * and reconnects that back off. What the UI sees is a typed `state` event:
 *   connecting → online (a new session, or `resumed: true` after XEP-0198 resumption, which @xmpp/client signals
 *   only by streamManagement 'resumed' — it sets the status without an 'online' event) → offline (retrying or not)
 *   and `error` with a typed reason. auth-failed and tls-failed stop the account (retrying cannot fix them); the
 *   others (unreachable, transport-down, stream-error, timeout) are retried with back-off until stop().
 *
 * Incoming messages and presences are validated (a `from` that is a JID), passed through the inbound filters (the
 * block list drops here) and re-emitted; anything dropped becomes a `rejected` event. Nothing is logged with a JID
 * or an address: the Logger redacts, and the messages here name neither.
 */
import { EventEmitter } from 'node:events';
import { client as xmppClient, xml, type Client, type Element, type JID } from '@xmpp/client';
import type { Logger } from '../log/redact';
import { CoveError } from '../api/result';
import { FATAL_REASONS, NotOnlineError, requestError, withTimeout, XmppAccountError, type FailureReason } from './errors';
import { register, type RegisterOptions, type RegistrationOutcome } from './register';
import { classifyFailure, DEFAULT_TIMEOUT_MS, endpointPool, pickMechanism, serviceUri, trackEndpoints, transportSocket, type ConnectionSettings } from './connection';
import type { EndpointPool } from './endpoints';
import { closeClient, requireTls, useBackoff, useTransport } from './socket';
import { guarded, safeJid, type Rejection, type RejectionReason } from './validate';

export type { ConnectionSettings, ServerEndpoint } from './connection';

export interface XmppAccountOptions extends ConnectionSettings {
  username: string;
  password: string;
  resource?: string;
  backoff?: { minMs?: number; maxMs?: number };
  logger?: Logger;
}

export type AccountState =
  | { readonly state: 'connecting' }
  | { readonly state: 'online'; readonly resumed: boolean }
  | { readonly state: 'offline'; readonly retrying: boolean; readonly reason?: FailureReason }
  | { readonly state: 'error'; readonly reason: FailureReason; readonly error: XmppAccountError };

/** Returns a reason to drop the stanza, or undefined to let it through. */
export type InboundFilter = (stanza: Element, from: JID) => RejectionReason | undefined;

export interface AccountEvents {
  state: [AccountState];
  /** A validated incoming message (from = its sender). */
  message: [message: Element, from: JID];
  /** A validated incoming presence. */
  presence: [presence: Element, from: JID];
  /** A stanza the account layer dropped, and why. */
  rejected: [Rejection];
}

export class XmppAccount extends EventEmitter<AccountEvents> {
  /** XEP-0077 in-band registration on a server the user picks (see register.ts). */
  static register(options: RegisterOptions): Promise<RegistrationOutcome> {
    return register(options);
  }

  readonly client: Client;
  readonly timeoutMs: number;
  /** With several endpoints (failover, load balance): their pool and health; undefined with one `server`. */
  readonly endpoints: EndpointPool | undefined;
  private readonly filters: InboundFilter[] = [];
  private stopping = false;
  private halted = false;
  private lastFailure: FailureReason | undefined;
  private current: AccountState = { state: 'offline', retrying: false };

  constructor(private readonly options: XmppAccountOptions) {
    super();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = xmppClient({
      service: serviceUri(options.server),
      domain: options.domain,
      username: options.username,
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      credentials: async (authenticate, mechanisms, _fast, entity) => {
        requireTls(entity);
        await authenticate({ username: options.username, password: options.password }, pickMechanism(mechanisms));
      },
    });
    this.client.timeout = Math.min(this.timeoutMs, 10_000);
    const pool = endpointPool(options);
    this.endpoints = pool;
    const onLost = pool === undefined ? undefined : trackEndpoints(this.client, options, pool, () => !this.stopping && !this.halted);
    useTransport(this.client, {
      createSocket: transportSocket(options, pool),
      ...(onLost === undefined ? {} : { onConnectionLost: onLost }),
      timeoutMs: this.timeoutMs,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    useBackoff(this.client, options.backoff?.minMs, options.backoff?.maxMs);
    this.client.reconnect.stop();
    this.wire();
  }

  get state(): AccountState {
    return this.current;
  }

  get online(): boolean {
    return this.client.status === 'online';
  }

  /** Our bare JID (known before login). */
  get bareJid(): string {
    return `${this.options.username}@${this.options.domain}`.toLowerCase();
  }

  /** Our full JID once bound. */
  get fullJid(): string | undefined {
    return this.client.jid?.toString();
  }

  get log(): Logger | undefined {
    return this.options.logger;
  }

  /** Adds a filter every incoming message and presence passes (e.g. the block list). */
  addInboundFilter(filter: InboundFilter): void {
    this.filters.push(filter);
  }

  reject(rejection: Rejection): void {
    this.options.logger?.debug(`dropped an incoming ${rejection.stanza} (${rejection.module}: ${rejection.reason})`);
    this.emit('rejected', rejection);
  }

  /**
   * Connects and resolves once online. Rejects with XmppAccountError: for auth-failed and tls-failed the account
   * stops; for other reasons it keeps retrying with back-off in the background (see the `state` events) until stop().
   */
  async start(): Promise<void> {
    this.stopping = false;
    this.halted = false;
    this.startReconnect();
    if (this.client.status === 'online') return;
    try {
      if (this.client.status === 'offline') await withTimeout(this.client.start(), this.timeoutMs * 2, 'connecting');
      else await this.waitOnline(this.timeoutMs * 2);
    } catch (err) {
      const error = err instanceof XmppAccountError ? err : new XmppAccountError(classifyFailure(err), { cause: err });
      if (FATAL_REASONS.has(error.reason)) await this.halt();
      throw error;
    }
  }

  /** Resolves when the account is online (a new session or a resumed one). */
  async waitOnline(timeoutMs: number): Promise<void> {
    if (this.online) return;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const onState = (s: AccountState): void => {
          if (s.state === 'online') {
            this.off('state', onState);
            resolve();
          } else if (s.state === 'error' && FATAL_REASONS.has(s.reason)) {
            this.off('state', onState);
            reject(s.error);
          }
        };
        this.on('state', onState);
      }),
      timeoutMs,
      'getting online',
    );
  }

  /** Closes the stream (bounded), stops reconnecting, and destroys the socket whatever happened. Never throws. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.client.reconnect.stop();
    await closeClient(this.client);
    this.setState({ state: 'offline', retrying: false });
  }

  /** Sends a stanza; rejects with NotOnlineError when offline, XmppTimeoutError when the write hangs. */
  async send(stanza: Element): Promise<void> {
    if (!this.online) throw new NotOnlineError();
    await withTimeout(this.client.send(stanza), this.timeoutMs, `sending a ${stanza.name}`);
  }

  /** Sends an iq and resolves with the result iq; rejects with a typed error (XmppRequestError carries the condition). */
  async request(iq: Element, what: string): Promise<Element> {
    if (!this.online) throw new NotOnlineError();
    try {
      return await withTimeout(this.client.iqCaller.request(iq, this.timeoutMs), this.timeoutMs + 1000, what);
    } catch (err) {
      throw requestError(what, err);
    }
  }

  /** iq get/set with one child; resolves with the result's first child element (or undefined). */
  async iq(type: 'get' | 'set', child: Element, what: string, to?: string): Promise<Element | undefined> {
    const result = await this.request(xml('iq', { type, ...(to === undefined ? {} : { to }) }, child), what);
    return result.getChildElements()[0];
  }

  private startReconnect(): void {
    this.client.reconnect.stop();
    this.client.reconnect.start();
  }

  private setState(next: AccountState): void {
    this.current = next;
    this.emit('state', next);
  }

  private async halt(): Promise<void> {
    this.halted = true;
    await this.stop();
  }

  private wire(): void {
    const c = this.client;
    c.on('status', (status) => {
      if (status === 'connecting' && !this.stopping) this.setState({ state: 'connecting' });
    });
    c.on('online', () => {
      this.lastFailure = undefined;
      this.setState({ state: 'online', resumed: false });
    });
    c.streamManagement.on('resumed', () => {
      this.lastFailure = undefined;
      this.setState({ state: 'online', resumed: true });
    });
    c.on('disconnect', () => {
      if (this.stopping) return;
      this.setState({ state: 'offline', retrying: !this.halted, ...(this.lastFailure === undefined ? {} : { reason: this.lastFailure }) });
    });
    c.on('error', (err) => {
      this.onError(err);
    });
    c.on(
      'stanza',
      guarded(
        'account',
        (r) => {
          this.reject(r);
        },
        (stanza) => {
          this.onStanza(stanza);
        },
      ),
    );
  }

  private onError(err: Error): void {
    const reason = classifyFailure(err);
    // Once online, only a stream error says the connection is in trouble; other errors are one handler's business.
    if (this.online && reason !== 'stream-error') {
      this.options.logger?.warn('an XMPP handler failed', err);
      return;
    }
    if (this.stopping) return;
    this.options.logger?.warn(`connection problem: ${reason}`, err instanceof CoveError ? err : undefined);
    this.lastFailure = reason;
    this.setState({ state: 'error', reason, error: new XmppAccountError(reason, { cause: err }) });
    if (FATAL_REASONS.has(reason) && !this.halted) void this.halt();
  }

  private onStanza(stanza: Element): void {
    if (!stanza.is('message') && !stanza.is('presence')) return;
    const fromAttr = stanza.attrs.from;
    if (fromAttr === undefined) {
      // A presence/message without 'from' comes from our own account on the server: nothing a contact sent.
      this.reject({ module: 'account', stanza: stanza.name, reason: 'missing-attribute' });
      return;
    }
    const from = safeJid(fromAttr);
    if (from === undefined) {
      this.reject({ module: 'account', stanza: stanza.name, reason: 'bad-jid' });
      return;
    }
    for (const filter of this.filters) {
      const reason = filter(stanza, from);
      if (reason !== undefined) {
        this.reject({ module: 'account', stanza: stanza.name, reason });
        return;
      }
    }
    if (stanza.is('message')) this.emit('message', stanza, from);
    else this.emit('presence', stanza, from);
  }
}
