/**
 * OX keys on PEP (XEP-0373 §4, §5) for one account:
 * - publishKey: our public key on `urn:xmpp:openpgp:0:public-keys:<FP>` and its entry in the metadata list
 *   `urn:xmpp:openpgp:0:public-keys` (other devices' entries kept), both with access model `presence`: only contacts
 *   we approved can read them (see pep.ts for servers that refuse publish-options);
 * - fetchKeys: a contact's list, then each listed key, checked by importPublicKey for the contact's JID and fingerprint,
 *   then handed to the trust model (trust.ts, stored in the profile database). Not being subscribed to the contact's
 *   presence is OxNotSubscribedError;
 * - +notify: our caps carry `urn:xmpp:openpgp:0:public-keys+notify` (pep.ts), so the servers send list changes as PEP
 *   event messages. An event is accepted only from a bare JID we keep keys for (or our own): anything else (a full
 *   JID, a stranger) is a `forged-push` rejection. An accepted event only triggers a refresh: the list is fetched
 *   again from the server, the event's payload is not trusted;
 * - the secret key backup on `urn:xmpp:openpgp:0:secret-key` (access model `whitelist`: the owner only), encrypted
 *   with a backup code (crypto/backup.ts); restoring with a wrong code is BackupDecryptError.
 * Nothing is logged with a JID or a fingerprint.
 */
import { EventEmitter } from 'node:events';
import type { Element, JID } from '@xmpp/client';
import { CoveError } from '../api/result';
import { exportSecretKeyBackup, importSecretKeyBackup, makeBackupCode } from '../crypto/backup';
import { CryptoError } from '../crypto/errors';
import { exportPublicKey, importPublicKey, type OxPublicKey, type OxSecretKey } from '../crypto/keys';
import { formatStamp } from '../crypto/time';
import type { ContactKeys } from '../store/contact-keys';
import type { XmppAccount } from './account';
import { XmppRequestError } from './errors';
import { OxNoBackupError, OxNotSubscribedError } from './ox-keys-errors';
import {
  buildKeysList,
  buildPubkey,
  buildSecretKey,
  CURRENT_ITEM,
  firstPayload,
  NODE_PUBLIC_KEYS,
  NODE_SECRET_KEY,
  parseKeysList,
  parsePubkey,
  parseSecretKey,
  publicKeyNode,
  type KeyMetadata,
} from './ox-keys-stanzas';
import { eventItems, fetchItems, PepNotify, publishWithOptions, type PublishPath } from './pep';
import { checkJid } from './roster';
import { TrustBook, type HeldKey, type Reconciled, type SendCheck } from './trust';

export interface OxKeysOptions {
  readonly account: XmppAccount;
  readonly store: ContactKeys;
  /** The account's id in the profile database. */
  readonly accountId: number;
  readonly now?: () => Date;
}

export interface FetchResult extends Reconciled {
  /** Listed keys left out: unreadable, not bound to the JID, expired, revoked, or not the listed fingerprint. */
  readonly skipped: number;
}

export interface OxKeysEvents {
  /** The keys held for a JID after a fetch or a refresh caused by a PEP event. */
  'keys-changed': [result: FetchResult];
  /** A refresh caused by a PEP event failed (the keys held stay as they were). */
  'refresh-failed': [failure: { readonly jid: string; readonly error: CoveError }];
}

/** Which nodes `publishKey` needed to configure (for diagnostics and tests). */
export interface PublishReport {
  readonly fingerprint: string;
  readonly keyNode: PublishPath;
  readonly listNode: PublishPath;
}

/** Conditions with which a PEP service refuses a reader who is not an approved contact. */
const NOT_SUBSCRIBED = new Set(['forbidden', 'not-authorized', 'presence-subscription-required', 'registration-required', 'not-allowed']);

