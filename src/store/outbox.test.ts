// The outbox on a real encrypted profile: written before sending, offered in order, kept until acked, offered again
// after a restart; states from receipts and markers. The crash test (a child killed with SIGKILL) is in
// outbox-crash.test.ts.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreInputError } from './errors';
import { MemoryKeySource } from './key';
import { openProfile, type Store } from './profile';
import { seedConversation, useTemp } from './testing/fixtures';

const temp = useTemp('outbox');
const keychain = new MemoryKeySource();
let path: string;
let store: Store;
let conv: number;

const reopen = async (): Promise<Store> => temp.track(await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p' }));

beforeEach(async () => {
  path = join(await temp.dir(), 'p.db');
  store = temp.track(await openProfile(path, { kind: 'keychain', source: keychain, profileId: 'p' }, { create: true }));
  conv = seedConversation(store).conversationId;
});

describe('outbox', () => {
  it('stores a message as queued before it is sent, with an origin id and its destination', () => {
    const item = store.outbox.enqueue({ conversationId: conv, body: 'hello', encrypted: true });
    expect(item).toMatchObject({ conversationId: conv, direction: 'out', body: 'hello', state: 'queued', encrypted: true, peerJid: 'peer@b.test' });
    expect(item.id).toMatch(/^[0-9a-f-]{36}$/u);
    expect(store.messages.get(item)?.state).toBe('queued');
  });

  it('offers queued messages in enqueue order, one at a time, until each is sent', () => {
    const ids = ['a', 'b', 'c'].map((id) => store.outbox.enqueue({ conversationId: conv, id, body: id, encrypted: true }).id);
    const sent: string[] = [];
    for (let m = store.outbox.nextToSend(); m !== undefined; m = store.outbox.nextToSend()) {
      sent.push(m.id);
      store.outbox.markSent(m);
    }
    expect(sent).toEqual(ids);
    // Sent is not done: all three wait for the server's ack.
    expect(store.outbox.pending().map((m) => m.id)).toEqual(ids);
    store.outbox.markAcked({ conversationId: conv, id: 'a' });
    expect(store.outbox.pending().map((m) => m.id)).toEqual(['b', 'c']);
  });

  it('offers the same message again when sending it failed (markSent was not called)', () => {
    store.outbox.enqueue({ conversationId: conv, id: 'a', body: 'a', encrypted: true });
    store.outbox.enqueue({ conversationId: conv, id: 'b', body: 'b', encrypted: true });
    expect(store.outbox.nextToSend()?.id).toBe('a');
    expect(store.outbox.nextToSend()?.id).toBe('a');
  });

  it('offers every unacked message again after a restart, in order, and nothing that was acked', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) store.outbox.enqueue({ conversationId: conv, id, body: id, encrypted: true });
    for (const id of ['a', 'b', 'c', 'd']) store.outbox.markSent({ conversationId: conv, id });
    store.outbox.markAcked({ conversationId: conv, id: 'a' });
    store.outbox.markAcked({ conversationId: conv, id: 'b' });
    store.close();

    const again = await reopen();
    expect(again.requeuedOnOpen).toBe(2);
    const offered: string[] = [];
    for (let m = again.outbox.nextToSend(); m !== undefined; m = again.outbox.nextToSend()) {
      offered.push(m.id);
      again.outbox.markSent(m);
    }
    expect(offered).toEqual(['c', 'd', 'e']);
  });

  it('requeues on request (a new stream that could not resume the old one)', () => {
    store.outbox.enqueue({ conversationId: conv, id: 'a', body: 'a', encrypted: false });
    store.outbox.markSent({ conversationId: conv, id: 'a' });
    expect(store.outbox.nextToSend()).toBeUndefined();
    expect(store.outbox.requeueUnacked()).toBe(1);
    expect(store.outbox.nextToSend()?.id).toBe('a');
  });

  it('takes receipts and markers, also when they overtake the ack, and never moves a state back', () => {
    const ref = store.outbox.enqueue({ conversationId: conv, body: 'x', encrypted: true });
    store.outbox.markSent(ref);
    expect(store.outbox.markDelivered(ref)).toBe(true);
    // The receipt implies the server had it: the message left the outbox, and the late ack changes nothing.
    expect(store.outbox.pending()).toEqual([]);
    expect(store.outbox.markAcked(ref)).toBe(false);
    expect(store.outbox.markRead(ref)).toBe(true);
    expect(store.outbox.markDelivered(ref)).toBe(false);
    expect(store.messages.get(ref)?.state).toBe('read');
  });

  it('is idempotent for a retried enqueue, and refuses a used id with another body or an unknown conversation', () => {
    const a = store.outbox.enqueue({ conversationId: conv, id: 'x', body: 'same', encrypted: true });
    expect(store.outbox.enqueue({ conversationId: conv, id: 'x', body: 'same', encrypted: true })).toEqual(a);
    expect(() => store.outbox.enqueue({ conversationId: conv, id: 'x', body: 'different', encrypted: true })).toThrow(StoreInputError);
    expect(() => store.outbox.enqueue({ conversationId: 999, body: 'x', encrypted: true })).toThrow(StoreInputError);
    expect(store.outbox.pending()).toHaveLength(1);
  });

  it('leaves incoming messages out', () => {
    store.messages.insert({ conversationId: conv, id: 'in', direction: 'in', body: 'x', time: 1, state: 'delivered', encrypted: true });
    expect(store.outbox.pending()).toEqual([]);
    expect(store.outbox.markAcked({ conversationId: conv, id: 'in' })).toBe(false);
  });
});
