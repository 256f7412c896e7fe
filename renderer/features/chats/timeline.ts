/**
 * A conversation's loaded history and the window of it that is on the virtualized list.
 *
 * Every loaded message stays in memory (plain data: 100,000 messages are a few megabytes), but the virtualizer gets
 * at most WINDOW_MAX of them: its layout pass is O(rows it knows), and with the whole history it took 100 ms and more
 * per page in Chromium once 60,000 were loaded. The window moves by WINDOW_STEP as the reader nears one of its ends;
 * the older page is fetched only when the window already starts at the oldest loaded message. Pure functions: the
 * hook (useConversation) keeps a Timeline in state and the tests drive these directly.
 */
import type { MessageView, OpOutput } from '../../../src/api/contract';
import { isLater, type MessageState } from './format';

export type Page = OpOutput<'messages'>;
export type Cursor = NonNullable<Page['next']>;

export const WINDOW_MAX = 1500;
export const WINDOW_STEP = 500;

export interface Timeline {
  /** Oldest first; only the pages loaded so far (plus live messages). */
  messages: MessageView[];
  /** The window on the list: messages[lo, hi). hi === messages.length means the newest message is in it. */
  lo: number;
  hi: number;
  /** The cursor of the older page, null when the oldest message is loaded. */
  next: Cursor | null;
  loaded: boolean;
  loadingOlder: boolean;
  error: string | undefined;
}

export const EMPTY: Timeline = { messages: [], lo: 0, hi: 0, next: null, loaded: false, loadingOlder: false, error: undefined };

function before(a: MessageView, b: MessageView): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Keeps the window at most WINDOW_MAX long, cutting the end away from `keep`. */
function clamp(t: Timeline, keep: 'start' | 'end'): Timeline {
  if (t.hi - t.lo <= WINDOW_MAX) return t;
  return keep === 'start' ? { ...t, hi: t.lo + WINDOW_MAX } : { ...t, lo: t.hi - WINDOW_MAX };
}

/** The newest page (newest first from the core); messages that events brought meanwhile are kept. */
export function withFirstPage(t: Timeline, page: Page): Timeline {
  const messages = page.messages.toReversed();
  let next: Timeline = { ...t, messages, lo: 0, hi: messages.length, next: page.next, loaded: true, error: undefined };
  for (const m of t.messages) next = withMessage(next, m);
  return clamp(next, 'end');
}

/** An older page lands before the oldest loaded message; the window grows over it, its newer end is cut. */
export function withOlderPage(t: Timeline, page: Page): Timeline {
  // Keyset pages do not overlap and withMessage keeps events out of unloaded ranges: a duplicate could only sit at
  // the old end, so only that end is checked (not the whole history).
  const have = new Set(t.messages.slice(0, 2 * page.messages.length).map((m) => m.id));
  const older = page.messages.filter((m) => !have.has(m.id)).reverse();
  const k = older.length;
  const shifted: Timeline = { ...t, messages: [...older, ...t.messages], lo: t.lo + k, hi: t.hi + k, next: page.next, loadingOlder: false, error: undefined };
  return clamp({ ...shifted, lo: Math.max(0, shifted.lo - k) }, 'start');
}

/**
 * A message from an event or from send: updates the copy already there, or puts it in time order. One older than
 * everything loaded while older pages exist belongs to an unloaded page: it comes with that page.
 */
export function withMessage(t: Timeline, message: MessageView): Timeline {
  const list = t.messages;
  const at = list.findLastIndex((m) => m.id === message.id);
  if (at >= 0) return withState(t, message.id, message.state);
  const first = list[0];
  if (t.next !== null && first !== undefined && before(message, first)) return t;
  let i = list.length;
  while (i > 0) {
    const prev = list[i - 1];
    if (prev === undefined || !before(message, prev)) break;
    i--;
  }
  const messages = [...list.slice(0, i), message, ...list.slice(i)];
  if (i < t.lo) return { ...t, messages, lo: t.lo + 1, hi: t.hi + 1 };
  if (i <= t.hi) return clamp({ ...t, messages, hi: t.hi + 1 }, 'end');
  return { ...t, messages };
}

/** A delivery state moves forward only (as in the core's store: a late ack does not undo "read"). */
export function withState(t: Timeline, id: string, state: MessageState): Timeline {
  const at = t.messages.findLastIndex((m) => m.id === id);
  const old = t.messages[at];
  if (old === undefined || !isLater(state, old.state)) return t;
  const messages = t.messages.slice();
  messages[at] = { ...old, state };
  return { ...t, messages };
}

/** The reader nears the top of the window: show older loaded messages (no fetch). */
export function showOlder(t: Timeline): Timeline {
  if (t.lo === 0) return t;
  return clamp({ ...t, lo: Math.max(0, t.lo - WINDOW_STEP) }, 'start');
}

/** The reader nears the bottom of the window: show newer loaded messages. */
export function showNewer(t: Timeline): Timeline {
  if (t.hi === t.messages.length) return t;
  return clamp({ ...t, hi: Math.min(t.messages.length, t.hi + WINDOW_STEP) }, 'end');
}

/** Back to the newest message (after sending, or "Newest messages"). */
export function showLatest(t: Timeline): Timeline {
  if (t.hi === t.messages.length) return t;
  return { ...t, hi: t.messages.length, lo: Math.max(0, t.messages.length - WINDOW_STEP) };
}
