import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatView, MessageView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { messageOf } from './format';

/** How long typing must pause before the draft is saved. */
export const DRAFT_DELAY_MS = 400;

interface ComposerProps {
  chat: ChatView;
  name: string;
  onSent: (message: MessageView) => void;
  /** The draft as saved, for the chat list. */
  onDraftSaved: (text: string) => void;
}

/**
 * Writes a message: Enter sends, Shift+Enter starts a new line. The text is kept per conversation (setDraft, after a
 * pause in typing and when the conversation closes) and comes back from ChatView.draft.
 */
export function Composer({ chat, name, onSent, onDraftSaved }: ComposerProps) {
  const { conversationId, accountId, peer } = chat;
  const [text, setText] = useState(chat.draft);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const pending = useRef<{ timer: ReturnType<typeof setTimeout>; text: string } | undefined>(undefined);
  const saved = useRef(chat.draft);
  const savedNote = useRef(onDraftSaved);
  savedNote.current = onDraftSaved;

  const save = useCallback(
    (value: string) => {
      if (value === saved.current) return;
      saved.current = value;
      savedNote.current(value);
      call('setDraft', { conversationId, text: value }).catch((err: unknown) => {
        setError(`The draft was not kept: ${messageOf(err)}`);
      });
    },
    [conversationId],
  );

  const flush = useCallback(() => {
    const p = pending.current;
    if (p === undefined) return;
    clearTimeout(p.timer);
    pending.current = undefined;
    save(p.text);
  }, [save]);

  // Leaving the conversation keeps what was typed.
  useEffect(() => flush, [flush]);

  const change = (value: string) => {
    setText(value);
    if (pending.current !== undefined) clearTimeout(pending.current.timer);
    pending.current = { text: value, timer: setTimeout(flush, DRAFT_DELAY_MS) };
  };

  const send = async () => {
    const body = text.trim();
    if (body === '' || sending) return;
    setSending(true);
    setError(undefined);
    try {
      const message = await call('send', { accountId, jid: peer, text: body });
      if (pending.current !== undefined) clearTimeout(pending.current.timer);
      pending.current = undefined;
      setText((current) => (current === text ? '' : current));
      save('');
      onSent(message);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setSending(false);
      inputRef.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  };

  const lines = Math.min(8, Math.max(1, text.split('\n').length));
  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {error !== undefined && (
        <p className="composer-error" role="alert">
          {error}
        </p>
      )}
      <div className="composer-row">
        <label className="visually-hidden" htmlFor={`${hintId}-input`}>
          Message to {name}
        </label>
        <textarea
          id={`${hintId}-input`}
          ref={inputRef}
          className="composer-input"
          rows={lines}
          value={text}
          placeholder={`Message to ${name}`}
          aria-describedby={hintId}
          maxLength={65_536}
          onChange={(event) => {
            change(event.target.value);
          }}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="composer-send" disabled={sending || text.trim() === ''}>
          Send
        </button>
      </div>
      <p id={hintId} className="composer-hint">
        Enter sends · Shift+Enter adds a line · Encrypted before it leaves this device
      </p>
    </form>
  );
}
