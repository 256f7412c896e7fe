import { useState } from 'react';
import type { ContactView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useNav } from '../../app/nav';
import { contactName, KEY_WORDS, keySummary, messageOf, relationWords } from './words';

type Pending = 'block' | 'unblock' | 'remove';

const CONFIRM: Record<Pending, { question: (name: string) => string; action: string }> = {
  block: { question: (n) => `Block ${n}? They can no longer message you or see when you are online.`, action: 'Block' },
  unblock: { question: (n) => `Unblock ${n}? They can message you again.`, action: 'Unblock' },
  remove: { question: (n) => `Remove ${n} from your contacts? The conversation stays.`, action: 'Remove' },
};

/** One contact: who, online or not, where the subscription stands, their key; and what can be done. */
export function ContactRow({ accountId, contact, onChanged }: { accountId: number; contact: ContactView; onChanged: () => void }) {
  const name = contactName(contact);
  const openChatScreen = useNav((s) => s.openChat);
  const openVerify = useNav((s) => s.openVerify);
  const [pending, setPending] = useState<Pending | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const keys = keySummary(contact);
  const jid = contact.jid;

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setPending(undefined);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const confirm = (what: Pending) =>
    run(async () => {
      if (what === 'remove') await call('contactRemove', { accountId, jid });
      else await call('contactBlock', { accountId, jid, blocked: what === 'block' });
      onChanged();
    });

  return (
    <li className={contact.blocked ? 'contact contact-blocked' : 'contact'}>
      {contact.avatar !== null && <img className="contact-avatar" src={contact.avatar} alt="" width={40} height={40} />}
      <div className="contact-who">
        <h3 className="contact-name">{name}</h3>
        {name !== jid && <p className="contact-jid">{jid}</p>}
        <p className="contact-facts">
          <span className={contact.online ? 'presence presence-on' : 'presence'}>
            <span className="presence-dot" aria-hidden="true" />
            {contact.online ? 'Online' : 'Offline'}
          </span>
          <span>{relationWords(contact)}</span>
          <span className={`contact-key contact-key-${keys}`}>{KEY_WORDS[keys]}</span>
          {contact.blocked && <span className="contact-blocked-tag">Blocked</span>}
        </p>
      </div>
      <div className="contact-actions" role="group" aria-label={`Actions for ${name}`}>
        <button
          type="button"
          disabled={busy || contact.blocked}
          onClick={() =>
            void run(async () => {
              const chat = await call('openChat', { accountId, jid });
              openChatScreen(chat.conversationId);
            })
          }
        >
          Message
        </button>
        <button
          type="button"
          onClick={() => {
            openVerify(accountId, jid);
          }}
        >
          Verify
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setPending(contact.blocked ? 'unblock' : 'block');
          }}
        >
          {contact.blocked ? 'Unblock' : 'Block'}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setPending('remove');
          }}
        >
          Remove
        </button>
      </div>
      {pending !== undefined && (
        <div className="contact-confirm" role="group" aria-label="Confirm">
          <span>{CONFIRM[pending].question(name)}</span>
          <button type="button" className="contact-danger" disabled={busy} autoFocus onClick={() => void confirm(pending)}>
            {CONFIRM[pending].action}
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setPending(undefined);
            }}
          >
            Cancel
          </button>
        </div>
      )}
      {error !== undefined && (
        <p className="contact-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
