/**
 * Ambient types for xmpp.js 0.14 (`@xmpp/client` and the two packages whose values it re-exports), which ships none.
 * They cover what Cove uses and were written against the sources in node_modules/@xmpp/* (0.14.0) and ltx 3; what
 * a package does not promise is typed `unknown`. Members starting with `_` are internals that Cove relies on for
 * a documented reason (see test/helpers/xmpp-transport.ts); keep them in step with the pinned version.
 */

declare module '@xmpp/xml' {
  /** A child of an element: another element or text. */
  export type Node = Element | string;

  /** What the `xml()` builder accepts as children; null, undefined, booleans and '' are skipped, arrays flattened. */
  export type XmlChild = Element | string | number | boolean | null | undefined | readonly XmlChild[];

  /** Attribute values given to the builder: numbers are stringified, null/undefined dropped. */
  export type XmlAttrs = Record<string, string | number | null | undefined>;

  /** An XML element (ltx's Element). */
  export class Element {
    constructor(name: string, attrs?: Record<string, string>);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    /** Same local name and, when given, same namespace. */
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    /** The first direct child with this name (and namespace). */
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    /** Text of the first matching child, or null if there is no such child. */
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    /** Without an argument: the element's text. With one: replaces a single text child. */
    text(): string;
    text(value: string): this;
    attr(name: string): string | undefined;
    attr(name: string, value: string): this;
    /** Appends a new child element and returns the CHILD. */
    c(name: string, attrs?: Record<string, string>): Element;
    /** Appends text and returns this element. */
    t(text: string): this;
    up(): Element;
    root(): Element;
    append(...nodes: Node[]): void;
    prepend(...nodes: Node[]): void;
    remove(nameOrElement: string | Element, xmlns?: string): this;
    toString(): string;
  }

  export class XMLError extends Error {}

  /** The element builder: xml('message', { to, type: 'chat' }, xml('body', {}, 'hi')). */
  export function xml(name: string, attrs?: XmlAttrs | null, ...children: XmlChild[]): Element;
  export default xml;
}

declare module '@xmpp/jid' {
  /** An XMPP address; `local` is lower-cased, `bare()` drops the resource. */
  export class JID {
    constructor(local: string | null | undefined, domain: string, resource?: string | null);
    get local(): string;
    get domain(): string;
    get resource(): string;
    bare(): JID;
    equals(other: JID): boolean;
    getLocal(unescape?: boolean): string;
    getDomain(): string;
    getResource(): string;
    toString(unescape?: boolean): string;
  }

  /** jid('user@domain/res') parses; jid('user', 'domain', 'res') builds. Throws a TypeError on a bad address. */
  export function jid(address: string): JID;
  export function jid(local: string | null | undefined, domain: string, resource?: string | null): JID;
  export function parse(address: string): JID;
  export function equal(a: JID, b: JID): boolean;
  export default jid;
}

declare module '@xmpp/client' {
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';

  // @xmpp/client exports the values xml and jid; the classes are exported here as types only.
  export { xml } from '@xmpp/xml';
  export type { Element, XmlChild, XmlAttrs } from '@xmpp/xml';
  export { jid } from '@xmpp/jid';
  export type { JID } from '@xmpp/jid';

  export type Status =
    | 'offline'
    | 'connecting'
    | 'connect'
    | 'opening'
    | 'open'
    | 'online'
    | 'closing'
    | 'close'
    | 'disconnecting'
    | 'disconnect';

  export interface Credentials {
    username?: string;
    password?: string;
    /** SCRAM state that lets the mechanism skip PBKDF2 (sasl-scram-sha-1 checks the salt before using it). */
    salt?: Uint8Array;
    saltedPassword?: Uint8Array;
  }

  /** Runs one SASL exchange with these credentials and this mechanism name. */
  export type Authenticate = (credentials: Credentials, mechanism: string, userAgent?: Element) => Promise<void>;

