/**
 * The roster cache (RFC 6121, with XEP-0237 versioning in accounts.roster_ver), the vCard cache and the avatar cache.
 * Avatars are stored once per SHA-1 hash (the id XEP-0084 and XEP-0153 give them) and shared by every contact that
 * shows the same picture; an avatar no contact uses any more is removed with pruneAvatars().
 */
import type { Db } from './db';
import { StoreInputError } from './errors';

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  readonly jid: string;
  readonly name: string | null;
  readonly subscription: Subscription;
  /** A subscription request of ours is pending. */
  readonly ask: boolean;
  readonly groups: readonly string[];
}

export interface Contact extends RosterItem {
  readonly accountId: number;
  readonly vcard: string | null;
  readonly vcardFetchedAt: number | null;
  readonly avatarHash: string | null;
  readonly updatedAt: number;
}

export interface Avatar {
  readonly hash: string;
  readonly mime: string;
  readonly data: Buffer;
}

interface ContactRow {
  account_id: number;
  jid: string;
  name: string | null;
  subscription: Subscription;
  ask: number;
  groups: string;
  vcard: string | null;
  vcard_fetched_at: number | null;
  avatar_hash: string | null;
  updated_at: number;
}

function toContact(r: ContactRow): Contact {
  const groups: unknown = JSON.parse(r.groups);
  return {
    accountId: r.account_id,
    jid: r.jid,
    name: r.name,
    subscription: r.subscription,
    ask: r.ask === 1,
    groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
    vcard: r.vcard,
    vcardFetchedAt: r.vcard_fetched_at,
    avatarHash: r.avatar_hash,
    updatedAt: r.updated_at,
  };
}

/** 1 MiB: XEP-0084 recommends far smaller images; anything bigger is not cached. */
export const MAX_AVATAR_BYTES = 1024 * 1024;

export class Contacts {
  private readonly upsertStmt;
  private readonly removeStmt;
  private readonly pruneRosterStmt;
  private readonly rosterVerStmt;
  private readonly one;
  private readonly all;
  private readonly vcardStmt;
  private readonly avatarRefStmt;
  private readonly putAvatarStmt;
  private readonly getAvatarStmt;
  private readonly pruneStmt;
  private readonly replaceTx;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare<[number, string, string | null, Subscription, number, string, number]>(
      `INSERT INTO contacts (account_id, jid, name, subscription, ask, groups, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, jid) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
         ask = excluded.ask, groups = excluded.groups, updated_at = excluded.updated_at`,
    );
    this.removeStmt = db.prepare<[number, string]>('DELETE FROM contacts WHERE account_id = ? AND jid = ?');
    this.pruneRosterStmt = db.prepare<[number, string]>(
      'DELETE FROM contacts WHERE account_id = ? AND jid NOT IN (SELECT value FROM json_each(?))',
    );
    this.rosterVerStmt = db.prepare<[string | null, number]>('UPDATE accounts SET roster_ver = ? WHERE id = ?');
    this.one = db.prepare<[number, string], ContactRow>('SELECT * FROM contacts WHERE account_id = ? AND jid = ?');
    this.all = db.prepare<[number], ContactRow>('SELECT * FROM contacts WHERE account_id = ? ORDER BY coalesce(name, jid), jid');
    this.vcardStmt = db.prepare<[string | null, number, number, string]>(
      'UPDATE contacts SET vcard = ?, vcard_fetched_at = ? WHERE account_id = ? AND jid = ?',
    );
    this.avatarRefStmt = db.prepare<[string | null, number, string]>('UPDATE contacts SET avatar_hash = ? WHERE account_id = ? AND jid = ?');
    this.putAvatarStmt = db.prepare<[string, string, Buffer, number]>(
      'INSERT INTO avatars (hash, mime, data, fetched_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING',
    );
    this.getAvatarStmt = db.prepare<[string], Avatar>('SELECT hash, mime, data FROM avatars WHERE hash = ?');
    this.pruneStmt = db.prepare('DELETE FROM avatars WHERE hash NOT IN (SELECT avatar_hash FROM contacts WHERE avatar_hash IS NOT NULL)');
    this.replaceTx = db.transaction((accountId: number, items: readonly RosterItem[], ver: string | null, now: number) => {
      for (const item of items) this.upsert(accountId, item, now);
      this.pruneRosterStmt.run(accountId, JSON.stringify(items.map((i) => i.jid)));
      this.rosterVerStmt.run(ver, accountId);
    });
  }

  /** A roster push (or one item of a roster result): adds the contact or updates its roster fields. */
  upsert(accountId: number, item: RosterItem, now = Date.now()): void {
    if (item.jid.length === 0) throw new StoreInputError('A contact needs a JID.');
    this.upsertStmt.run(accountId, item.jid, item.name, item.subscription, item.ask ? 1 : 0, JSON.stringify(item.groups), now);
  }

  /** A roster push with subscription='remove'. */
  remove(accountId: number, jid: string): boolean {
    return this.removeStmt.run(accountId, jid).changes > 0;
  }

  /**
   * A full roster result: the cache becomes exactly `items` and the roster version `ver`, in one transaction.
   * Contacts that stay keep their cached vCard and avatar.
   */
  replaceRoster(accountId: number, items: readonly RosterItem[], ver: string | null, now = Date.now()): void {
    this.replaceTx.immediate(accountId, items, ver, now);
  }

  get(accountId: number, jid: string): Contact | undefined {
    const row = this.one.get(accountId, jid);
    return row === undefined ? undefined : toContact(row);
  }

  list(accountId: number): Contact[] {
    return this.all.all(accountId).map(toContact);
  }

  /** Caches a contact's vCard (as received: XEP-0054 XML or XEP-0292 vCard4). */
  setVCard(accountId: number, jid: string, vcard: string | null, now = Date.now()): boolean {
    return this.vcardStmt.run(vcard, now, accountId, jid).changes > 0;
  }

  /** Caches an avatar under its hash (if it is new) and points the contact at it; null clears the contact's avatar. */
  setAvatar(accountId: number, jid: string, avatar: Avatar | null, now = Date.now()): boolean {
    if (avatar !== null) {
      if (!/^[0-9a-f]{40}$/u.test(avatar.hash)) throw new StoreInputError('An avatar hash is 40 lower-case hex digits (SHA-1).');
      if (avatar.data.length > MAX_AVATAR_BYTES) throw new StoreInputError('The avatar is too large to cache.');
    }
    return this.db.transaction(() => {
      if (avatar !== null) this.putAvatarStmt.run(avatar.hash, avatar.mime, avatar.data, now);
      return this.avatarRefStmt.run(avatar?.hash ?? null, accountId, jid).changes > 0;
    })();
  }

  avatar(hash: string): Avatar | undefined {
    return this.getAvatarStmt.get(hash);
  }

  /** Removes cached avatars no contact points at; returns how many. */
  pruneAvatars(): number {
    return this.pruneStmt.run().changes;
  }
}
