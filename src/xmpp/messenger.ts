/**
 * The message pipeline of one account: OX-encrypted one-to-one chat (XEP-0373/0374) that never loses a message and
 * shows each once.
 *
 * Sending: send(to, text) signcrypts the text to the contact's keys and our own (KeyProvider), gives the message a
 * random id (stanza id = XEP-0359 origin-id), writes it to the profile db — one row in the messages table that IS the
 * outbox entry, state queued — and only then hands it to OutboxSender (outbox.ts), which writes it when online and
 * keeps it until the server acks it (XEP-0198). States: queued → sent → acked (server) → delivered (XEP-0184 receipt
 * or XEP-0333 received) → read (XEP-0333 displayed); they only move forward. The stanza has no plaintext: its only
 * <body/> is a fixed sentence saying the message is encrypted. There is never a plaintext fallback: no keys, no send.
 *
 * Receiving: an <openpgp/> message is decrypted and its signature verified with the keys we hold for the sender;
 * stored once per (conversation, id) — a resend or an offline copy of a message we have is dropped before it is
 * even decrypted — and a receipt goes back when asked for (also for a repeat: the first receipt may have been lost).
 * A message that fails (wrong signature, not for us, garbled, no key) becomes a `rejected` event and is not stored.
 * A plaintext message is stored flagged `encrypted: false` (the UI warns). Receipts and markers move our sent
 * messages forward, but only those of the conversation with the one who sent them.
 *
 * Incoming messages are handled one at a time, in arrival order (the store's seq is that order). Nothing here logs.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Element, type JID } from '@xmpp/client';
import { xml } from '@xmpp/client';
import { normalizeBareJid } from '../crypto/encoding';
import { ContentError, CryptoError } from '../crypto/errors';
import { decryptSigncrypt, encryptSigncrypt } from '../crypto/ox';
import { MAX_BODY_CHARS, type MessageRef, type MessageState, type StoredMessage } from '../store/messages';
import type { OutboxItem } from '../store/outbox';
import { classify, displayedStanza, messageId, NS_SM, oxMessageChildren, payloadText, receiptStanza, signcryptBody } from './messenger-stanzas';
import { MessengerInputError, rejectionReason, type MessageRecord, type MessengerEvents, type MessengerOptions, type MessengerStats, type RejectionReason } from './messenger-types';
import { OutboxSender } from './outbox';
import { PersistentOutboxStore } from './outbox-store';
import { personJid } from './validate';

export type { KeyProvider } from './messenger-keys';
export type { MessageRecord, MessageRejection, MessengerEvents, MessengerOptions, MessengerStats, RejectionReason } from './messenger-types';
export { MessengerInputError } from './messenger-types';

export class Messenger extends EventEmitter<MessengerEvents> {
  readonly accountId: number;
  readonly outbox: PersistentOutboxStore;
  readonly stats: MessengerStats = { received: 0, duplicates: 0, rejected: 0, receiptsSent: 0 };
  private readonly sender: OutboxSender;
  private readonly ourJid: string;
  private sending: Promise<unknown> = Promise.resolve();
  private receiving: Promise<void> = Promise.resolve();
  private writtenSinceAckRequest = 0;
  private flushScheduled = false;
  private readonly onAccountMessage = (stanza: Element, from: JID): void => {
    this.receiving = this.receiving.then(() => this.receive(stanza, from)).catch(() => undefined);
  };

  constructor(private readonly options: MessengerOptions) {
    super();
    const { account, store } = options;
    this.ourJid = account.bareJid;
    this.accountId = store.accounts.ensure(this.ourJid).id;
    this.outbox = new PersistentOutboxStore({
      store,
      accountId: this.accountId,
      ...(options.window === undefined ? {} : { window: options.window }),
      rebuild: (item) => this.rebuild(item),
      onState: (ref, state) => {
        this.onOutboxState(ref, state);
      },
      onRebuildError: (ref, error) => {
        this.emit('stuck', ref, error instanceof Error ? error : new Error(String(error)));
      },
    });
    this.sender = new OutboxSender(account.client, this.outbox);
    account.on('message', this.onAccountMessage);
  }

  /**
   * Encrypts `text` for `to`, stores it (queued) and hands it to the outbox; resolves with the stored message once
   * it is in the profile db, before it is on the wire. Rejects with a CryptoError (no usable key: nothing is stored)
   * or MessengerInputError. Calls are handled in call order, so messages keep their order.
   */
  send(to: string, text: string): Promise<StoredMessage> {
    const next = this.sending.then(() => this.sendNow(to, text));
    this.sending = next.catch(() => undefined);
    return next;
  }

  /** Marks an incoming message read here and tells its sender (XEP-0333 displayed). */
  async markRead(ref: MessageRef): Promise<void> {
    const message = this.options.store.messages.get(ref);
    const conversation = this.options.store.conversations.get(ref.conversationId);
    if (message?.direction !== 'in' || conversation === undefined) return;
    this.options.store.messages.advance(ref, 'read');
    if (this.options.account.online) await this.options.account.send(displayedStanza(conversation.peerJid, ref.id));
  }

  /**
   * Takes a message of one of our conversations that did not come as a live delivery: a carbon (XEP-0280) or an
   * archive result (XEP-0313), already checked by carbons.ts / mam.ts (from our own account, a forwarded message of
   * the right shape). 'in': a contact sent it; 'out': one of our devices did — it is signed by one of our keys and its
   * <to/> must name the contact. Stored once per (conversation, id), like live messages; receipts in records move
   * our messages forward ('in') or mark a contact's messages read here because another device showed them ('out').
   */
  ingest(record: MessageRecord): Promise<void> {
    const next = this.receiving.then(() => this.ingestNow(record)).catch(() => undefined);
    this.receiving = next;
    return next;
  }

  /** Resolves when what was sent and received so far has been handled (stored; written if online). */
  async settled(): Promise<void> {
    await this.sending;
    await this.receiving;
    await this.sender.settled();
  }

  /** Stops listening for incoming messages. */
  close(): void {
    this.options.account.off('message', this.onAccountMessage);
  }

  private async sendNow(to: string, text: string): Promise<StoredMessage> {
    const peer = personJid(to);
    if (peer === undefined) throw new MessengerInputError('recipient');
    if (text.length === 0 || text.length > MAX_BODY_CHARS) throw new MessengerInputError('text');
    const id = randomUUID();
    const payload = oxMessageChildren(await this.encrypt(peer, text));
    await this.sender.send({ id, to: peer, payload, text });
    const conversation = this.options.store.conversations.find(this.accountId, peer);
    const stored = conversation === undefined ? undefined : this.options.store.messages.get({ conversationId: conversation.id, id });
    if (stored === undefined) throw new Error('the message vanished from the outbox');
    this.emit('state', { conversationId: stored.conversationId, id }, 'queued');
    return stored;
  }

  private async encrypt(peer: string, text: string): Promise<string> {
    const { keys } = this.options;
    return encryptSigncrypt({
      to: [peer],
      from: this.ourJid,
      body: signcryptBody(text),
      recipientsKeys: await keys.keysForSending(peer),
      senderKey: keys.ourKey,
    });
  }

  /** A message of an earlier run: a new OpenPGP message of the same text under the same id. */
  private async rebuild(item: OutboxItem): Promise<readonly Element[]> {
    return oxMessageChildren(await this.encrypt(item.peerJid, item.body));
  }

  private onOutboxState(ref: MessageRef, state: MessageState): void {
    this.emit('state', ref, state);
    if (state === 'sent') {
      this.writtenSinceAckRequest += 1;
      if (this.writtenSinceAckRequest >= (this.options.ackEvery ?? 20)) this.requestAck();
    } else if (state === 'acked') {
      this.scheduleFlush();
    }
  }

  /** XEP-0198 <r/>: @xmpp/client asks only after a pause in sending, so under steady traffic acks would not come. */
  private requestAck(): void {
    const client = this.options.account.client;
    this.writtenSinceAckRequest = 0;
    if (client.status !== 'online' || !client.streamManagement.enabled) return;
    client.send(xml('r', { xmlns: NS_SM })).catch(() => undefined);
  }

  /** An ack freed room in the window: send what waits behind it (once per turn of the event loop). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.sender.flush();
    });
  }

  private async receive(stanza: Element, from: JID): Promise<void> {
    const type = stanza.attrs.type;
    if (type === 'error' || type === 'groupchat' || type === 'headline') return;
    const peer = personJid(from.bare().toString());
    if (peer === undefined || peer === this.ourJid) return; // servers, and our own copies (carbons: not handled here)
    const incoming = classify(stanza);
    const id = messageId(stanza);
    try {
      if (incoming.kind === 'receipt') this.onReceipt(peer, incoming.refersTo, incoming.state);
      else if (incoming.kind === 'ox') await this.onOx(stanza, peer, id, incoming.openpgpText, incoming.wantsReceipt);
      else if (incoming.kind === 'plain') await this.onPlain(stanza, peer, id, incoming.body, incoming.wantsReceipt);
    } catch (err) {
      this.reject(peer, id, 'failed', err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async ingestNow(record: MessageRecord): Promise<void> {
    const { message, direction } = record;
    const type = message.attrs.type;
    if (type === 'error' || type === 'groupchat' || type === 'headline') return;
    const peer = personJid(record.peer);
    if (peer === undefined || peer === this.ourJid) return;
    const incoming = classify(message);
    const id = messageId(message);
    try {
      if (incoming.kind === 'receipt') {
        if (direction === 'in') this.onReceipt(peer, incoming.refersTo, incoming.state);
        else if (incoming.state === 'read') this.onReadElsewhere(peer, incoming.refersTo);
        return;
      }
      if (incoming.kind === 'other' || this.isDuplicate(peer, id)) return;
      const time = Math.min(record.archivedAt?.getTime() ?? Date.now(), Date.now());
      if (incoming.kind === 'plain') {
        if (incoming.body.length > 0) await this.storeRecord(direction, peer, id, incoming.body, time, false);
        return;
      }
      const { keys } = this.options;
      const sender = direction === 'in' ? peer : this.ourJid;
      let content;
      try {
        content = await decryptSigncrypt({
          openpgpText: incoming.openpgpText,
          ourJid: this.ourJid,
          senderJid: sender,
          ourKey: keys.ourKey,
          senderKeys: await keys.keysForVerifying(sender),
          ...(direction === 'out' ? { stanzaTo: peer } : {}),
        });
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        this.reject(peer, id, rejectionReason(err), err);
        return;
      }
      const text = payloadText(content.payload);
      if (text !== undefined) await this.storeRecord(direction, peer, id, text, Math.min(content.time.getTime(), time), true);
    } catch (err) {
      this.reject(peer, id, 'failed', err instanceof Error ? err : new Error(String(err)));
    }
  }

  private storeRecord(direction: 'in' | 'out', peer: string, givenId: string | undefined, text: string, time: number, encrypted: boolean): Promise<void> {
    if (text.length > MAX_BODY_CHARS) {
      this.reject(peer, givenId, 'bad-content', new ContentError('the message is too long'));
      return Promise.resolve();
    }
    const { store } = this.options;
    const conversation = store.conversations.ensure(this.accountId, peer);
    const id = givenId ?? randomUUID();
    // Sent by another device of ours: the server has it (it made the carbon / archived it).
    const state: MessageState = direction === 'out' ? 'acked' : 'delivered';
    const { inserted, message } = store.messages.insert({ conversationId: conversation.id, id, direction, body: text, time, encrypted, state });
    if (inserted) {
      this.stats.received += 1;
      this.emit('message', message, peer);
    }
    return Promise.resolve();
  }

  /** Another device of ours showed the contact's message (XEP-0333 displayed it sent): read here too. */
  private onReadElsewhere(peer: string, refersTo: string): void {
    const conversation = this.options.store.conversations.find(this.accountId, peer);
    if (conversation === undefined) return;
    const ref = { conversationId: conversation.id, id: refersTo };
    if (this.options.store.messages.get(ref)?.direction === 'in' && this.options.store.messages.advance(ref, 'read')) this.emit('state', ref, 'read');
  }

  private onReceipt(peer: string, refersTo: string, state: 'delivered' | 'read'): void {
    const conversation = this.options.store.conversations.find(this.accountId, peer);
    if (conversation === undefined) return;
    const ref = { conversationId: conversation.id, id: refersTo };
    const moved = state === 'read' ? this.options.store.outbox.markRead(ref) : this.options.store.outbox.markDelivered(ref);
    if (moved) this.emit('state', ref, state);
  }

  /** True (and counted) when this conversation already has a message with this id. */
  private isDuplicate(peer: string, id: string | undefined): boolean {
    if (id === undefined) return false;
    const conversation = this.options.store.conversations.find(this.accountId, peer);
    if (conversation === undefined) return false;
    const ref = { conversationId: conversation.id, id };
    if (this.options.store.messages.get(ref) === undefined) return false;
    this.stats.duplicates += 1;
    this.emit('duplicate', ref);
    return true;
  }

  private async onOx(stanza: Element, peer: string, givenId: string | undefined, openpgpText: string, wantsReceipt: boolean): Promise<void> {
    if (this.isDuplicate(peer, givenId)) {
      if (wantsReceipt && givenId !== undefined) await this.sendReceipt(stanza, givenId);
      return;
    }
    const { keys } = this.options;
    let content;
    try {
      content = await decryptSigncrypt({ openpgpText, ourJid: this.ourJid, senderJid: peer, ourKey: keys.ourKey, senderKeys: await keys.keysForVerifying(peer) });
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      this.reject(peer, givenId, rejectionReason(err), err);
      return;
    }
    const text = payloadText(content.payload);
    if (text === undefined) return; // e.g. an encrypted chat state: nothing to store
    const time = Math.min(content.time.getTime(), Date.now());
    await this.store(stanza, peer, givenId, text, time, true, wantsReceipt);
  }

  private async onPlain(stanza: Element, peer: string, givenId: string | undefined, body: string, wantsReceipt: boolean): Promise<void> {
    if (this.isDuplicate(peer, givenId)) {
      if (wantsReceipt && givenId !== undefined) await this.sendReceipt(stanza, givenId);
      return;
    }
    if (body.length === 0) return;
    await this.store(stanza, peer, givenId, body, Date.now(), false, wantsReceipt);
  }

  private async store(stanza: Element, peer: string, givenId: string | undefined, text: string, time: number, encrypted: boolean, wantsReceipt: boolean): Promise<void> {
    if (text.length > MAX_BODY_CHARS) {
      this.reject(peer, givenId, 'bad-content', new ContentError('the message is too long'));
      return;
    }
    const { store } = this.options;
    const conversation = store.conversations.ensure(this.accountId, peer);
    const id = givenId ?? randomUUID();
    const { inserted, message } = store.messages.insert({ conversationId: conversation.id, id, direction: 'in', body: text, time, encrypted });
    if (inserted) {
      this.stats.received += 1;
      this.emit('message', message, peer);
    } else {
      this.stats.duplicates += 1;
      this.emit('duplicate', { conversationId: conversation.id, id });
    }
    if (wantsReceipt && givenId !== undefined) await this.sendReceipt(stanza, givenId);
  }

  private async sendReceipt(stanza: Element, id: string): Promise<void> {
    const to = stanza.attrs.from;
    if (to === undefined || !this.options.account.online) return;
    try {
      await this.options.account.send(receiptStanza(to, id));
      this.stats.receiptsSent += 1;
    } catch {
      // Offline again: the sender's message stays 'acked' until a later receipt or marker.
    }
  }

  private reject(peer: string, id: string | undefined, reason: RejectionReason, error: Error): void {
    this.stats.rejected += 1;
    this.emit('rejected', { peer: normalizeBareJid(peer), id, reason, error });
  }
}
