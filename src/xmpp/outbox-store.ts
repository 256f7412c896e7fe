/**
 * The OutboxStore of OutboxSender (outbox.ts) on the profile database's outbox (src/store/outbox.ts): one row in the
 * messages table per message, written (state queued) in one transaction before anything goes on the wire, moved to
 * sent, then acked by the server's XEP-0198 ack, when it leaves the outbox. Opening the profile requeued what was
 * sent but not acked (profile.ts), so after a crash pending() offers it again, in enqueue order, under the same id.
 *
 * The database keeps what the user wrote (encrypted at rest), not the wire payload: the OX payload of a message
 * enqueued in this run is kept in memory until it is acked; one from an earlier run (the app crashed or quit with it
 * unacked) is built again from its text by `rebuild` — a new OpenPGP message under the same id, which the receiver
 * drops if it had the first one. pending() returns a window of the oldest `window` unacked messages, so a long queue
 * (a day offline) costs neither memory nor a re-encryption of everything at once: the caller flushes again on acks.
 *
 * setState('queued') (XEP-0198 'fail': the stream died without resumption) changes nothing in the database: the
 * store's states only move forward, and a sent-but-unacked message is pending all the same, so OutboxSender sends it
 * again on the next stream; a restart requeues it in the database.
 */
import type { Element } from '@xmpp/client';
import type { Store } from '../store';
import type { MessageRef, MessageState } from '../store/messages';
import type { OutboxItem } from '../store/outbox';
import type { OutboxEntry, OutboxState, OutboxStore } from './outbox';

/** Builds the wire payload of a message whose payload is not in memory any more (from an earlier run). */
export type PayloadBuilder = (item: OutboxItem) => Promise<readonly Element[]>;

export interface PersistentOutboxOptions {
  readonly store: Store;
  /** The account whose outbox this is (the profile may hold several). */
  readonly accountId: number;
  readonly rebuild: PayloadBuilder;
  /** The most messages pending() returns (the oldest): at most this many are in flight at once. Default 200. */
  readonly window?: number;
  /** Called after a message's state moved forward in the database. */
  readonly onState?: (ref: MessageRef, state: MessageState) => void;
  /** A message from an earlier run could not be built again (e.g. the contact has no usable key now): it stays queued. */
  readonly onRebuildError?: (ref: MessageRef, error: unknown) => void;
}

export class PersistentOutboxStore implements OutboxStore {
  /** Payloads of messages enqueued or rebuilt in this run, until acked. */
  private readonly payloads = new Map<string, readonly Element[]>();
  /** id → conversation, for setState (OutboxSender names a message by its id only). */
  private readonly conversations = new Map<string, number>();
  private readonly window: number;

  constructor(private readonly options: PersistentOutboxOptions) {
    this.window = options.window ?? 200;
  }

  /** Writes the message to the outbox (state queued) unless it is there already; its text must be given. */
  enqueue(entry: OutboxEntry): void {
    if (entry.text === undefined) throw new TypeError('a persistent outbox entry needs the text the user wrote');
    const { store, accountId } = this.options;
    const conversation = store.conversations.ensure(accountId, entry.to);
    const item = store.outbox.enqueue({ conversationId: conversation.id, id: entry.id, body: entry.text, encrypted: isEncrypted(entry.payload) });
    this.conversations.set(item.id, item.conversationId);
    if (item.state === 'queued' || item.state === 'sent') this.payloads.set(item.id, entry.payload);
  }

  /** The oldest unacked messages of this account (at most `window`), with their payloads. */
  async pending(): Promise<OutboxEntry[]> {
    const items = this.options.store.outbox.pending().filter((m) => m.accountId === this.options.accountId);
    const out: OutboxEntry[] = [];
    const blocked = new Set<number>();
    for (const item of items.slice(0, this.window)) {
      if (blocked.has(item.conversationId)) continue;
      this.conversations.set(item.id, item.conversationId);
      let payload = this.payloads.get(item.id);
      if (payload === undefined) {
        try {
          payload = await this.options.rebuild(item);
        } catch (err) {
          this.options.onRebuildError?.({ conversationId: item.conversationId, id: item.id }, err);
          // Later messages to this contact wait behind it (their order matters); the user is told.
          blocked.add(item.conversationId);
          continue;
        }
        this.payloads.set(item.id, payload);
      }
      out.push({ id: item.id, to: item.peerJid, payload, text: item.body, state: item.state === 'queued' ? 'queued' : 'sent' });
    }
    return out;
  }

  setState(id: string, state: OutboxState): void {
    const conversationId = this.conversations.get(id);
    if (conversationId === undefined) return; // not one of ours (a receipt or marker we sent)
    const ref = { conversationId, id };
    if (state === 'sent') {
      if (this.options.store.outbox.markSent(ref)) this.options.onState?.(ref, 'sent');
    } else if (state === 'acked') {
      this.payloads.delete(id);
      this.conversations.delete(id);
      if (this.options.store.outbox.markAcked(ref)) this.options.onState?.(ref, 'acked');
    }
  }

  /** How many messages of this account wait for the server's ack (queued or sent). */
  unackedCount(): number {
    return this.options.store.outbox.pending().filter((m) => m.accountId === this.options.accountId).length;
  }
}

const isEncrypted = (payload: readonly Element[]): boolean => payload.some((el) => el.is('openpgp', 'urn:xmpp:openpgp:0'));