  /**
   * Replaces the default "log in with username/password" step: called with the mechanisms both sides support, in
   * the client's order of preference (SCRAM-SHA-1, PLAIN, ANONYMOUS), once the server offers SASL.
   */
  export type CredentialsHandler = (
    authenticate: Authenticate,
    mechanisms: string[],
    fast: unknown,
    entity: Client,
  ) => Promise<void>;

  export interface ClientOptions {
    /**
     * 'xmpp://host:port' (TCP + STARTTLS), 'xmpps://host:port' (Direct TLS) or 'ws(s)://…'. A full URI with a port
     * skips SRV and host-meta look-ups; a bare domain triggers them.
     */
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    credentials?: Credentials | CredentialsHandler;
    resource?: string;
    lang?: string;
    /** Timeout in ms for stream open/close and other single steps (default 2000). */
    timeout?: number;
    userAgent?: Element;
  }

  /** The duck-typed socket a connection drives (net.Socket for TCP, a wrapper for TLS and WebSocket). */
  export interface XmppSocket {
    secure?: boolean;
    connect(parameters: SocketParameters): void;
    write(data: string, callback: (err?: Error | null) => void): void;
    end(): void;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
    removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
    emit(event: string, ...args: unknown[]): boolean;
  }

  export interface SocketParameters {
    host: string;
    port: number | null;
  }

  /** A transport instance; Client copies `Socket` and `socketParameters` from the prototype of the chosen one. */
  export interface Transport {
    Socket: new () => XmppSocket;
    socketParameters(service: string): SocketParameters | undefined;
  }

  /** The class of a transport (@xmpp/tcp, @xmpp/tls, @xmpp/websocket), as listed in `client.transports`. */
  export interface TransportClass {
    new (options?: ClientOptions): Transport;
    prototype: Transport;
  }

  export interface DisconnectInfo {
    clean: boolean;
    reason?: unknown;
  }

  export interface ClientEvents {
    online: [jid: JID];
    offline: [element: Element | undefined];
    /** Every incoming message, presence and iq. */
    stanza: [stanza: Element];
    /** Every incoming top-level element that is not a stanza (stream features, SASL, stream management, ...). */
    nonza: [element: Element];
    element: [element: Element];
    send: [element: Element];
    error: [error: Error];
    status: [status: Status, detail?: unknown];
    connecting: [service: string];
    connect: [];
    open: [header: Element];
    disconnect: [info: DisconnectInfo];
    close: [info: DisconnectInfo];
  }

  export interface Listening<Events extends Record<keyof Events, unknown[]>> {
    on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
    once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
    off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
    removeListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
    listenerCount(event: keyof Events): number;
    emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean;
  }

  /** What middleware sees for each incoming (use) or outgoing (filter) element. */
  export interface MiddlewareContext {
    stanza: Element;
    entity: Client;
    name: string;
    id: string;
    type: string;
    from: JID | null;
    to: JID | null;
    local: string;
    domain: string;
    resource: string;
  }

  export type Next = () => Promise<unknown>;
  export type MiddlewareHandler = (context: MiddlewareContext, next: Next) => unknown;

  export interface Middleware {
    /** Incoming elements; handlers run in the order they were added. */
    use(handler: MiddlewareHandler): MiddlewareHandler;
    /** Outgoing elements. */
    filter(handler: MiddlewareHandler): MiddlewareHandler;
  }

  export interface StreamFeatures {
    /**
     * Handles a stream feature <name xmlns=xmlns/> of a <stream:features/>; call `next()` to pass it on to the
     * handlers added after this one. Built-in handlers (starttls, sasl2, sasl, sm, bind, ...) come first.
     */
    use(
      name: string,
      xmlns: string,
      handler: (context: MiddlewareContext, next: Next, feature: Element) => unknown,
    ): MiddlewareHandler;
  }

