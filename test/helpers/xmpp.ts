/**
 * XMPP test helpers over real connections: XEP-0077 in-band registration, an online client, waits for stanzas.
 * Every connection goes through the core's src/xmpp/socket.ts: a socket of our choosing (the core's direct TCP to an
 * IP by default, or `createSocket` for SOCKS5/Tor), Nagle off, STARTTLS checked against the given CA, no DNS/SRV/host-meta
 * look-up, no credentials without TLS, and a fast SCRAM-SHA-1.
 *
 * Registration is done on the client's own stream rather than a hand-written one: @xmpp/client calls a
 * `credentials` handler when the server offers SASL, i.e. after STARTTLS and before authentication, exactly when
 * XEP-0077 wants the <iq type='set'><query xmlns='jabber:iq:register'/></iq>. Our handler sends that iq, then logs
 * in with the new account on the same stream, which also proves the account works.
 */
import { isIP } from 'node:net';
import { client as xmppClient, xml, type Client, type CredentialsHandler, type Element } from '@xmpp/client';
import { openTcp } from '../../src/net/direct';
import { closeClient, requireTls, useBackoff, useTransport, type CreateSocket } from '../../src/xmpp/socket';

export type { CreateSocket, SocketTarget } from '../../src/xmpp/socket';

/** A direct TCP connect to an IP literal only: the tests make no DNS look-up. */
function directToIp(timeoutMs: number): CreateSocket {
  return async ({ host, port }) => {
    if (isIP(host) === 0) throw new XmppHelperError(`refusing to resolve ${host}: pass an IP address (no DNS look-ups)`);
    return openTcp(host, port, { timeoutMs });
  };
}

export class XmppHelperError extends Error {
  override name = 'XmppHelperError';
}

/** The client did not get online: socket, TLS, stream or authentication failure. `code` is e.g. 'ECONNREFUSED'. */
export class XmppConnectError extends XmppHelperError {
  override name = 'XmppConnectError';
  readonly code: string | undefined;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    const code: unknown = cause instanceof Error ? Reflect.get(cause, 'code') : undefined;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** The server answered the registration with an error; `condition` is the stanza error, e.g. 'conflict'. */
export class XmppRegistrationError extends XmppHelperError {
  override name = 'XmppRegistrationError';
  constructor(
    readonly condition: string,
    cause: unknown,
  ) {
    super(`registration refused: ${condition}`, { cause });
  }
}

export class XmppTimeoutError extends XmppHelperError {
  override name = 'XmppTimeoutError';
}

export interface ServerAddress {
  /** An IP address, unless `createSocket` is given (then whatever it understands, e.g. an .onion name). */
  host: string;
  port: number;
  /** The XMPP domain; also the TLS servername. */
  domain: string;
  /** PEM text of the CA that signed the server's certificate. */
  ca: string | Buffer;
  /** Connect some other way than a direct TCP connection (SOCKS5, Tor): must return a connected net.Socket. */
  createSocket?: CreateSocket;
  /** Budget for getting online (default 15 s). */
  timeoutMs?: number;
}

export interface AccountOptions extends ServerAddress {
  username: string;
  password: string;
}

export interface ConnectOptions extends AccountOptions {
  resource?: string;
  /** Send initial presence and wait for the server to reflect it (default true): needed to get bare-JID messages. */
  presence?: boolean;
  /** Keep @xmpp/client's automatic reconnect (default false: tests decide when to reconnect). */
  reconnect?: boolean;
}

const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_SM = 'urn:xmpp:sm:3';
const NS_REGISTER = 'jabber:iq:register';

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new XmppTimeoutError(`timed out after ${timeoutMs} ms: ${what}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pickMechanism(mechanisms: readonly string[]): string {
  const choice = mechanisms.includes('SCRAM-SHA-1') ? 'SCRAM-SHA-1' : mechanisms[0];
  if (choice === undefined) throw new XmppHelperError('no SASL mechanism in common with the server');
  return choice;
}

// Errors a client emitted, for post-mortems (an 'error' event without a listener would crash the process).
const emittedErrors = new WeakMap<Client, Error[]>();

/** Errors the client emitted since it was made (stream errors, socket errors, failed handlers). */
export function clientErrors(client: Client): readonly Error[] {
  return emittedErrors.get(client) ?? [];
}

function makeClient(opts: AccountOptions & { resource?: string; reconnect?: boolean }, credentials: CredentialsHandler): Client {
  if (opts.createSocket === undefined && isIP(opts.host) === 0) {
    throw new XmppHelperError(`host must be an IP address (no DNS look-ups): ${opts.host}`);
  }
  const host = isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host;
  const client = xmppClient({
    service: `xmpp://${host}:${opts.port}`,
    domain: opts.domain,
    username: opts.username,
    ...(opts.resource === undefined ? {} : { resource: opts.resource }),
    credentials,
  });
  const errors: Error[] = [];
  emittedErrors.set(client, errors);
  client.on('error', (err) => errors.push(err));
  if (opts.reconnect === true) useBackoff(client);
  else client.reconnect.stop();
  useTransport(client, { ca: opts.ca, createSocket: opts.createSocket ?? directToIp(opts.timeoutMs ?? 10_000) });
  return client;
}

