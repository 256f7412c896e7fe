import { describe, expect, it } from 'vitest';
import { history, message, pager } from './testing';
import { EMPTY, showLatest, showNewer, showOlder, WINDOW_MAX, WINDOW_STEP, withFirstPage, withMessage, withOlderPage, withState, type Timeline } from './timeline';

const all = history(10_000);
const page = pager(all);
const ids = (t: Timeline) => t.messages.slice(t.lo, t.hi).map((m) => m.id);

/** Loads the newest page and then `older` older pages, as the list does when the reader scrolls up. */
function loaded(older: number, limit = 500): Timeline {
  let t = withFirstPage(EMPTY, page({ conversationId: 1, limit }));
  for (let i = 0; i < older; i++) {
    if (t.next === null) break;
    t = withOlderPage(t, page({ conversationId: 1, before: t.next, limit }));
  }
  return t;
}

describe('the timeline of a conversation', () => {
  it('starts with the newest page, oldest first, all of it in the window', () => {
    const t = loaded(0, 100);
    expect(t.messages.map((m) => m.id)).toEqual(all.slice(-100).map((m) => m.id));
    expect([t.lo, t.hi, t.loaded]).toEqual([0, 100, true]);
    expect(t.next).toEqual({ time: all[9900]?.time, seq: all[9900]?.seq });
  });

  it('keeps what events brought while the first page was on its way', () => {
    const early = withMessage(EMPTY, message({ id: 'live', seq: 20_000, time: (all.at(-1)?.time ?? 0) + 5 }));
    const t = withFirstPage(early, page({ conversationId: 1, limit: 100 }));
    expect(t.messages.at(-1)?.id).toBe('live');
    expect(t.messages).toHaveLength(101);
  });

  it('puts older pages first and moves the window over them, never wider than WINDOW_MAX', () => {
    const t = loaded(5);
    expect(t.messages).toHaveLength(3000);
    expect(t.messages.map((m) => m.id)).toEqual(all.slice(-3000).map((m) => m.id));
    expect([t.lo, t.hi]).toEqual([0, WINDOW_MAX]);
  });

  it('moves the window by WINDOW_STEP within what is loaded, and back to the newest', () => {
    let t = loaded(5);
    t = showNewer(t);
    expect([t.lo, t.hi]).toEqual([WINDOW_STEP, WINDOW_MAX + WINDOW_STEP]);
    t = showOlder(t);
    expect([t.lo, t.hi]).toEqual([0, WINDOW_MAX]);
    expect(showOlder(t)).toBe(t);
    t = showLatest(t);
    expect(t.hi).toBe(t.messages.length);
    expect(ids(t).at(-1)).toBe('m9999');
    expect(showNewer(t)).toBe(t);
  });

  it('adds a live message to the window only when the window is at the newest message', () => {
    const atNewest = loaded(0);
    const next = message({ id: 'new', seq: 20_001, time: (all.at(-1)?.time ?? 0) + 1 });
    expect(ids(withMessage(atNewest, next)).at(-1)).toBe('new');
    const reading = loaded(5);
    const after = withMessage(reading, next);
    expect(after.messages.at(-1)?.id).toBe('new');
    expect([after.lo, after.hi]).toEqual([reading.lo, reading.hi]);
  });

  it('keeps the window at most WINDOW_MAX when live messages come in at the newest', () => {
    let t = showLatest(loaded(5));
    t = { ...t, lo: t.hi - WINDOW_MAX };
    t = withMessage(t, message({ id: 'n1', seq: 30_000, time: (all.at(-1)?.time ?? 0) + 1 }));
    expect(t.hi - t.lo).toBe(WINDOW_MAX);
    expect(ids(t).at(-1)).toBe('n1');
  });

  it('leaves a message older than every loaded one to its page, and does not show one twice', () => {
    const t = loaded(0, 100);
    const [old, newest] = [all[10], all[9999]];
    if (old === undefined || newest === undefined) throw new Error('no message');
    expect(withMessage(t, old)).toBe(t);
    expect(withMessage(t, newest)).toBe(t);
  });

  it('moves delivery states forward only', () => {
    const sent = withMessage(loaded(0, 10), message({ id: 'out', seq: 50_000, direction: 'out', state: 'sent', time: (all.at(-1)?.time ?? 0) + 1 }));
    const delivered = withState(sent, 'out', 'delivered');
    expect(delivered.messages.at(-1)?.state).toBe('delivered');
    expect(withState(delivered, 'out', 'acked')).toBe(delivered);
    expect(withState(delivered, 'nope', 'read')).toBe(delivered);
    // The same message again (from an event, after send answered) moves it on but is not added twice.
    const echoed = withMessage(delivered, message({ id: 'out', seq: 50_000, direction: 'out', state: 'read' }));
    expect(echoed.messages.filter((m) => m.id === 'out').map((m) => m.state)).toEqual(['read']);
  });
});