  export interface IqCaller {
    /** Sends an iq (an id is added if missing) and resolves with the result iq; rejects with a StanzaError. */
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
    /** iq type=get with this child; resolves with the result's child of the same name and namespace. */
    get(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
    set(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  }

  export interface IqCalleeContext extends MiddlewareContext {
    /** The iq's child element. */
    element: Element;
  }

  /** A handler returns an Element (result child or <error/>), true/{} for an empty result, or nothing for an error. */
  export type IqCalleeHandler = (context: IqCalleeContext, next: Next) => unknown;

  export interface IqCallee {
    get(xmlns: string, name: string, handler: IqCalleeHandler): void;
    set(xmlns: string, name: string, handler: IqCalleeHandler): void;
  }

  export interface StreamManagementEvents {
    /** An outgoing stanza the server acknowledged. */
    ack: [stanza: Element];
    /** An outgoing stanza that was never acknowledged (stream lost without resumption). */
    fail: [stanza: Element];
    resumed: [];
  }

  /** XEP-0198. `enabled` turns true only when <enabled/> arrives, which is after 'online'. */
  export interface StreamManagement extends Listening<StreamManagementEvents> {
    enabled: boolean;
    enableSent: boolean;
    id: string;
    inbound: number;
    outbound: number;
    max: string | null;
    preferredMaximum: number | null;
    /** ms without an answer to <r/> before the connection is dropped (default 60000). */
    timeout: number;
    requestAckInterval: number;
    requestAckDebounce: number;
  }

  export interface ReconnectEvents {
    reconnecting: [];
    reconnected: [];
  }

  /** Reconnects `delay` ms after every unexpected disconnect; on by default. */
  export interface Reconnect extends Listening<ReconnectEvents> {
    delay: number;
    start(): void;
    stop(): void;
  }

  /** A SASL mechanism object as made by a saslmechanisms factory. */
  export interface SaslMechanism {
    readonly name: string;
    readonly clientFirst: boolean;
    response(credentials: Record<string, unknown>): string | Promise<string>;
    challenge(challenge: string): unknown;
  }

  export type SaslMechanismClass = new () => SaslMechanism;

  export interface SaslFactory {
    use(mechanism: SaslMechanismClass): this;
    use(name: string, mechanism: SaslMechanismClass): this;
    create(names: string[]): SaslMechanism | null;
    /** The registered mechanisms in order of preference (saslmechanisms internals, read by @xmpp/sasl too). */
    _mechs: { name: string; mech: SaslMechanismClass }[];
  }

  export interface Client extends Listening<ClientEvents> {
    readonly options: ClientOptions & { domain: string };
    readonly status: Status;
    jid: JID | null;
    socket: XmppSocket | null;
    /** Default timeout in ms of single steps (stream open/close, sendReceive). */
    timeout: number;
    readonly entity: Client;
    readonly transports: TransportClass[];
    readonly middleware: Middleware;
    readonly streamFeatures: StreamFeatures;
    readonly iqCaller: IqCaller;
    readonly iqCallee: IqCallee;
    readonly streamManagement: StreamManagement;
    readonly reconnect: Reconnect;
    readonly saslFactory: SaslFactory;

    /** Connects, negotiates and resolves with the bound JID once online. Only from status 'offline'. */
    start(): Promise<JID>;
    /** Closes the stream and the socket; status becomes 'offline'. */
    stop(): Promise<Element | undefined>;
    /** Closes stream and socket but keeps the client startable by reconnect. */
    disconnect(): Promise<Element | undefined>;
    send(element: Element): Promise<void>;
    sendMany(elements: readonly Element[]): Promise<void>;
    /** Sends and resolves with the next incoming element. */
    sendReceive(element: Element, timeoutMs?: number): Promise<Element>;
    /** Restarts the stream on the same socket (after STARTTLS or SASL). */
    restart(): Promise<void>;
    isSecure(): boolean;
    /** Makes `socket` the connection's socket (used by STARTTLS to swap in the TLS socket). */
    _attachSocket(socket: XmppSocket): void;
    /** Called by the parser for every element of the stream; emits 'element', then 'stanza' or 'nonza'. */
    _onElement(element: Element): void;
  }

  export function client(options: ClientOptions): Client;
}
