import { useEffect, useRef, useState } from 'react';
import { useNav } from '../../app/nav';
import { ChatList } from './ChatList';
import { Conversation } from './Conversation';
import { useRejections } from './rejections';
import { useChatList } from './useChatList';
import './chats.css';

/** Whether the window is on screen: a conversation counts as read only when it can be seen. */
function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    const update = () => {
      setVisible(document.visibilityState !== 'hidden');
    };
    document.addEventListener('visibilitychange', update);
    return () => {
      document.removeEventListener('visibilitychange', update);
    };
  }, []);
  return visible;
}

function samePeer(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Chats: the conversations on one side, the open one (useNav().conversationId) on the other. */
export function ChatsScreen() {
  const openId = useNav((s) => s.conversationId);
  const openChat = useNav((s) => s.openChat);
  const verifying = useNav((s) => s.verify !== undefined);
  const list = useChatList();
  const visible = usePageVisible();
  const alerts = useRejections((s) => s.alerts);
  const dismiss = useRejections((s) => s.dismiss);

  const chat = list.chats.find((c) => c.conversationId === openId);
  const { markRead, reload } = list;

  // Seen means read: the open conversation, while the window is visible.
  const unread = chat?.unread ?? 0;
  useEffect(() => {
    if (openId !== undefined && unread > 0 && visible) void markRead(openId);
  }, [openId, unread, visible, markRead]);

  // A decision in the verification dialog changes the key state: ask again when it closes.
  const wasVerifying = useRef(verifying);
  useEffect(() => {
    if (wasVerifying.current && !verifying) void reload();
    wasVerifying.current = verifying;
  }, [verifying, reload]);

  // A conversation opened elsewhere (Contacts → Message) that the list has not seen yet.
  const askedFor = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (openId === undefined || chat !== undefined || list.phase !== 'ready' || askedFor.current === openId) return;
    askedFor.current = openId;
    void reload();
  }, [openId, chat, list.phase, reload]);

  return (
    <div className="chats">
      <h1 className="visually-hidden">Chats</h1>
      <ChatList chats={list.chats} phase={list.phase} error={list.error} openId={openId} onOpen={openChat} />
      <div className="chats-main">
        {chat !== undefined ? (
          <Conversation
            key={chat.conversationId}
            chat={chat}
            alerts={alerts.filter((a) => a.accountId === chat.accountId && samePeer(a.peer, chat.peer))}
            onDismiss={dismiss}
            onDraftSaved={list.noteDraft}
          />
        ) : (
          <p className="chats-none">
            {openId !== undefined && list.phase === 'ready' ? 'This conversation is not available any more.' : 'Pick a conversation, or start one from Contacts.'}
          </p>
        )}
      </div>
    </div>
  );
}
