/**
 * What the app keeps besides messages and contacts (schema v4): each account's connection settings (gateway
 * endpoints in failover order, password, OX secret key — the profile database is encrypted at rest), where the
 * archive catch-up stopped, composer drafts, user settings, and chat summaries (last message, unread count).
 */
import type { Db } from './db';
import { StoreInputError } from './errors';
import { toMessage, type MessageRow, type StoredMessage } from './messages';

export interface StoredEndpoint {
  readonly host: string;
  readonly port: number;
  readonly kind: 'clearnet' | 'onion';
}

export interface AccountConnection {
  readonly endpoints: readonly StoredEndpoint[];
  readonly password: string | null;
  /** The armored OX secret key (never leaves the profile but in an encrypted backup). */
  readonly secretKey: string | null;
}

export interface ChatSummary {
  readonly conversationId: number;
  readonly accountId: number;
  readonly peerJid: string;
  readonly last: StoredMessage | undefined;
  readonly unread: number;
  readonly draft: string;
}

function parseEndpoints(json: string): StoredEndpoint[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) return [];
  return value.filter((e): e is StoredEndpoint => {
    if (e === null || typeof e !== 'object') return false;
    const { host, port, kind } = e as Record<string, unknown>;
    return typeof host === 'string' && typeof port === 'number' && (kind === 'clearnet' || kind === 'onion');
  });
}

export class AccountConnections {
  private readonly getStmt;
  private readonly setStmt;
  private readonly setEndpointsStmt;
  private readonly cursorGet;
  private readonly cursorSet;

  constructor(db: Db) {
    this.getStmt = db.prepare<[number], { endpoints: string; password: string | null; secret_key: string | null }>('SELECT endpoints, password, secret_key FROM accounts WHERE id = ?');
    this.setStmt = db.prepare<[string, string | null, string | null, number]>('UPDATE accounts SET endpoints = ?, password = ?, secret_key = ? WHERE id = ?');
    this.setEndpointsStmt = db.prepare<[string, number]>('UPDATE accounts SET endpoints = ? WHERE id = ?');
    this.cursorGet = db.prepare<[number], { mam_cursor: string | null }>('SELECT mam_cursor FROM accounts WHERE id = ?');
    this.cursorSet = db.prepare<[string, number]>('UPDATE accounts SET mam_cursor = ? WHERE id = ?');
  }

  get(accountId: number): AccountConnection | undefined {
    const row = this.getStmt.get(accountId);
    if (row === undefined) return undefined;
    return { endpoints: parseEndpoints(row.endpoints), password: row.password, secretKey: row.secret_key };
  }

  set(accountId: number, c: AccountConnection): void {
    if (c.endpoints.length === 0) throw new StoreInputError('An account needs at least one gateway endpoint.');
    this.setStmt.run(JSON.stringify(c.endpoints), c.password, c.secretKey, accountId);
  }

  setEndpoints(accountId: number, endpoints: readonly StoredEndpoint[]): void {
    if (endpoints.length === 0) throw new StoreInputError('An account needs at least one gateway endpoint.');
    this.setEndpointsStmt.run(JSON.stringify(endpoints), accountId);
  }

  mamCursor(accountId: number): string | undefined {
    return this.cursorGet.get(accountId)?.mam_cursor ?? undefined;
  }

  setMamCursor(accountId: number, id: string): void {
    this.cursorSet.run(id, accountId);
  }
}

export class Drafts {
  private readonly getStmt;
  private readonly setStmt;
  private readonly delStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[number], { text: string }>('SELECT text FROM drafts WHERE conversation_id = ?');
    this.setStmt = db.prepare<[number, string, number]>(
      'INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at',
    );
    this.delStmt = db.prepare<[number]>('DELETE FROM drafts WHERE conversation_id = ?');
  }

  get(conversationId: number): string {
    return this.getStmt.get(conversationId)?.text ?? '';
  }

  set(conversationId: number, text: string, now = Date.now()): void {
    if (text.length === 0) this.delStmt.run(conversationId);
    else this.setStmt.run(conversationId, text, now);
  }
}

export class Settings {
  private readonly getStmt;
  private readonly setStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
    this.setStmt = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** The stored JSON value, parsed; undefined when unset. The caller validates its shape. */
  get(key: string): unknown {
    const row = this.getStmt.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  set(key: string, value: unknown): void {
    this.setStmt.run(key, JSON.stringify(value));
  }
}

type SummaryRow = { id: number; account_id: number; peer_jid: string; unread: number; draft: string | null; last_time: number | null; created_at: number };

export class ChatSummaries {
  private readonly listStmt;
  private readonly oneStmt;
  private readonly lastStmt;
  private readonly markReadStmt;

  constructor(db: Db) {
    // The unread count uses the partial index messages_unread.
    const select = `SELECT c.id, c.account_id, c.peer_jid, c.created_at,
              (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.state < 4) AS unread,
              (SELECT d.text FROM drafts d WHERE d.conversation_id = c.id) AS draft,
              (SELECT max(m.time) FROM messages m WHERE m.conversation_id = c.id) AS last_time
         FROM conversations c`;
    // Newest activity first.
    this.listStmt = db.prepare<[], SummaryRow>(`${select} ORDER BY coalesce(last_time, c.created_at) DESC, c.id DESC`);
    this.oneStmt = db.prepare<[number], SummaryRow>(`${select} WHERE c.id = ?`);
    this.lastStmt = db.prepare<[number], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY time DESC, seq DESC LIMIT 1');
    this.markReadStmt = db.prepare<[number], { id: string; time: number; seq: number }>(
      "UPDATE messages SET state = 4 WHERE conversation_id = ? AND direction = 'in' AND state < 4 RETURNING id, time, seq",
    );
  }

  list(): ChatSummary[] {
    return this.listStmt.all().map((r) => this.summary(r));
  }

  /** One conversation's summary, or undefined when there is no such conversation. */
  get(conversationId: number): ChatSummary | undefined {
    const row = this.oneStmt.get(conversationId);
    return row === undefined ? undefined : this.summary(row);
  }

  /**
   * Marks every incoming message of the conversation read; returns the id of the newest of them (the one a XEP-0333
   * <displayed/> names: it stands for all before it), or undefined when none was unread.
   */
  markRead(conversationId: number): string | undefined {
    let newest: { id: string; time: number; seq: number } | undefined;
    for (const r of this.markReadStmt.all(conversationId)) {
      if (newest === undefined || r.time > newest.time || (r.time === newest.time && r.seq > newest.seq)) newest = r;
    }
    return newest?.id;
  }

  private summary(r: SummaryRow): ChatSummary {
    const last = this.lastStmt.get(r.id);
    return { conversationId: r.id, accountId: r.account_id, peerJid: r.peer_jid, last: last === undefined ? undefined : toMessage(last), unread: r.unread, draft: r.draft ?? '' };
  }
}
