/**
 * Sending through the outbox: a message is stored (state `queued`) before anything is written to the network, and it
 * leaves the outbox only when the server acknowledged it (XEP-0198 `ack`). What happens on the way:
 *   - online: written at once (`sent`); stream management keeps it in its own queue until acked;
 *   - the connection drops and the stream is RESUMED: stream management resends its unacked stanzas itself; messages
 *     queued while offline are sent after them, in order;
 *   - the stream is NOT resumed (new session, resumption refused, app restarted): every message not acked is sent
 *     again, in order, with the same id.
 * So each message is sent at least once, and its id (the stanza id and XEP-0359 origin-id) lets the receiver drop a
 * repeat: exactly once from the user's point of view. The store behind it is persistent in the app (src/store/);
 * MemoryOutboxStore is for tests of the sending logic.
 */
import { xml, type Client, type Element } from '@xmpp/client';

export type OutboxState = 'queued' | 'sent' | 'acked';

export interface OutboxEntry {
  /** Unique, stable id: the stanza's id and its origin-id. */
  readonly id: string;
  /** Bare JID of the recipient. */
  readonly to: string;
  /** The message's child elements (body, or OX <openpgp/>), serialized once when queued. */
  readonly payload: readonly Element[];
  /** What the user wrote, for a store that keeps it (the profile db, encrypted at rest); never put on the wire. */
  readonly text?: string;
  state: OutboxState;
}

export interface OutboxStore {
  enqueue(entry: OutboxEntry): void | Promise<void>;
  /** Entries not acked yet, oldest first. */
  pending(): readonly OutboxEntry[] | Promise<readonly OutboxEntry[]>;
  setState(id: string, state: OutboxState): void | Promise<void>;
}

export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();

  enqueue(entry: OutboxEntry): void {
    if (!this.entries.has(entry.id)) this.entries.set(entry.id, { ...entry });
  }

  pending(): OutboxEntry[] {
    return [...this.entries.values()].filter((e) => e.state !== 'acked');
  }

  setState(id: string, state: OutboxState): void {
    const e = this.entries.get(id);
    if (e !== undefined) e.state = state;
  }
}

const NS_SID = 'urn:xmpp:sid:0';

export function messageStanza(e: OutboxEntry): Element {
  return xml('message', { type: 'chat', to: e.to, id: e.id }, ...e.payload, xml('origin-id', { xmlns: NS_SID, id: e.id }));
}

export class OutboxSender {
  /** Ids written on the current stream and not acked: what stream management will resend on resumption. */
  private readonly inFlight = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly store: OutboxStore,
  ) {
    client.streamManagement.on('ack', (stanza) => {
      const id = stanza.attrs.id;
      if (stanza.is('message') && id !== undefined) {
        this.inFlight.delete(id);
        void this.store.setState(id, 'acked');
      }
    });
    client.streamManagement.on('fail', (stanza) => {
      const id = stanza.attrs.id;
      if (stanza.is('message') && id !== undefined) {
        this.inFlight.delete(id);
        void this.store.setState(id, 'queued');
      }
    });
    // A new session: nothing of the old stream will be resent by stream management. @xmpp/client says 'online'
    // right after resource binding and sends XEP-0198 <enable/> a few microtasks later: a message written in that gap
    // would be outside stream management and never acked. setImmediate runs after those microtasks (no I/O lies
    // between the two), so every message of the new session is counted.
    client.on('online', () => {
      this.inFlight.clear();
      setImmediate(() => {
        this.flush();
      });
    });
    client.streamManagement.on('resumed', () => {
      this.flush();
    });
  }

  /** Stores the message, then sends it if the client is online. Resolves once it is stored. */
  async send(entry: Omit<OutboxEntry, 'state'>): Promise<void> {
    await this.store.enqueue({ ...entry, state: 'queued' });
    this.flush();
  }

  /** Sends every pending message that is not already in flight on this stream, oldest first, one flush at a time. */
  flush(): void {
    this.flushing = this.flushing.then(() => this.flushOnce()).catch(() => undefined);
  }

  /** Resolves when the flushes asked for so far are done (for tests and shutdown). */
  async settled(): Promise<void> {
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    for (const e of await this.store.pending()) {
      if (this.client.status !== 'online') return;
      if (this.inFlight.has(e.id)) continue;
      this.inFlight.add(e.id);
      try {
        await this.client.send(messageStanza(e));
        if (e.state === 'queued') await this.store.setState(e.id, 'sent');
      } catch {
        // The connection went away while writing: the message stays pending and goes again later.
        this.inFlight.delete(e.id);
        return;
      }
    }
  }
}

/** Receiver side: drops a message whose id (origin-id, else the stanza id) was seen already. */
export class Deduplicator {
  private readonly seen = new Set<string>();

  /** True the first time a message with this sender and id is seen. */
  accept(message: Element): boolean {
    const id = message.getChild('origin-id', NS_SID)?.attrs.id ?? message.attrs.id;
    if (id === undefined) return true;
    const key = `${message.attrs.from?.split('/')[0] ?? ''} ${id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
