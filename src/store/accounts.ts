/** The accounts of a profile (one per JID) and their conversations (one per peer JID and account). */
import type { Db } from './db';
import { StoreInputError } from './errors';

export interface Account {
  readonly id: number;
  readonly jid: string;
  readonly displayName: string | null;
  readonly rosterVer: string | null;
  readonly createdAt: number;
}

export type ConversationKind = 'chat' | 'groupchat';

export interface Conversation {
  readonly id: number;
  readonly accountId: number;
  readonly peerJid: string;
  readonly kind: ConversationKind;
  readonly createdAt: number;
  /** Time of the newest message, or null for an empty conversation. */
  readonly lastMessageAt: number | null;
}

interface AccountRow {
  id: number;
  jid: string;
  display_name: string | null;
  roster_ver: string | null;
  created_at: number;
}

interface ConversationRow {
  id: number;
  account_id: number;
  peer_jid: string;
  kind: ConversationKind;
  created_at: number;
  last_message_at: number | null;
}

const toAccount = (r: AccountRow): Account => ({ id: r.id, jid: r.jid, displayName: r.display_name, rosterVer: r.roster_ver, createdAt: r.created_at });
const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  accountId: r.account_id,
  peerJid: r.peer_jid,
  kind: r.kind,
  createdAt: r.created_at,
  lastMessageAt: r.last_message_at,
});

function checkJid(jid: string): void {
  if (jid.length === 0 || jid.length > 3071) throw new StoreInputError('A JID must have 1 to 3071 characters.');
}

export class Accounts {
  private readonly insert;
  private readonly byJid;
  private readonly byId;
  private readonly all;
  private readonly remove_;
  private readonly setVer;

  constructor(db: Db) {
    this.insert = db.prepare<[string, string | null, number]>(
      'INSERT INTO accounts (jid, display_name, created_at) VALUES (?, ?, ?) ON CONFLICT (jid) DO NOTHING',
    );
    this.byJid = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE jid = ?');
    this.byId = db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?');
    this.all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY id');
    this.remove_ = db.prepare<[number]>('DELETE FROM accounts WHERE id = ?');
    this.setVer = db.prepare<[string | null, number]>('UPDATE accounts SET roster_ver = ? WHERE id = ?');
  }

  /** The account with this JID, created if it is new. */
  ensure(jid: string, displayName: string | null = null, now = Date.now()): Account {
    checkJid(jid);
    this.insert.run(jid, displayName, now);
    const row = this.byJid.get(jid);
    if (row === undefined) throw new Error('account vanished after insert');
    return toAccount(row);
  }

  get(id: number): Account | undefined {
    const row = this.byId.get(id);
    return row === undefined ? undefined : toAccount(row);
  }

  list(): Account[] {
    return this.all.all().map(toAccount);
  }

  /** Removes the account with its contacts, keys, conversations and messages (ON DELETE CASCADE). */
  remove(id: number): boolean {
    return this.remove_.run(id).changes > 0;
  }

  setRosterVersion(id: number, ver: string | null): void {
    this.setVer.run(ver, id);
  }
}

export class Conversations {
  private readonly insert;
  private readonly byPeer;
  private readonly byId;
  private readonly forAccount;

  constructor(db: Db) {
    const select = `SELECT c.*, (SELECT max(m.time) FROM messages m WHERE m.conversation_id = c.id) AS last_message_at FROM conversations c`;
    this.insert = db.prepare<[number, string, ConversationKind, number]>(
      'INSERT INTO conversations (account_id, peer_jid, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, peer_jid) DO NOTHING',
    );
    this.byPeer = db.prepare<[number, string], ConversationRow>(`${select} WHERE c.account_id = ? AND c.peer_jid = ?`);
    this.byId = db.prepare<[number], ConversationRow>(`${select} WHERE c.id = ?`);
    this.forAccount = db.prepare<[number], ConversationRow>(`${select} WHERE c.account_id = ? ORDER BY last_message_at DESC NULLS LAST, c.id`);
  }

  /** The conversation of `accountId` with `peerJid`, created if it is new. */
  ensure(accountId: number, peerJid: string, kind: ConversationKind = 'chat', now = Date.now()): Conversation {
    checkJid(peerJid);
    this.insert.run(accountId, peerJid, kind, now);
    const row = this.byPeer.get(accountId, peerJid);
    if (row === undefined) throw new Error('conversation vanished after insert');
    return toConversation(row);
  }

  find(accountId: number, peerJid: string): Conversation | undefined {
    const row = this.byPeer.get(accountId, peerJid);
    return row === undefined ? undefined : toConversation(row);
  }

  get(id: number): Conversation | undefined {
    const row = this.byId.get(id);
    return row === undefined ? undefined : toConversation(row);
  }

  /** The account's conversations, the most recently active first. */
  list(accountId: number): Conversation[] {
    return this.forAccount.all(accountId).map(toConversation);
  }
}
