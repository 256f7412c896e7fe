import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useNav } from '../../app/nav';
import { installFakeCove, type FakeCove } from '../../test-utils/fake-cove';
import { fakeLayout, type FakeLayout } from '../../test-utils/layout';
import { ChatsScreen } from './ChatsScreen';
import { chat, history, message, pager } from './testing';
import { WINDOW_MAX } from './timeline';
import { PAGE_SIZE } from './useConversation';

const VIEWPORT = 600;
const TOTAL = 100_000;

/** Rows are as tall as their text is long (in steps), like real bubbles: heights differ from row to row. */
function rowHeight(row: HTMLElement): number {
  return 48 + (row.textContent.length % 3) * 16;
}

let layout: FakeLayout;
let cove: FakeCove;
const all = history(TOTAL);

function scroller(): HTMLElement {
  return screen.getByRole('region', { name: 'Messages with Ana' });
}
function rows(): HTMLElement[] {
  return within(scroller()).queryAllByRole('listitem');
}
function shown(text: string): boolean {
  return within(scroller()).queryByText(text) !== null;
}
function cursorOf(index: number) {
  const m = all[index];
  if (m === undefined) throw new Error('no such message');
  return { time: m.time, seq: m.seq };
}

beforeEach(() => {
  layout = fakeLayout({ scroller: '.msg-scroll', viewport: { width: 480, height: VIEWPORT }, row: '.msg-row', rowHeight });
  cove = installFakeCove({
    chats: () => [chat({ last: all.at(-1) ?? null })],
    messages: pager(all),
    markRead: () => ({}),
  });
  useNav.setState({ conversationId: 1, verify: undefined });
});

afterEach(() => {
  layout.restore();
});

describe('the conversation view with 100,000 messages', () => {
  it('keeps only the rows in view in the page, opens at the newest message, and pages older ones by cursor', async () => {
    render(<ChatsScreen />);
    await waitFor(() => {
      expect(shown('Message 99999')).toBe(true);
    });
    expect(cove.callsTo('messages')).toEqual([{ conversationId: 1, limit: PAGE_SIZE }]);

    // A page is loaded, but only about a viewport of it (plus overscan) is in the DOM.
    const inDom = rows().length;
    expect(inDom).toBeGreaterThan(VIEWPORT / 80);
    expect(inDom).toBeLessThan(40);
    expect(shown(`Message ${TOTAL - PAGE_SIZE}`)).toBe(false);
    expect(scroller().scrollTop).toBeGreaterThan(0);

    // Scrolling to the top asks for the page before the oldest loaded message.
    act(() => {
      scroller().scrollTop = 0;
      fireEvent.scroll(scroller());
    });
    await waitFor(() => {
      expect(cove.callsTo('messages')).toHaveLength(2);
    });
    expect(cove.callsTo('messages')[1]).toEqual({ conversationId: 1, before: cursorOf(TOTAL - PAGE_SIZE), limit: PAGE_SIZE });

    // The older page lands above: the message that was at the top stays in view, the scroll position moved down.
    await waitFor(() => {
      expect(scroller().scrollTop).toBeGreaterThan(PAGE_SIZE * 40);
    });
    expect(shown(`Message ${TOTAL - PAGE_SIZE}`)).toBe(true);
    expect(shown('Message 99999')).toBe(false);
    expect(rows().length).toBeLessThan(40);

    // And again, with the cursor of the new oldest message.
    act(() => {
      scroller().scrollTop = 0;
      fireEvent.scroll(scroller());
    });
    await waitFor(() => {
      expect(cove.callsTo('messages')).toHaveLength(3);
    });
    expect(cove.callsTo('messages')[2]).toEqual({ conversationId: 1, before: cursorOf(TOTAL - 2 * PAGE_SIZE), limit: PAGE_SIZE });
  });

  it('follows a new message when at the newest one, and stays put while reading history', async () => {
    render(<ChatsScreen />);
    await waitFor(() => {
      expect(shown('Message 99999')).toBe(true);
    });
    act(() => {
      cove.emit({ type: 'message', accountId: 7, peer: 'ana@example.org', message: message({ id: 'new-1', seq: TOTAL + 1, time: Date.now(), body: 'Just arrived' }) });
    });
    await waitFor(() => {
      expect(shown('Just arrived')).toBe(true);
    });

    // Read a little higher up (not the top: that would load a page), then another message comes.
    const top = scroller().scrollTop - 1200;
    act(() => {
      scroller().scrollTop = top;
      fireEvent.scroll(scroller());
    });
    act(() => {
      cove.emit({ type: 'message', accountId: 7, peer: 'ana@example.org', message: message({ id: 'new-2', seq: TOTAL + 2, time: Date.now() + 1, body: 'Later one' }) });
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(scroller().scrollTop).toBe(top);
    expect(shown('Later one')).toBe(false);
    expect(screen.getByRole('button', { name: /Newest messages/ })).toBeTruthy();
  });

  it('gives the virtualizer a window of the history: deep in it, the list holds at most WINDOW_MAX rows, and scrolling back down brings the newer ones back without asking the core again', async () => {
    render(<ChatsScreen />);
    await waitFor(() => {
      expect(shown('Message 99999')).toBe(true);
    });
    const pages = Math.ceil(WINDOW_MAX / PAGE_SIZE) + 2;
    for (let i = 1; i <= pages; i++) {
      act(() => {
        scroller().scrollTop = 0;
        fireEvent.scroll(scroller());
      });
      await waitFor(() => {
        expect(cove.callsTo('messages')).toHaveLength(i + 1);
      });
      await waitFor(() => {
        expect(scroller().scrollTop).toBeGreaterThan(PAGE_SIZE * 40);
      });
    }
    const loaded = (pages + 1) * PAGE_SIZE;
    expect(loaded).toBeGreaterThan(WINDOW_MAX);
    expect(rows().length).toBeLessThan(40);

    // Back down to the newest message, a screen at a time. A row's data-index is its place among the rows the
    // virtualizer knows: it never reaches WINDOW_MAX, although more messages than that are loaded.
    const asked = cove.callsTo('messages').length;
    let highestIndex = 0;
    for (let step = 0; step < 5000 && !shown('Message 99999'); step++) {
      act(() => {
        scroller().scrollTop += VIEWPORT;
        fireEvent.scroll(scroller());
      });
      for (const row of rows()) highestIndex = Math.max(highestIndex, Number(row.dataset.index));
    }
    expect(shown('Message 99999')).toBe(true);
    expect(highestIndex).toBeGreaterThan(WINDOW_MAX / 2);
    expect(highestIndex).toBeLessThan(WINDOW_MAX);
    expect(cove.callsTo('messages')).toHaveLength(asked);
  });
});
