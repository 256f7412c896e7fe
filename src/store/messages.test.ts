// Messages on a real encrypted profile: dedupe by id, full-text search, keyset paging across equal timestamps, and
// states that only move forward.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreInputError } from './errors';
import { MemoryKeySource } from './key';
import { ftsQuery, type NewMessage, type PageCursor, type StoredMessage } from './messages';
import { openProfile, type Store } from './profile';
import { seedConversation, useTemp } from './testing/fixtures';
import { prng } from '../../test/helpers/prng';

const temp = useTemp('messages');
let store: Store;
let conv: number;

beforeEach(async () => {
  const path = join(await temp.dir(), 'p.db');
  store = temp.track(await openProfile(path, { kind: 'keychain', source: new MemoryKeySource(), profileId: 'p' }, { create: true }));
  conv = seedConversation(store).conversationId;
});

const msg = (id: string, body: string, time: number, extra: Partial<NewMessage> = {}): NewMessage => ({
  conversationId: conv,
  id,
  direction: 'in',
  body,
  time,
  encrypted: true,
  ...extra,
});

describe('dedupe by id', () => {
  it('stores a message once per conversation, however often it arrives', () => {
    const first = store.messages.insert(msg('origin-1', 'hi', 1000));
    expect(first.inserted).toBe(true);
    const again = store.messages.insert(msg('origin-1', 'hi (resent)', 2000));
    expect(again).toEqual({ inserted: false, message: first.message });
    expect(store.messages.count(conv)).toBe(1);
    expect(store.messages.insertMany([msg('origin-1', 'x', 1), msg('origin-2', 'y', 2), msg('origin-2', 'y', 2)])).toBe(1);
    expect(store.messages.count(conv)).toBe(2);
  });

  it('keeps the same id apart in another conversation', () => {
    const other = store.conversations.ensure(store.accounts.ensure('me@a.test').id, 'other@b.test').id;
    store.messages.insert(msg('same-id', 'to peer', 1));
    expect(store.messages.insert({ ...msg('same-id', 'to other', 1), conversationId: other }).inserted).toBe(true);
    expect(store.messages.count(conv) + store.messages.count(other)).toBe(2);
  });

  it('refuses empty ids, huge bodies and bad times', () => {
    expect(() => store.messages.insert(msg('', 'x', 1))).toThrow(StoreInputError);
    expect(() => store.messages.insert(msg('a', 'x'.repeat(70_000), 1))).toThrow(StoreInputError);
    expect(() => store.messages.insert(msg('a', 'x', 1.5))).toThrow(StoreInputError);
  });
});

describe('full-text search', () => {
  beforeEach(() => {
    store.messages.insertMany([
      msg('1', 'Shall we meet at the harbour on Friday?', 1),
      msg('2', 'The café near the station does great croissants', 2),
      msg('3', 'I left my umbrella somewhere between here and the harbour', 3),
      msg('4', 'Dinner: lasagne, salad, and tiramisu for dessert', 4),
      msg('5', 'ok', 5),
    ]);
  });

  const ids = (list: StoredMessage[]): string[] => list.map((m) => m.id);

  it('finds a word in the middle of a body, newest first', () => {
    expect(ids(store.messages.search('umbrella'))).toEqual(['3']);
    expect(ids(store.messages.search('harbour'))).toEqual(['3', '1']);
    expect(ids(store.messages.search('salad'))).toEqual(['4']);
  });

  it('needs every word, takes the last as a prefix, ignores case and accents', () => {
    expect(ids(store.messages.search('harbour umbrella'))).toEqual(['3']);
    expect(ids(store.messages.search('harbour salad'))).toEqual([]);
    expect(ids(store.messages.search('tiram'))).toEqual(['4']);
    expect(ids(store.messages.search('CAFE'))).toEqual(['2']);
    expect(ids(store.messages.search('Croissants'))).toEqual(['2']);
  });

  it('treats FTS5 syntax in the search text as plain text', () => {
    for (const text of ['"', 'harbour"', 'NOT harbour', 'harbour OR', '*', '(', 'body:x', 'a AND', '^ok', 'NEAR(a b)']) {
      expect(() => store.messages.search(text), text).not.toThrow();
    }
    expect(store.messages.search('   ')).toEqual([]);
    expect(ftsQuery('say "hi" now')).toBe('"say" "hi" "now"*');
  });

  it('follows deletes (the index is kept in sync by triggers) and can stay in one conversation', () => {
    expect(store.messages.delete({ conversationId: conv, id: '3' })).toBe(true);
    expect(ids(store.messages.search('harbour'))).toEqual(['1']);
    expect(store.messages.search('umbrella')).toEqual([]);
    const other = store.conversations.ensure(store.accounts.ensure('me@a.test').id, 'other@b.test').id;
    store.messages.insert({ ...msg('9', 'harbour again', 9), conversationId: other });
    expect(ids(store.messages.search('harbour'))).toEqual(['9', '1']);
    expect(ids(store.messages.search('harbour', { conversationId: conv }))).toEqual(['1']);
  });

  it('keeps the index consistent with the table (FTS5 integrity-check)', () => {
    store.messages.delete({ conversationId: conv, id: '1' });
    store.db.prepare("UPDATE messages SET body = 'rewritten body' WHERE id = '2'").run();
    expect(() => store.db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    expect(ids(store.messages.search('rewritten'))).toEqual(['2']);
    expect(store.messages.search('croissants')).toEqual([]);
  });
});

describe('paging', () => {
  it('walks the whole conversation newest first, across equal timestamps and late arrivals, without gaps or repeats', () => {
    const random = prng(42);
    // 103 messages in 9 distinct timestamps, stored in a shuffled order (as MAM backfill and live traffic mix).
    const list = Array.from({ length: 103 }, (_, i) => msg(`m${i}`, `body ${i}`, 1_700_000_000_000 + Math.floor(random() * 9) * 1000));
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j] as NewMessage, list[i] as NewMessage];
    }
    store.messages.insertMany(list);
    const expected = store.db
      .prepare<[number], { id: string }>('SELECT id FROM messages WHERE conversation_id = ? ORDER BY time DESC, seq DESC')
      .all(conv)
      .map((r) => r.id);

    for (const size of [1, 7, 10, 103, 500]) {
      const seen: StoredMessage[] = [];
      let cursor: PageCursor | undefined;
      let pages = 0;
      do {
        const page = store.messages.page(conv, size, cursor);
        seen.push(...page.messages);
        cursor = page.next;
        pages++;
      } while (cursor !== undefined);
      expect(seen.map((m) => m.id), `page size ${size}`).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(103 / size)));
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1], seen[i]];
        if (a === undefined || b === undefined) throw new Error('unreachable');
        expect(a.time > b.time || (a.time === b.time && a.seq > b.seq)).toBe(true);
      }
    }
  });

  it('returns an empty first page, and no next cursor, for an empty conversation', () => {
    expect(store.messages.page(conv, 20)).toEqual({ messages: [], next: undefined });
    expect(() => store.messages.page(conv, 0)).toThrow(StoreInputError);
  });
});

describe('states', () => {
  it('only move forward', () => {
    store.messages.insert(msg('x', 'out', 1, { direction: 'out' }));
    const ref = { conversationId: conv, id: 'x' };
    expect(store.messages.get(ref)?.state).toBe('queued');
    expect(store.messages.advance(ref, 'read')).toBe(true);
    expect(store.messages.advance(ref, 'acked')).toBe(false);
    expect(store.messages.get(ref)?.state).toBe('read');
    expect(store.messages.insert(msg('y', 'in', 2)).message.state).toBe('delivered');
  });
});
