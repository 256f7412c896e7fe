/** Test data for the chats tests (not used by the app). */
import type { ChatView, MessageView, OpInput, OpOutput } from '../../../src/api/contract';

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

export function message(over: Partial<MessageView> & Pick<MessageView, 'id'>): MessageView {
  return { seq: 1, conversationId: 1, direction: 'in', body: 'hello', time: T0, state: 'delivered', encrypted: true, ...over };
}

export function chat(over: Partial<ChatView> = {}): ChatView {
  return { conversationId: 1, accountId: 7, peer: 'ana@example.org', name: 'Ana', last: null, unread: 0, keys: 'verified', draft: '', avatar: null, ...over };
}

/** A conversation of `count` messages, oldest first, a second apart, alternating direction. */
export function history(count: number, conversationId = 1): MessageView[] {
  return Array.from({ length: count }, (_, i) =>
    message({ id: `m${i}`, seq: i + 1, conversationId, time: T0 + i * 1000, direction: i % 2 === 0 ? 'in' : 'out', state: 'read', body: `Message ${i}` }),
  );
}

/**
 * The core's `messages` over an in-memory history: newest first, keyset cursor (time, seq) of the last message of a
 * page, exactly as src/store/messages.ts pages.
 */
export function pager(all: readonly MessageView[]): (input: OpInput<'messages'>) => OpOutput<'messages'> {
  return ({ before, limit }) => {
    const end = before === undefined ? all.length : all.findIndex((m) => m.time > before.time || (m.time === before.time && m.seq >= before.seq));
    const stop = end === -1 ? all.length : end;
    const start = Math.max(0, stop - limit);
    const page = all.slice(start, stop).reverse();
    const last = page.at(-1);
    return { messages: page, next: start > 0 && last !== undefined ? { time: last.time, seq: last.seq } : null };
  };
}
