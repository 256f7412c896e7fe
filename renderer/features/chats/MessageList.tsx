import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef } from 'react';
import type { MessageView } from '../../../src/api/contract';
import { clockTime, dayLabel, sameDay } from './format';
import { Ticks } from './Ticks';

/** Within this distance of the top (bottom) of what the list holds, older (newer) messages are brought in. */
const NEAR_EDGE_PX = 400;
/** Within this distance of the bottom the list counts as "at the newest message" and follows new ones. */
const AT_END_PX = 80;
const ESTIMATED_ROW_PX = 64;
const estimateSize = () => ESTIMATED_ROW_PX;

interface MessageListProps {
  /** The window of the history to show, oldest first. */
  messages: MessageView[];
  /** Who the other side is, for screen readers ("Ana: …"). */
  peerName: string;
  /** The window starts at the conversation's first message (nothing older to show or fetch). */
  atOldest: boolean;
  /** The window ends at the newest message. */
  atNewest: boolean;
  loadingOlder: boolean;
  onNearTop: () => void;
  onNearBottom: () => void;
  /** Brings the window back to the newest message ("Newest messages"). */
  onLatest: () => void;
  /** Goes up each time the list must show the newest message (the user sent one, or asked for it). */
  latestSignal: number;
}

const Bubble = memo(function Bubble({ message, peerName, divider }: { message: MessageView; peerName: string; divider: string | undefined }) {
  const out = message.direction === 'out';
  return (
    <>
      {divider !== undefined && (
<p className="msg-day">{divider}</p>
      )}
      <div className={out ? 'msg msg-out' : 'msg msg-in'}>
        <span className="visually-hidden">{out ? 'You' : peerName}: </span>
        <p className="msg-body">{message.body}</p>
        <span className="msg-meta">
          {!message.encrypted && (
            <span className="msg-plain" title="This message was not encrypted: anyone on its way could read it.">
              Not encrypted
            </span>
          )}
          <time dateTime={new Date(message.time).toISOString()}>{clockTime(message.time)}</time>
          {out && <Ticks state={message.state} />}
        </span>
      </div>
    </>
  );
});

/**
 * The conversation, virtualized: only the rows in view (and a few around them) are in the page, whatever the length of
 * the history, and the virtualizer itself only knows a window of it (timeline.ts). Rows have their real heights
 * (measured); older messages come in as the top nears and the row in view stays put (anchorTo 'end'); new messages
 * are followed only when the view was at the newest one.
 */
export function MessageList({ messages, peerName, atOldest, atNewest, loadingOlder, onNearTop, onNearBottom, onLatest, latestSignal }: MessageListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const getScrollElement = useCallback(() => scrollRef.current, []);
  const started = useRef(false);
  // A new getItemKey makes the virtualizer lay out every row again: it changes only with the messages.
  const getItemKey = useCallback((index: number) => messages[index]?.seq ?? -index - 1, [messages]);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement,
    estimateSize,
    getItemKey,
    anchorTo: 'end',
    followOnAppend: atNewest,
    scrollEndThreshold: AT_END_PX,
    overscan: 6,
  });

  // Open at the newest message.
  useLayoutEffect(() => {
    if (started.current || messages.length === 0) return;
    started.current = true;
    virtualizer.scrollToEnd();
  }, [messages.length, virtualizer]);

  // Show the newest message once the window holds it (after the user sent one, or asked for it).
  useEffect(() => {
    if (latestSignal > 0) virtualizer.scrollToEnd();
  }, [latestSignal, virtualizer]);

  /** Moves the window, or fetches the older page, when the reader nears an end of what the list holds. */
  const checkEdges = useCallback(
    (fromScroll: boolean) => {
      const el = scrollRef.current;
      if (el === null || !started.current) return;
      // Too few messages to fill the view: nothing to scroll, so ask for more right away.
      const underfilled = el.clientHeight > 0 && virtualizer.getTotalSize() <= el.clientHeight;
      if (!atOldest && !loadingOlder && (underfilled || (fromScroll && el.scrollTop < NEAR_EDGE_PX))) onNearTop();
      else if (!atNewest && fromScroll && el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_EDGE_PX) onNearBottom();
    },
    [atOldest, atNewest, loadingOlder, onNearTop, onNearBottom, virtualizer],
  );
  useEffect(() => {
    checkEdges(false);
  }, [messages.length, checkEdges]);

  const items = virtualizer.getVirtualItems();
  const atEnd = virtualizer.isAtEnd(AT_END_PX);
  return (
    <div className="msg-pane">
      {loadingOlder && (
        <p className="msg-loading" role="status">
          Loading earlier messages…
        </p>
      )}
      <div
        ref={scrollRef}
        className="msg-scroll"
        tabIndex={0}
        role="region"
        aria-label={`Messages with ${peerName}`}
        onScroll={() => {
          checkEdges(true);
        }}
      >
        <div className="msg-sizer" role="list" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const message = messages[item.index];
            if (message === undefined) return null;
            const previous = messages[item.index - 1];
            const divider = previous === undefined || !sameDay(previous.time, message.time) ? dayLabel(message.time) : undefined;
            return (
              <div key={item.key} ref={virtualizer.measureElement} data-index={item.index} className="msg-row" role="listitem" style={{ transform: `translateY(${item.start}px)` }}>
                <Bubble message={message} peerName={peerName} divider={divider} />
              </div>
            );
          })}
        </div>
      </div>
      {(!atEnd || !atNewest) && messages.length > 0 && (
        <button type="button" className="msg-jump" onClick={onLatest}>
          Newest messages ↓
        </button>
      )}
    </div>
  );
}