export class OxKeys extends EventEmitter<OxKeysEvents> {
  readonly trust: TrustBook;
  private readonly account: XmppAccount;
  private readonly now: () => Date;
  private readonly watched = new Set<string>();
  private readonly queue = new Map<string, Promise<unknown>>();

  constructor(options: OxKeysOptions) {
    super();
    this.account = options.account;
    this.now = options.now ?? ((): Date => new Date());
    this.trust = new TrustBook({ store: options.store, accountId: options.accountId, ownJid: options.account.bareJid, now: this.now });
    PepNotify.for(this.account).want(NODE_PUBLIC_KEYS);
    this.account.on('message', (message, from) => {
      this.onMessage(message, from);
    });
  }

  /**
   * Publishes our public key and lists it in our metadata list. The entries of our other devices stay, unless
   * `replaceOthers` (a new key that replaces the old one on every device).
   */
  async publishKey(key: OxSecretKey | OxPublicKey, options: { replaceOthers?: boolean } = {}): Promise<PublishReport> {
    const pub = 'publicKey' in key ? key.publicKey : key;
    if (pub.jid !== this.account.bareJid) throw new RangeError('the key is not bound to this account');
    const date = this.now();
    const keyNode = await publishWithOptions(
      this.account,
      publicKeyNode(pub.fingerprint),
      formatStamp(date),
      buildPubkey(exportPublicKey(pub), date),
      { accessModel: 'presence' },
      'publishing the encryption key',
    );
    const current = options.replaceOthers === true ? [] : ((await this.fetchList(undefined)) ?? []);
    const entries: KeyMetadata[] = [...current.filter((e) => e.fingerprint !== pub.fingerprint), { fingerprint: pub.fingerprint, date }];
    const listNode = await publishWithOptions(
      this.account,
      NODE_PUBLIC_KEYS,
      CURRENT_ITEM,
      buildKeysList(entries, date),
      { accessModel: 'presence' },
      'publishing the list of encryption keys',
    );
    this.trust.trustOwnKey(pub);
    return { fingerprint: pub.fingerprint, keyNode, listNode };
  }

  /**
   * Fetches the keys `jid` publishes and updates their trust (see trust.ts). `expectedFingerprint` (from an invite
   * link) verifies the matching key, or throws OxFingerprintMismatchError. Throws OxNotSubscribedError when the
   * contact has not approved us yet.
   */
  async fetchKeys(jid: string, options: { expectedFingerprint?: string } = {}): Promise<FetchResult> {
    const bare = checkJid(jid);
    this.watched.add(bare);
    return this.serialized(bare, () => this.doFetch(bare, options.expectedFingerprint));
  }

  canSendTo(jid: string): SendCheck {
    return this.trust.canSendTo(jid);
  }

  keysForSending(jid: string): Promise<OxPublicKey[]> {
    return this.trust.keysForSending(jid);
  }

  keysForVerifying(jid: string): Promise<HeldKey[]> {
    return this.trust.keysForVerifying(jid);
  }

  /**
   * Publishes our secret key, encrypted with a backup code, to our whitelist-only secret key node. Returns the code
   * (a new one unless given): show it to the person once, it is not stored.
   */
  async publishBackup(key: OxSecretKey, code: string = makeBackupCode()): Promise<string> {
    const data = await exportSecretKeyBackup(key, code);
    await publishWithOptions(this.account, NODE_SECRET_KEY, CURRENT_ITEM, buildSecretKey(data), { accessModel: 'whitelist' }, 'saving the key backup');
    return code;
  }

  /**
   * Fetches our secret key backup and opens it with `code` (another device of the same account). A wrong code is
   * BackupDecryptError, a badly typed one BackupCodeFormatError, no backup OxNoBackupError.
   */
  async restoreBackup(code: string): Promise<OxSecretKey> {
    const items = await fetchItems(this.account, undefined, NODE_SECRET_KEY, 'fetching the key backup');
    const data = parseSecretKey(firstPayload(items));
    if (data === undefined) throw new OxNoBackupError();
    const key = await importSecretKeyBackup(data, code, this.account.bareJid, this.now());
    this.trust.trustOwnKey(key.publicKey);
    return key;
  }

