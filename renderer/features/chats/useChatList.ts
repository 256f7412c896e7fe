import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatView, MessageView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { isLater, messageOf } from './format';

export interface ChatList {
  chats: ChatView[];
  /** 'loading' until the first answer. */
  phase: 'loading' | 'ready';
  error: string | undefined;
  reload: () => Promise<void>;
  markRead: (conversationId: number) => Promise<void>;
  /** Keeps the composer's text in the list (what the core got through setDraft) for when the chat is opened again. */
  noteDraft: (conversationId: number, text: string) => void;
}

function newer(a: MessageView | null, b: MessageView): boolean {
  return a === null || b.time > a.time || (b.time === a.time && b.seq >= a.seq);
}

/** A new message in a listed conversation: it becomes the preview, counts as unread if it came in, moves to the top. */
function withMessage(chats: ChatView[], message: MessageView): ChatView[] {
  const chat = chats.find((c) => c.conversationId === message.conversationId);
  if (chat === undefined) return chats;
  if (chat.last?.id === message.id) return chats;
  const updated: ChatView = {
    ...chat,
    last: newer(chat.last, message) ? message : chat.last,
    unread: message.direction === 'in' && message.state !== 'read' ? chat.unread + 1 : chat.unread,
  };
  return [updated, ...chats.filter((c) => c !== chat)];
}

/** The conversations of every account, kept current by the core's events. */
export function useChatList(): ChatList {
  const [chats, setChats] = useState<ChatView[]>([]);
  const [phase, setPhase] = useState<'loading' | 'ready'>('loading');
  const [error, setError] = useState<string | undefined>();
  const alive = useRef(true);
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const list = await call('chats', {});
      if (!alive.current || mine !== generation.current) return;
      setChats(list);
      setError(undefined);
    } catch (err) {
      if (alive.current) setError(messageOf(err));
    } finally {
      if (alive.current) setPhase('ready');
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void reload();
    return () => {
      alive.current = false;
    };
  }, [reload]);

  useCoveEvent('message', (event) => {
    // A message in a conversation the list does not have yet (a new contact wrote): ask the core for the list.
    if (chats.some((c) => c.conversationId === event.message.conversationId)) setChats((list) => withMessage(list, event.message));
    else void reload();
  });
  useCoveEvent('messageState', (event) => {
    setChats((list) =>
      list.map((c) => (c.conversationId === event.conversationId && c.last?.id === event.id && isLater(event.state, c.last.state) ? { ...c, last: { ...c.last, state: event.state } } : c)),
    );
  });
  // Key warnings change a conversation's key state; contact changes may change its name.
  useCoveEvent('keyWarning', () => void reload());
  useCoveEvent('contacts', () => void reload());

  const markRead = useCallback(async (conversationId: number) => {
    setChats((list) => list.map((c) => (c.conversationId === conversationId ? { ...c, unread: 0 } : c)));
    try {
      await call('markRead', { conversationId });
    } catch (err) {
      if (alive.current) setError(messageOf(err));
    }
  }, []);

  const noteDraft = useCallback((conversationId: number, text: string) => {
    setChats((list) => list.map((c) => (c.conversationId === conversationId && c.draft !== text ? { ...c, draft: text } : c)));
  }, []);

  return { chats, phase, error, reload, markRead, noteDraft };
}
