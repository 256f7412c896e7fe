/**
 * Messages: stored once per (conversation, id), where id is the XEP-0359 origin-id (else the stanza's id), so a
 * message that arrives twice — a resend after a crash, a MAM page overlapping live traffic, a carbon — shows once.
 * Paging is keyset paging on (time, seq), newest first: stable when messages share a timestamp and when older ones
 * arrive later (MAM). Search is FTS5 over the bodies (migrations.ts v2).
 */
import type { Db } from './db';
import { StoreInputError } from './errors';
import { MESSAGE_STATES } from './migrations';

export type Direction = 'in' | 'out';
export type MessageState = (typeof MESSAGE_STATES)[number];

export interface StoredMessage {
  /** The local order in which messages were stored: a tie-breaker and a handle, not a protocol id. */
  readonly seq: number;
  readonly conversationId: number;
  readonly id: string;
  readonly direction: Direction;
  readonly body: string;
  readonly time: number;
  readonly state: MessageState;
  readonly encrypted: boolean;
}

export interface NewMessage {
  readonly conversationId: number;
  readonly id: string;
  readonly direction: Direction;
  readonly body: string;
  readonly time: number;
  /** Default: 'queued' for outgoing messages, 'delivered' for incoming ones (they reached us). */
  readonly state?: MessageState;
  readonly encrypted: boolean;
}

/** Names one message: what receipts (XEP-0184) and markers (XEP-0333) refer to. */
export interface MessageRef {
  readonly conversationId: number;
  readonly id: string;
}

/** Where the next (older) page starts: the last message of the page before. */
export interface PageCursor {
  readonly time: number;
  readonly seq: number;
}

export interface Page {
  /** Newest first. */
  readonly messages: StoredMessage[];
  /** The cursor for the next older page, or undefined when this page reached the oldest message. */
  readonly next: PageCursor | undefined;
}

export interface MessageRow {
  seq: number;
  conversation_id: number;
  id: string;
  direction: Direction;
  body: string;
  time: number;
  state: number;
  encrypted: number;
}

/** 64 KiB of UTF-16 code units: far beyond a chat message, small enough that one cannot bloat the profile. */
export const MAX_BODY_CHARS = 65_536;

export function stateIndex(state: MessageState): number {
  return MESSAGE_STATES.indexOf(state);
}

export function toMessage(r: MessageRow): StoredMessage {
  const state = MESSAGE_STATES[r.state];
  if (state === undefined) throw new Error(`message state ${r.state} is not known`);
  return {
    seq: r.seq,
    conversationId: r.conversation_id,
    id: r.id,
    direction: r.direction,
    body: r.body,
    time: r.time,
    state,
    encrypted: r.encrypted === 1,
  };
}

export function checkNewMessage(m: NewMessage): void {
  if (m.id.length === 0 || m.id.length > 256) throw new StoreInputError('A message id must have 1 to 256 characters.');
  if (m.body.length > MAX_BODY_CHARS) throw new StoreInputError(`A message body may have at most ${MAX_BODY_CHARS} characters.`);
  if (!Number.isSafeInteger(m.time) || m.time < 0) throw new StoreInputError('A message time is a non-negative integer (ms since the epoch).');
}

/**
 * A user's search text as an FTS5 query: each word quoted (so FTS5 syntax in the text is just text), all words
 * required, the last one as a prefix (search as you type). Undefined when the text has no word to search for.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text
    .split(/[\s"]+/u)
    .map((w) => w.trim())
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

export interface SearchOptions {
  /** Only this conversation; every conversation of the profile if absent. */
  readonly conversationId?: number;
  readonly limit?: number;
}

