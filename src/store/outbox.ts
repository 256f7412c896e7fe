/**
 * The persistent outbox. A message the user sends is written (state queued) in one transaction BEFORE anything goes
 * on the wire, and it stays in the outbox until the server acks it (XEP-0198); only then does it leave. After a crash
 * or restart, and after a new stream that could not resume the old one, every message not acked is offered again, in
 * the order it was enqueued, under the same id. The receiver stores messages by (conversation, id), so a resend of a
 * message that did arrive is dropped there: at-least-once sending plus unique ids is exactly-once for the user.
 *
 * The sending loop: `for (let m = outbox.nextToSend(); m; m = outbox.nextToSend()) { send(m); outbox.markSent(m); }`
 * and, for each ack, `outbox.markAcked(m)`. If send() throws, markSent is not called and the same message comes
 * first again. States only move forward (messages.ts): a receipt that overtakes the ack is kept.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from './db';
import { StoreInputError } from './errors';
import { checkNewMessage, stateIndex, toMessage, type MessageRef, type MessageRow, type StoredMessage } from './messages';

export interface OutgoingMessage {
  readonly conversationId: number;
  readonly body: string;
  readonly encrypted: boolean;
  /** The XEP-0359 origin-id to send it under; a random UUID if absent. Reused unchanged by every resend. */
  readonly id?: string;
  readonly time?: number;
}

/** A message to send, with where it goes. */
export interface OutboxItem extends StoredMessage {
  readonly accountId: number;
  readonly peerJid: string;
}

interface OutboxRow extends MessageRow {
  account_id: number;
  peer_jid: string;
}

const toItem = (r: OutboxRow): OutboxItem => ({ ...toMessage(r), accountId: r.account_id, peerJid: r.peer_jid });

const QUEUED = stateIndex('queued');
const SENT = stateIndex('sent');
const ACKED = stateIndex('acked');

export class Outbox {
  private readonly insertStmt;
  private readonly byRef;
  private readonly next;
  private readonly unacked;
  private readonly advanceStmt;
  private readonly requeue;
  private readonly enqueueTx;

  constructor(db: Db) {
    // The literal `direction = 'out' AND state < 2` lets SQLite use the partial index messages_outbox.
    const select = `SELECT m.*, c.account_id, c.peer_jid FROM messages m JOIN conversations c ON c.id = m.conversation_id`;
    const inOutbox = `m.direction = 'out' AND m.state < 2`;
    this.insertStmt = db.prepare<[number, string, string, number, number, number]>(
      `INSERT INTO messages (conversation_id, id, direction, body, time, state, encrypted) VALUES (?, ?, 'out', ?, ?, ?, ?)
       ON CONFLICT (conversation_id, id) DO NOTHING`,
    );
    this.byRef = db.prepare<[number, string], OutboxRow>(`${select} WHERE m.conversation_id = ? AND m.id = ?`);
    this.next = db.prepare<[], OutboxRow>(`${select} WHERE ${inOutbox} AND m.state = ${QUEUED} ORDER BY m.seq LIMIT 1`);
    this.unacked = db.prepare<[], OutboxRow>(`${select} WHERE ${inOutbox} ORDER BY m.seq`);
    this.advanceStmt = db.prepare<[number, number, string, number]>(
      `UPDATE messages SET state = ? WHERE conversation_id = ? AND id = ? AND direction = 'out' AND state < ?`,
    );
    this.requeue = db.prepare(`UPDATE messages SET state = ${QUEUED} WHERE direction = 'out' AND state < 2 AND state = ${SENT}`);
    this.enqueueTx = db.transaction((m: OutgoingMessage, id: string, time: number): OutboxItem => {
      this.insertStmt.run(m.conversationId, id, m.body, time, QUEUED, m.encrypted ? 1 : 0);
      const row = this.byRef.get(m.conversationId, id);
      if (row === undefined) throw new StoreInputError('The conversation of an outgoing message does not exist.');
      if (row.direction !== 'out' || row.body !== m.body) throw new StoreInputError('Another message of this conversation already has this id.');
      return toItem(row);
    });
  }

  /**
   * Writes the message to the outbox (state queued) and returns it; only then may it be sent. Enqueuing the same id
   * and body again returns the stored message (an idempotent retry), a different body under a used id is refused.
   */
  enqueue(m: OutgoingMessage): OutboxItem {
    const id = m.id ?? randomUUID();
    const time = m.time ?? Date.now();
    checkNewMessage({ conversationId: m.conversationId, id, direction: 'out', body: m.body, time, encrypted: m.encrypted });
    try {
      return this.enqueueTx.immediate(m, id, time);
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new StoreInputError('The conversation of an outgoing message does not exist.');
      }
      throw err;
    }
  }

  /** The oldest queued message, or undefined when nothing waits to be sent. */
  nextToSend(): OutboxItem | undefined {
    const row = this.next.get();
    return row === undefined ? undefined : toItem(row);
  }

  /** Every message not acked yet (queued or sent), in enqueue order. */
  pending(): OutboxItem[] {
    return this.unacked.all().map(toItem);
  }

  /** It went on the wire; it stays in the outbox until acked. */
  markSent(ref: MessageRef): boolean {
    return this.move(ref, SENT);
  }

  /** The server acked it (XEP-0198): it leaves the outbox. */
  markAcked(ref: MessageRef): boolean {
    return this.move(ref, ACKED);
  }

  /** The recipient's client received it (XEP-0184 receipt or XEP-0333 received). */
  markDelivered(ref: MessageRef): boolean {
    return this.move(ref, stateIndex('delivered'));
  }

  /** The recipient displayed it (XEP-0333 displayed). */
  markRead(ref: MessageRef): boolean {
    return this.move(ref, stateIndex('read'));
  }

  /**
   * Offers every sent-but-unacked message again: call it on start (profile.ts does) and when a new stream could not
   * resume the old one. Returns how many went back to queued.
   */
  requeueUnacked(): number {
    return this.requeue.run().changes;
  }

  private move(ref: MessageRef, to: number): boolean {
    return this.advanceStmt.run(to, ref.conversationId, ref.id, to).changes > 0;
  }
}
