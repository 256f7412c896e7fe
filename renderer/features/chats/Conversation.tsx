import { useState } from 'react';
import type { ChatView } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { Composer } from './Composer';
import { displayName } from './format';
import { MessageList } from './MessageList';
import { useConversation } from './useConversation';
import './conversation.css';

/** Something the core refused to deliver in this chat ('rejected' event), until the user dismisses it. */
export interface RejectedAlert {
  key: number;
  accountId: number;
  peer: string;
  message: string;
}

interface ConversationProps {
  chat: ChatView;
  alerts: RejectedAlert[];
  onDismiss: (key: number) => void;
  onDraftSaved: (conversationId: number, text: string) => void;
}

/** What the conversation's key state asks of the user. */
function KeyBanner({ chat, name }: { chat: ChatView; name: string }) {
  const openVerify = useNav((s) => s.openVerify);
  const verify = () => {
    openVerify(chat.accountId, chat.peer);
  };
  switch (chat.keys) {
    case 'verified':
      return null;
    case 'unverified':
      return (
        <div className="banner banner-info" role="status">
          <span>You have not verified {name}’s key yet.</span>
          <button type="button" onClick={verify}>
            Verify
          </button>
        </div>
      );
    case 'changed':
      return (
        <div className="banner banner-warn" role="alert">
          <span>{name}’s key changed. Messages wait until you decide.</span>
          <button type="button" onClick={verify}>
            Review
          </button>
        </div>
      );
    case 'none':
      return (
        <div className="banner banner-info" role="status">
          <span>No key yet: messages wait until {name} publishes one.</span>
        </div>
      );
  }
}

/** One open conversation: who, how safe, what the core refused, the messages, and the composer. */
export function Conversation({ chat, alerts, onDismiss, onDraftSaved }: ConversationProps) {
  const name = displayName(chat);
  const conversation = useConversation(chat.conversationId);
  const [latestSignal, setLatestSignal] = useState(0);
  const toLatest = () => {
    conversation.latest();
    setLatestSignal((n) => n + 1);
  };
  const openVerify = useNav((s) => s.openVerify);
  return (
    <section className="conv" aria-label={`Conversation with ${name}`}>
      <header className="conv-header">
        <div className="conv-who">
          <h2 className="conv-name">{name}</h2>
          {chat.name !== null && <p className="conv-peer">{chat.peer}</p>}
        </div>
        <span className="e2e-badge" title="Every message is encrypted with OpenPGP (XEP-0373) for the contact's keys before it leaves this device.">
          End-to-end encrypted (OpenPGP)
        </span>
        <button
          type="button"
          className="conv-keys"
          onClick={() => {
            openVerify(chat.accountId, chat.peer);
          }}
        >
          Key details
        </button>
      </header>
      <KeyBanner chat={chat} name={name} />
      {alerts.map((alert) => (
        <div key={alert.key} className="banner banner-error" role="alert">
          <span>{alert.message}</span>
          <button
            type="button"
            onClick={() => {
              onDismiss(alert.key);
            }}
          >
            Dismiss
          </button>
        </div>
      ))}
      {conversation.error !== undefined && (
        <p className="banner banner-error" role="alert">
          {conversation.error}
        </p>
      )}
      {conversation.loaded && conversation.shown.length === 0 && conversation.error === undefined && (
        <p className="conv-empty">No messages yet. What you write is encrypted for {name} before it leaves this device.</p>
      )}
      {!conversation.loaded && (
        <p className="conv-empty" role="status">
          Loading messages…
        </p>
      )}
      <MessageList
        messages={conversation.shown}
        peerName={name}
        atOldest={conversation.atOldest}
        atNewest={conversation.atNewest}
        loadingOlder={conversation.loadingOlder}
        onNearTop={conversation.older}
        onNearBottom={conversation.newer}
        onLatest={toLatest}
        latestSignal={latestSignal}
      />
      <Composer
        chat={chat}
        name={name}
        onSent={(message) => {
          conversation.add(message);
          toLatest();
        }}
        onDraftSaved={(text) => {
          onDraftSaved(chat.conversationId, text);
        }}
      />
    </section>
  );
}