export class Messages {
  private readonly insertStmt;
  private readonly byRef;
  private readonly firstPage;
  private readonly olderPage;
  private readonly advanceStmt;
  private readonly deleteStmt;
  private readonly countStmt;
  private readonly searchAll;
  private readonly searchOne;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare<[number, string, Direction, string, number, number, number], MessageRow>(
      `INSERT INTO messages (conversation_id, id, direction, body, time, state, encrypted) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, id) DO NOTHING RETURNING *`,
    );
    this.byRef = db.prepare<[number, string], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? AND id = ?');
    this.firstPage = db.prepare<[number, number], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? ORDER BY time DESC, seq DESC LIMIT ?',
    );
    this.olderPage = db.prepare<[number, number, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND (time, seq) < (?, ?) ORDER BY time DESC, seq DESC LIMIT ?',
    );
    this.advanceStmt = db.prepare<[number, number, string, number]>(
      'UPDATE messages SET state = ? WHERE conversation_id = ? AND id = ? AND state < ?',
    );
    this.deleteStmt = db.prepare<[number, string]>('DELETE FROM messages WHERE conversation_id = ? AND id = ?');
    this.countStmt = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM messages WHERE conversation_id = ?');
    // Newest match first. FTS5 walks its matches in descending rowid (= seq) order and stops at LIMIT, so a common
    // word costs no more than a rare one; seq is the order of storing, which is time order except for history
    // fetched later (MAM), and the page is sorted by time afterwards.
    const search = (where: string): string =>
      `SELECT * FROM (
         SELECT m.* FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? ${where} ORDER BY f.rowid DESC LIMIT ?
       ) ORDER BY time DESC, seq DESC`;
    this.searchAll = db.prepare<[string, number], MessageRow>(search(''));
    this.searchOne = db.prepare<[string, number, number], MessageRow>(search('AND m.conversation_id = ?'));
  }

  /**
   * Stores a message unless the conversation already has one with its id. Returns whether it was new, and the stored
   * message (the earlier one when it was a duplicate).
   */
  insert(m: NewMessage): { inserted: boolean; message: StoredMessage } {
    checkNewMessage(m);
    const state = stateIndex(m.state ?? (m.direction === 'out' ? 'queued' : 'delivered'));
    const row = this.insertStmt.get(m.conversationId, m.id, m.direction, m.body, m.time, state, m.encrypted ? 1 : 0);
    if (row !== undefined) return { inserted: true, message: toMessage(row) };
    const existing = this.byRef.get(m.conversationId, m.id);
    if (existing === undefined) throw new Error('duplicate message vanished');
    return { inserted: false, message: toMessage(existing) };
  }

  /** Stores many messages (a MAM page) in one transaction; returns how many were new. */
  insertMany(list: readonly NewMessage[]): number {
    return this.db.transaction(() => list.reduce((n, m) => n + (this.insert(m).inserted ? 1 : 0), 0)).immediate();
  }

  get(ref: MessageRef): StoredMessage | undefined {
    const row = this.byRef.get(ref.conversationId, ref.id);
    return row === undefined ? undefined : toMessage(row);
  }

  /** A page of `limit` messages, newest first, older than `before` (the newest page without it). */
  page(conversationId: number, limit: number, before?: PageCursor): Page {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new StoreInputError('A page has 1 to 1000 messages.');
    // One more than asked: it tells whether an older page exists without a second query.
    const rows = before === undefined ? this.firstPage.all(conversationId, limit + 1) : this.olderPage.all(conversationId, before.time, before.seq, limit + 1);
    const messages = rows.slice(0, limit).map(toMessage);
    const last = messages.at(-1);
    return { messages, next: rows.length > limit && last !== undefined ? { time: last.time, seq: last.seq } : undefined };
  }

  /**
   * Moves a message's state forward (never back: a late ack does not undo a read marker). Returns whether it moved.
   */
  advance(ref: MessageRef, state: MessageState): boolean {
    const i = stateIndex(state);
    return this.advanceStmt.run(i, ref.conversationId, ref.id, i).changes > 0;
  }

  /** Deletes a message; secure_delete and FTS5's secure-delete overwrite its body and its index entries. */
  delete(ref: MessageRef): boolean {
    return this.deleteStmt.run(ref.conversationId, ref.id).changes > 0;
  }

  count(conversationId: number): number {
    return this.countStmt.get(conversationId)?.n ?? 0;
  }

  /** Messages whose body has every word of `text` (the last as a prefix), newest first. */
  search(text: string, options: SearchOptions = {}): StoredMessage[] {
    const query = ftsQuery(text);
    if (query === undefined) return [];
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new StoreInputError('A search returns 1 to 1000 messages.');
    const rows = options.conversationId === undefined ? this.searchAll.all(query, limit) : this.searchOne.all(query, options.conversationId, limit);
    return rows.map(toMessage);
  }
}
