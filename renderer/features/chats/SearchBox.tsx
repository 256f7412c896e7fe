import { useEffect, useId, useRef, useState } from 'react';
import type { ChatView, MessageView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { displayName, messageOf, preview, shortTime } from './format';

const SEARCH_DELAY_MS = 250;
const SEARCH_LIMIT = 50;

type Results = { kind: 'idle' } | { kind: 'searching' } | { kind: 'done'; query: string; messages: MessageView[] } | { kind: 'error'; message: string };

/** Full-text search over every conversation (the core's `search`); a result opens its conversation. */
export function SearchBox({ chats, onOpen }: { chats: ChatView[]; onOpen: (conversationId: number) => void }) {
  const id = useId();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Results>({ kind: 'idle' });
  const asked = useRef(0);

  useEffect(() => {
    const q = query.trim();
    if (q === '') {
      setResults({ kind: 'idle' });
      return;
    }
    const mine = ++asked.current;
    setResults({ kind: 'searching' });
    const timer = setTimeout(() => {
      call('search', { query: q, limit: SEARCH_LIMIT }).then(
        (messages) => {
          if (mine === asked.current) setResults({ kind: 'done', query: q, messages });
        },
        (err: unknown) => {
          if (mine === asked.current) setResults({ kind: 'error', message: messageOf(err) });
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [query]);

  const nameOf = (conversationId: number) => {
    const chat = chats.find((c) => c.conversationId === conversationId);
    return chat === undefined ? 'Conversation' : displayName(chat);
  };

  return (
    <div className="chat-search">
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
        }}
      >
        <label htmlFor={id}>Search messages</label>
        <input
          id={id}
          type="search"
          value={query}
          placeholder="Words in any conversation"
          maxLength={256}
          onChange={(event) => {
            setQuery(event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && query !== '') {
              event.preventDefault();
              setQuery('');
            }
          }}
        />
      </form>
      {results.kind === 'searching' && <p role="status">Searching…</p>}
      {results.kind === 'error' && <p role="alert">{results.message}</p>}
      {results.kind === 'done' && (
        <div className="search-results">
          <p role="status">{results.messages.length === 0 ? `Nothing found for “${results.query}”.` : `${results.messages.length} found for “${results.query}”`}</p>
          <ul aria-label="Search results">
            {results.messages.map((m) => (
              <li key={`${m.conversationId}:${m.id}`}>
                <button
                  type="button"
                  className="search-result"
                  onClick={() => {
                    onOpen(m.conversationId);
                  }}
                >
                  <span className="search-result-top">
                    <span className="chat-item-name">{nameOf(m.conversationId)}</span>
                    <time dateTime={new Date(m.time).toISOString()}>{shortTime(m.time)}</time>
                  </span>
                  <span className="search-result-text">{preview(m)}</span>
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            className="search-clear"
            onClick={() => {
              setQuery('');
            }}
          >
            Clear search
          </button>
        </div>
      )}
    </div>
  );
}