  private async doFetch(jid: string, expectedFingerprint: string | undefined): Promise<FetchResult> {
    const entries = (await this.fetchList(jid)) ?? [];
    const keys: OxPublicKey[] = [];
    let skipped = 0;
    for (const entry of entries) {
      const key = await this.fetchOne(jid, entry.fingerprint);
      if (key === undefined) skipped += 1;
      else keys.push(key);
    }
    const reconciled = this.trust.reconcile(jid, keys, expectedFingerprint);
    const result: FetchResult = { ...reconciled, skipped };
    this.emit('keys-changed', result);
    return result;
  }

  /** The entries of `jid`'s metadata list (ours for undefined); undefined when there is no list. */
  private async fetchList(jid: string | undefined): Promise<KeyMetadata[] | undefined> {
    const items = await this.guard(jid, () => fetchItems(this.account, jid, NODE_PUBLIC_KEYS, 'fetching the list of encryption keys'));
    if (items === undefined) return undefined;
    const parsed = parseKeysList(firstPayload(items));
    if (parsed === undefined) {
      if (items.getChild('item') !== undefined) this.account.reject({ module: 'ox-keys', stanza: 'iq', reason: 'bad-value' });
      return undefined;
    }
    if (parsed.dropped > 0) this.account.reject({ module: 'ox-keys', stanza: 'iq', reason: 'bad-value' });
    return [...parsed.entries];
  }

  private async fetchOne(jid: string, fingerprint: string): Promise<OxPublicKey | undefined> {
    const items = await this.guard(jid, () => fetchItems(this.account, jid, publicKeyNode(fingerprint), 'fetching an encryption key'));
    const pubkey = parsePubkey(firstPayload(items));
    if (pubkey === undefined) {
      if (items !== undefined) this.account.reject({ module: 'ox-keys', stanza: 'iq', reason: 'bad-value' });
      return undefined;
    }
    try {
      const key = await importPublicKey(pubkey.data, jid, this.now());
      if (key.fingerprint === fingerprint) return key;
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
    }
    this.account.reject({ module: 'ox-keys', stanza: 'iq', reason: 'bad-value' });
    return undefined;
  }

  /** Maps "you may not read this" to OxNotSubscribedError. */
  private async guard<T>(jid: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (jid !== undefined && err instanceof XmppRequestError && NOT_SUBSCRIBED.has(err.condition)) throw new OxNotSubscribedError(jid, err.condition, { cause: err });
      throw err;
    }
  }

  /** Runs fetches for one JID one after the other (events may arrive while a fetch is running). */
  private serialized<T>(jid: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queue.get(jid) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queue.set(jid, next);
    const clear = (): void => {
      if (this.queue.get(jid) === next) this.queue.delete(jid);
    };
    next.then(clear, clear);
    return next;
  }

  private isWatched(jid: string): boolean {
    return jid === this.account.bareJid || this.watched.has(jid) || this.trust.list(jid).length > 0;
  }

  private onMessage(message: Element, from: JID): void {
    if (eventItems(message, NODE_PUBLIC_KEYS) === undefined) return;
    const bare = from.bare().toString();
    // PEP events come from the owner's bare JID (the server stamps it); a full JID means a client sent it itself.
    if (from.resource.length > 0 || from.local.length === 0 || !this.isWatched(bare)) {
      this.account.reject({ module: 'ox-keys', stanza: 'message', reason: 'forged-push' });
      return;
    }
    this.watched.add(bare);
    this.serialized(bare, () => this.doFetch(bare, undefined)).catch((err: unknown) => {
      if (err instanceof CoveError) this.emit('refresh-failed', { jid: bare, error: err });
      else this.account.log?.warn('refreshing encryption keys failed', err instanceof Error ? err : undefined);
    });
  }
}