async function goOnline(client: Client, opts: ServerAddress, what: string): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  try {
    await withTimeout(client.start(), timeoutMs, what);
  } catch (err) {
    await stopClient(client);
    if (err instanceof XmppRegistrationError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new XmppConnectError(`${what} failed: ${why}`, err);
  }
}

/**
 * Creates an account with XEP-0077 in-band registration (see the top of this file), logs in with it once to prove
 * it, and disconnects. Rejects with XmppRegistrationError (e.g. 'conflict' if the user exists) or XmppConnectError.
 */
export async function registerAccount(opts: AccountOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const client = makeClient(opts, async (authenticate, mechanisms, _fast, entity) => {
    requireTls(entity);
    const iq = xml(
      'iq',
      { type: 'set', to: opts.domain },
      xml('query', { xmlns: NS_REGISTER }, xml('username', {}, opts.username), xml('password', {}, opts.password)),
    );
    try {
      await entity.iqCaller.request(iq, timeoutMs);
    } catch (err) {
      const condition: unknown = err instanceof Error ? Reflect.get(err, 'condition') : undefined;
      throw new XmppRegistrationError(typeof condition === 'string' ? condition : String(err), err);
    }
    await authenticate({ username: opts.username, password: opts.password }, pickMechanism(mechanisms));
  });
  await goOnline(client, opts, `registering ${opts.username}@${opts.domain}`);
  await stopClient(client);
}

/**
 * An online client: TLS, authenticated, resource bound, stream management enabled when the server offers it
 * (waited for: acks only count after <enabled/>), and by default initial presence sent and reflected.
 */
export async function connectClient(opts: ConnectOptions): Promise<Client> {
  const client = makeClient(opts, async (authenticate, mechanisms, _fast, entity) => {
    requireTls(entity);
    await authenticate({ username: opts.username, password: opts.password }, pickMechanism(mechanisms));
  });
  const what = `connecting ${opts.username}@${opts.domain}`;
  const smSettled = watchStreamManagement(client);
  await goOnline(client, opts, what);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  try {
    await smSettled(timeoutMs);
    if (opts.presence !== false) {
      const self = client.jid?.toString();
      const reflected = waitForStanza(client, (s) => s.is('presence') && s.attrs.from === self && s.attrs.type === undefined, timeoutMs);
      await sendStanza(client, xml('presence'), timeoutMs);
      await reflected;
    }
  } catch (err) {
    await stopClient(client);
    throw new XmppConnectError(`${what} failed after login: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  return client;
}

/** Resolves once <enabled/> or <failed/> answered <enable/>, if the last stream features offered XEP-0198. */
function watchStreamManagement(client: Client): (timeoutMs: number) => Promise<void> {
  let offered = false;
  let settled = false;
  let wake: (() => void) | undefined;
  const onNonza = (el: Element): void => {
    if (el.is('features', NS_STREAM)) offered = el.getChild('sm', NS_SM) !== undefined;
    else if (el.is('enabled', NS_SM) || el.is('failed', NS_SM)) {
      settled = true;
      wake?.();
    }
  };
  client.on('nonza', onNonza);
  return async (timeoutMs) => {
    try {
      if (offered && !settled) {
        await withTimeout(new Promise<void>((resolve) => (wake = resolve)), timeoutMs, 'stream management <enabled/>');
      }
    } finally {
      client.off('nonza', onNonza);
    }
  };
}

/** Closes the stream (bounded by `timeoutMs`), then destroys the socket whatever happened. Never throws. */
export async function stopClient(client: Client, timeoutMs = 3000): Promise<void> {
  client.reconnect.stop();
  await closeClient(client, timeoutMs);
}

/** client.send with a deadline: a write that never completes must not hang a test. */
export async function sendStanza(client: Client, stanza: Element, timeoutMs = 5_000): Promise<void> {
  await withTimeout(client.send(stanza), timeoutMs, `sending <${stanza.name}/>`);
}

/**
 * Resolves with the next incoming stanza that matches. Call it BEFORE the action that causes the stanza, or it may
 * be missed.
 */
export function waitForStanza(client: Client, predicate: (stanza: Element) => boolean, timeoutMs: number, what = 'a matching stanza'): Promise<Element> {
  return new Promise((resolve, reject) => {
    const onStanza = (stanza: Element): void => {
      if (!predicate(stanza)) return;
      clearTimeout(timer);
      client.off('stanza', onStanza);
      resolve(stanza);
    };
    const timer = setTimeout(() => {
      client.off('stanza', onStanza);
      reject(new XmppTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    client.on('stanza', onStanza);
  });
}

/** The next <message/> that matches (set it up before sending). */
export function waitForMessage(client: Client, predicate: (message: Element) => boolean, timeoutMs: number): Promise<Element> {
  return waitForStanza(client, (s) => s.is('message') && predicate(s), timeoutMs, 'a matching message');
}

/** A chat message with a body (and an id, so that error bounces can be matched to it). */
export function chatMessage(to: string, body: string, id = `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`): Element {
  return xml('message', { to, type: 'chat', id }, xml('body', {}, body));
}
