/**
 * One account at work: the XMPP connection and every module of a chat client wired together, so that the app (and
 * the tests) deal with one object per account.
 *   - roster and presence (roster.ts sends our presence once the roster is loaded), blocking (a filter on every
 *     incoming stanza), our OX key published on PEP on each new session, contacts' keys fetched when we may read
 *     them (subscription to/both) and refreshed on PEP notifications (ox-keys.ts), the trust book in the profile db;
 *   - the Messenger reads keys through the trust book: a contact with a changed key gets nothing until the user
 *     decides (OxKeyDecisionPendingError, a CoveError the UI shows), and a key change raises `keyWarning`;
 *   - carbons (XEP-0280) and the archive catch-up (XEP-0313, cursor in the profile db) go through Messenger.ingest,
 *     deduplicated by origin-id with the live path, so a message shows once whatever way it came.
 * Nothing here logs a JID.
 */
import { EventEmitter } from 'node:events';
import { CoveError } from '../api/result';
import type { OxPublicKey, OxSecretKey } from '../crypto/keys';
import type { Logger } from '../log/redact';
import type { Transport } from '../net/transport';
import type { MessageRef, MessageState, StoredMessage, Store } from '../store';
import type { StoredEndpoint } from '../store';
import { XmppAccount, type AccountState } from '../xmpp/account';
import { BlockList } from '../xmpp/blocking';
import { Carbons } from '../xmpp/carbons';
import { ArchiveCatchUp, type MamCursorStore } from '../xmpp/mam';
import { Messenger } from '../xmpp/messenger';
import { OxKeys, type FetchResult } from '../xmpp/ox-keys';
import { Roster } from '../xmpp/roster';
import { eventItems, PepNotify } from '../xmpp/pep';
import { NS_AVATAR_METADATA, Profiles } from '../xmpp/vcard';
import { StoreProfileCache } from './profiles';

export interface AccountSessionOptions {
  readonly store: Store;
  readonly accountId: number;
  /** Bare JID of the account. */
  readonly jid: string;
  readonly password: string;
  /** The gateway's endpoints in failover order: health-tracked, the next one taken at once when one fails (src/xmpp/endpoints.ts). */
  readonly endpoints: readonly StoredEndpoint[];
  readonly transport: () => Transport;
  readonly secretKey: OxSecretKey;
  /** PEM of the CA(s) of the gateway certificates; default: the system's. */
  readonly ca?: string;
  readonly timeoutMs?: number;
  readonly backoff?: { minMs?: number; maxMs?: number };
  readonly logger?: Logger;
}

export interface KeyWarning {
  readonly peer: string;
  readonly fingerprint: string;
  /** 'new': another key appeared beside the known ones (a new device?); 'changed': it replaced them. */
  readonly kind: 'new' | 'changed';
}

export interface SessionEvents {
  state: [AccountState];
  message: [message: StoredMessage, peer: string];
  messageState: [ref: MessageRef, state: MessageState];
  /** The roster, a request, presence, the block list or a contact's keys changed. */
  contacts: [];
  keyWarning: [KeyWarning];
  /** An incoming message that was refused (forged, undecryptable, not for us…), for the conversation's banner. */
  rejected: [rejection: { readonly peer: string; readonly error: CoveError }];
}

/** The PEP nodes whose changes refresh a contact's profile: XEP-0084 avatar metadata, XEP-0292 vCard4. */
const PROFILE_NODES = [NS_AVATAR_METADATA, 'urn:xmpp:vcard4'];

/** The account's opaque key: its Tor isolation and its name in the connections registry (never its JID). */
export function accountKeyOf(accountId: number): string {
  return `account-${String(accountId)}`;
}

class StoreCursor implements MamCursorStore {
  constructor(
    private readonly store: Store,
    private readonly accountId: number,
  ) {}
  get(): string | undefined {
    return this.store.connections.mamCursor(this.accountId);
  }
  set(id: string): void {
    this.store.connections.setMamCursor(this.accountId, id);
  }
}

