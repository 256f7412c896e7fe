import type { ChatView } from '../../../src/api/contract';
import { displayName, KEY_HINT, KEY_LABEL, preview, shortTime, type KeyState } from './format';
import { SearchBox } from './SearchBox';

interface ChatListProps {
  chats: ChatView[];
  phase: 'loading' | 'ready';
  error: string | undefined;
  openId: number | undefined;
  onOpen: (conversationId: number) => void;
}

export function KeyMarker({ keys }: { keys: KeyState }) {
  return (
    <span className={`key-marker key-${keys}`} title={KEY_HINT[keys]}>
      {KEY_LABEL[keys]}
    </span>
  );
}

function ChatItem({ chat, open, onOpen }: { chat: ChatView; open: boolean; onOpen: () => void }) {
  const draft = chat.draft.trim();
  return (
    <li>
      <button type="button" className={open ? 'chat-item chat-item-open' : 'chat-item'} aria-current={open ? 'true' : undefined} onClick={onOpen}>
        <span className="chat-item-top">
          {chat.avatar !== null && <img className="chat-item-avatar" src={chat.avatar} alt="" width={24} height={24} />}
          <span className="chat-item-name">{displayName(chat)}</span>
          <KeyMarker keys={chat.keys} />
          {chat.last !== null && (
            <time className="chat-item-time" dateTime={new Date(chat.last.time).toISOString()}>
              {shortTime(chat.last.time)}
            </time>
          )}
        </span>
        <span className="chat-item-bottom">
          <span className="chat-item-preview">
            {!open && draft !== '' ? (
              <>
                <span className="chat-item-draft">Draft:</span> {draft}
              </>
            ) : chat.last !== null ? (
              preview(chat.last)
            ) : (
              'No messages yet'
            )}
          </span>
          {chat.unread > 0 && (
            <span className="unread" aria-label={`${chat.unread} unread`}>
              {chat.unread > 999 ? '999+' : chat.unread}
            </span>
          )}
        </span>
      </button>
    </li>
  );
}

/** The conversations, newest first, with a search over every message. */
export function ChatList({ chats, phase, error, openId, onOpen }: ChatListProps) {
  return (
    <aside className="chat-list" aria-label="Conversations">
      <SearchBox chats={chats} onOpen={onOpen} />
      {phase === 'loading' && <p role="status">Loading conversations…</p>}
      {error !== undefined && (
        <p className="chat-list-error" role="alert">
          {error}
        </p>
      )}
      {phase === 'ready' && chats.length === 0 && error === undefined && (
        <p className="chat-list-empty">No conversations yet. In Contacts, pick someone and choose Message.</p>
      )}
      <ul className="chat-items">
        {chats.map((chat) => (
          <ChatItem
            key={chat.conversationId}
            chat={chat}
            open={chat.conversationId === openId}
            onOpen={() => {
              onOpen(chat.conversationId);
            }}
          />
        ))}
      </ul>
    </aside>
  );
}
