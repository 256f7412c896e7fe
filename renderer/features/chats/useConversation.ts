import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MessageView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { messageOf } from './format';
import { EMPTY, showLatest, showNewer, showOlder, withFirstPage, withMessage, withOlderPage, withState, type Timeline } from './timeline';

/** Messages asked for at a time: a few screens' worth. */
export const PAGE_SIZE = 100;

export interface Conversation {
  /** The window of the history on the list, oldest first. */
  shown: MessageView[];
  loaded: boolean;
  /** Whether the window starts at the oldest message there is / ends at the newest one. */
  atOldest: boolean;
  atNewest: boolean;
  loadingOlder: boolean;
  error: string | undefined;
  /** The reader nears the top: show older loaded messages, or fetch the older page. */
  older: () => void;
  /** The reader nears the bottom of the window: show newer loaded messages. */
  newer: () => void;
  /** Back to the newest message. */
  latest: () => void;
  /** Adds a message (one the user just sent, or one an event brought). */
  add: (message: MessageView) => void;
}

/**
 * One conversation's messages: the newest page first, older pages on demand (keyset cursor from the core), live
 * messages and delivery states from the core's events; a window of them on the list (timeline.ts).
 */
export function useConversation(conversationId: number): Conversation {
  const [timeline, setTimeline] = useState<Timeline>(EMPTY);
  const latestTimeline = useRef(timeline);
  latestTimeline.current = timeline;
  const busy = useRef(false);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    busy.current = true;
    call('messages', { conversationId, limit: PAGE_SIZE })
      .then(
        (page) => {
          if (alive.current) setTimeline((t) => withFirstPage(t, page));
        },
        (err: unknown) => {
          if (alive.current) setTimeline((t) => ({ ...t, loaded: true, error: messageOf(err) }));
        },
      )
      .finally(() => {
        busy.current = false;
      });
    return () => {
      alive.current = false;
    };
  }, [conversationId]);

  const fetchOlder = useCallback(() => {
    const cursor = latestTimeline.current.next;
    if (busy.current || cursor === null || !latestTimeline.current.loaded) return;
    busy.current = true;
    setTimeline((t) => ({ ...t, loadingOlder: true }));
    call('messages', { conversationId, before: cursor, limit: PAGE_SIZE })
      .then(
        (page) => {
          if (alive.current) setTimeline((t) => withOlderPage(t, page));
        },
        (err: unknown) => {
          if (alive.current) setTimeline((t) => ({ ...t, loadingOlder: false, error: messageOf(err) }));
        },
      )
      .finally(() => {
        busy.current = false;
      });
  }, [conversationId]);

  const older = useCallback(() => {
    if (latestTimeline.current.lo > 0) setTimeline(showOlder);
    else fetchOlder();
  }, [fetchOlder]);
  const newer = useCallback(() => {
    setTimeline(showNewer);
  }, []);
  const latest = useCallback(() => {
    setTimeline(showLatest);
  }, []);
  const add = useCallback(
    (message: MessageView) => {
      if (message.conversationId === conversationId) setTimeline((t) => withMessage(t, message));
    },
    [conversationId],
  );

  useCoveEvent('message', (event) => {
    add(event.message);
  });
  useCoveEvent('messageState', (event) => {
    if (event.conversationId === conversationId) setTimeline((t) => withState(t, event.id, event.state));
  });

  const { messages, lo, hi } = timeline;
  const shown = useMemo(() => messages.slice(lo, hi), [messages, lo, hi]);
  return {
    shown,
    loaded: timeline.loaded,
    atOldest: lo === 0 && timeline.next === null,
    atNewest: hi === messages.length,
    loadingOlder: timeline.loadingOlder,
    error: timeline.error,
    older,
    newer,
    latest,
    add,
  };
}