export class AccountSession extends EventEmitter<SessionEvents> {
  readonly account: XmppAccount;
  readonly messenger: Messenger;
  readonly keys: OxKeys;
  readonly roster: Roster;
  readonly blocking: BlockList;
  readonly carbons: Carbons;
  readonly archive: ArchiveCatchUp;
  /** Nicknames and pictures (ours and contacts'), cached in the profile db. */
  readonly profiles: Profiles;
  readonly accountId: number;
  /** Contacts whose profile this session fetched already. */
  private readonly profilesFetched = new Set<string>();
  private keyPublished: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AccountSessionOptions) {
    super();
    const { store, accountId, jid } = options;
    this.accountId = accountId;
    const at = jid.indexOf('@');
    const first = options.endpoints[0];
    if (at < 1 || first === undefined) throw new RangeError('an account needs a bare JID and an endpoint');
    this.account = new XmppAccount({
      domain: jid.slice(at + 1),
      username: jid.slice(0, at),
      password: options.password,
      server: { host: first.host, port: first.port },
      ...(options.endpoints.length > 1 ? { endpoints: options.endpoints.map((e) => ({ host: e.host, port: e.port, kind: e.kind })) } : {}),
      transport: options.transport,
      // Opaque: keeps the account on its own Tor circuits and names it in the connections list without its JID.
      accountKey: accountKeyOf(accountId),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    this.blocking = new BlockList(this.account);
    this.roster = new Roster(this.account);
    this.keys = new OxKeys({ account: this.account, store: store.contactKeys, accountId });
    this.keys.trust.trustOwnKey(options.secretKey.publicKey);
    const keys = this.keys;
    this.messenger = new Messenger({
      account: this.account,
      store,
      keys: {
        ourKey: options.secretKey,
        keysForSending: (peer) => keys.keysForSending(peer),
        keysForVerifying: (peer) => this.keysForVerifying(peer),
      },
    });
    this.carbons = new Carbons(this.account);
    this.archive = new ArchiveCatchUp(this.account, new StoreCursor(store, accountId));
    this.profiles = new Profiles(this.account, new StoreProfileCache(store, accountId));
    this.wire();
  }

  get jid(): string {
    return this.account.bareJid;
  }

  get fingerprint(): string {
    return this.options.secretKey.fingerprint;
  }

  get secretKey(): OxSecretKey {
    return this.options.secretKey;
  }

  /** Connects; resolves once online (later drops reconnect by themselves, see XmppAccount). */
  async start(): Promise<void> {
    await this.account.start();
  }

  async stop(): Promise<void> {
    this.messenger.close();
    await this.account.stop();
  }

  /** Encrypts and queues a message (see Messenger.send); a key decision pending or no key is a typed CoveError. */
  send(peer: string, text: string): Promise<StoredMessage> {
    return this.messenger.send(peer, text);
  }

  /** Resolves when our key is on PEP for the current session (or the attempt failed: see the log). */
  async keyReady(): Promise<void> {
    await this.keyPublished;
  }

  private wire(): void {
    const { account } = this;
    account.on('state', (s) => {
      this.emit('state', s);
      if (s.state === 'online' && !s.resumed) this.onNewSession();
    });
    this.messenger.on('message', (m, peer) => this.emit('message', m, peer));
    this.messenger.on('state', (ref, state) => this.emit('messageState', ref, state));
    this.messenger.on('rejected', (r) => {
      this.emit('rejected', { peer: r.peer, error: r.error instanceof CoveError ? r.error : new CoveError(`message-${r.reason}`, 'A message could not be read and was dropped.') });
    });
    this.carbons.on('carbon', (record) => void this.messenger.ingest(record));
    this.roster.on('changed', (items) => {
      // Cached in the profile, so contacts show while the gateway is away.
      this.options.store.contacts.replaceRoster(
        this.accountId,
        items.map((i) => ({ jid: i.jid, name: i.name ?? null, subscription: i.subscription, ask: i.pendingOut, groups: i.groups })),
        null,
      );
      this.emit('contacts');
      for (const item of items) {
        if (item.subscription !== 'to' && item.subscription !== 'both') continue;
        this.refreshKeys(item.jid);
        this.refreshProfile(item.jid);
      }
    });
    this.roster.on('subscription-request', () => this.emit('contacts'));
    this.roster.on('presence', () => this.emit('contacts'));
    this.blocking.on('changed', () => this.emit('contacts'));
    this.keys.on('keys-changed', (result) => {
      this.onKeys(result);
    });
    // A contact's new picture or nickname: their server sends a PEP event (our caps ask for both); it only triggers a
    // fetch (the payload itself is not trusted), and only for a contact in our roster, from their bare JID.
    const pep = PepNotify.for(account);
    for (const node of PROFILE_NODES) pep.want(node);
    account.on('message', (message, from) => {
      if (!PROFILE_NODES.some((node) => eventItems(message, node) !== undefined)) return;
      const bare = from.bare().toString();
      if (from.resource.length > 0 || this.roster.get(bare) === undefined) return;
      this.profilesFetched.delete(bare);
      this.refreshProfile(bare);
    });
  }

  /** A contact's nickname and picture, once per session (cached: they show while the gateway is away). */
  private refreshProfile(peer: string): void {
    if (this.profilesFetched.has(peer)) return;
    this.profilesFetched.add(peer);
    this.profiles
      .profile(peer)
      .then(({ stale }) => {
        if (!stale) this.emit('contacts');
      })
      .catch(() => undefined);
  }

  private onNewSession(): void {
    this.profilesFetched.clear();
    const log = this.options.logger;
    this.keyPublished = this.keys.publishKey(this.options.secretKey).catch((err: unknown) => {
      log?.warn('could not publish the account key', err);
    });
    void this.catchUp();
  }

  private async catchUp(): Promise<void> {
    try {
      await this.archive.catchUp({
        onPage: async (page) => {
          for (const m of page) await this.messenger.ingest({ direction: m.direction, message: m.message, peer: m.peer, archivedAt: m.archivedAt });
        },
      });
    } catch (err) {
      this.options.logger?.warn('archive catch-up failed', err);
    }
  }

  /**
   * An invite link named this fingerprint for `peer`: the first fetch of their keys (once they let us read them)
   * must find it, and marks it verified; a different key is the loud OxFingerprintMismatchError.
   */
  expectFingerprint(peer: string, fingerprint: string): void {
    this.options.store.settings.set(this.expectKey(peer), fingerprint);
  }

  private expectKey(peer: string): string {
    return `invite-fingerprint:${String(this.accountId)}:${peer.toLowerCase()}`;
  }

  private refreshKeys(peer: string): void {
    const key = this.expectKey(peer);
    const expected = this.options.store.settings.get(key);
    const options = typeof expected === 'string' ? { expectedFingerprint: expected } : {};
    this.keys
      .fetchKeys(peer, options)
      .then(() => {
        if (typeof expected === 'string') this.options.store.settings.set(key, null);
      })
      .catch((err: unknown) => {
        if (err instanceof CoveError && err.code === 'ox-fingerprint-mismatch') this.emit('rejected', { peer, error: err });
        this.options.logger?.debug(`a contact's keys could not be fetched (${err instanceof CoveError ? err.code : 'error'})`);
      });
  }

  private onKeys(result: FetchResult): void {
    this.emit('contacts');
    if (result.pending.length === 0) return;
    const kind = result.removed.length > 0 ? 'changed' : 'new';
    for (const fingerprint of result.pending) this.emit('keyWarning', { peer: result.jid, fingerprint, kind });
  }

  /** Keys to check a contact's signature with: fetched on first need (a message may come before any roster push). */
  private async keysForVerifying(peer: string): Promise<readonly OxPublicKey[]> {
    const held = await this.keys.keysForVerifying(peer);
    if (held.length > 0 || peer === this.jid) return held;
    try {
      await this.keys.fetchKeys(peer);
    } catch {
      return held;
    }
    return this.keys.keysForVerifying(peer);
  }
}
