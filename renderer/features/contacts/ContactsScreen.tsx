import { useCallback, useEffect, useId, useState } from 'react';
import type { AccountView, ContactView } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { AddContact } from './AddContact';
import { ContactRow } from './ContactRow';
import { InviteCard } from './InviteCard';
import { contactName, isPureRequest, messageOf } from './words';
import './contacts.css';

/** Someone asks to see when the user is online: approve (and ask back) or deny. */
function RequestRow({ accountId, contact, onDone }: { accountId: number; contact: ContactView; onDone: () => void }) {
  const name = contactName(contact);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const answer = async (approve: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (approve) await call('contactApprove', { accountId, jid: contact.jid });
      else await call('contactDeny', { accountId, jid: contact.jid });
      onDone();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="contact">
      <div className="contact-who">
        <h3 className="contact-name">{name}</h3>
        {contact.name !== null && <p className="contact-jid">{contact.jid}</p>}
        <p className="contact-facts">Wants to add you and see when you are online.</p>
      </div>
      <div className="contact-actions" role="group" aria-label={`Request from ${name}`}>
        <button type="button" className="contacts-primary" disabled={busy} onClick={() => void answer(true)}>
          Approve
        </button>
        <button type="button" disabled={busy} onClick={() => void answer(false)}>
          Deny
        </button>
      </div>
      {error !== undefined && (
        <p className="contact-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** Contacts: add (address or invite link), the user's own invite, requests to answer, and the roster. */
export function ContactsScreen() {
  const selectId = useId();
  const [accounts, setAccounts] = useState<AccountView[] | undefined>();
  const [accountId, setAccountId] = useState<number | undefined>();
  const [contacts, setContacts] = useState<ContactView[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  const loadAccounts = useCallback(async () => {
    try {
      const list = await call('accounts', {});
      setAccounts(list);
      setAccountId((current) => (current !== undefined && list.some((a) => a.id === current) ? current : list[0]?.id));
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);

  const loadContacts = useCallback(async (id: number) => {
    try {
      const list = await call('contacts', { accountId: id });
      setContacts(list);
      setError(undefined);
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);

  useEffect(() => {
    void loadAccounts();
  }, [loadAccounts]);
  useEffect(() => {
    setContacts(undefined);
    if (accountId !== undefined) void loadContacts(accountId);
  }, [accountId, loadContacts]);

  useCoveEvent('contacts', (event) => {
    if (event.accountId === accountId) void loadContacts(event.accountId);
  });
  useCoveEvent('accounts', () => void loadAccounts());

  const reload = () => {
    if (accountId !== undefined) void loadContacts(accountId);
  };
  const requests = contacts?.filter((c) => c.request) ?? [];
  const roster = contacts?.filter((c) => !isPureRequest(c)) ?? [];

  return (
    <div className="contacts">
      <header className="contacts-head">
        <h1>Contacts</h1>
        {accounts !== undefined && accounts.length > 1 && (
          <div className="contacts-account">
            <label htmlFor={selectId}>Account</label>
            <select
              id={selectId}
              value={accountId ?? ''}
              onChange={(event) => {
                setAccountId(Number(event.target.value));
              }}
            >
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label} · {a.jid}
                </option>
              ))}
            </select>
          </div>
        )}
      </header>
      {error !== undefined && (
        <p className="contacts-error" role="alert">
          {error}
        </p>
      )}
      {accounts === undefined && error === undefined && <p role="status">Loading…</p>}
      {accounts !== undefined && accountId === undefined && <p>Add an account first: contacts belong to an account.</p>}
      {accountId !== undefined && (
        <>
          <div className="contacts-top">
            <AddContact accountId={accountId} onAdded={reload} />
            <InviteCard accountId={accountId} />
          </div>
          {requests.length > 0 && (
            <section className="contacts-section" aria-labelledby={`${selectId}-requests`}>
              <h2 id={`${selectId}-requests`}>Requests</h2>
              <ul className="contacts-list">
                {requests.map((c) => (
                  <RequestRow key={c.jid} accountId={accountId} contact={c} onDone={reload} />
                ))}
              </ul>
            </section>
          )}
          <section className="contacts-section" aria-labelledby={`${selectId}-roster`}>
            <h2 id={`${selectId}-roster`}>Your contacts</h2>
            {contacts === undefined && error === undefined && <p role="status">Loading contacts…</p>}
            {contacts !== undefined && roster.length === 0 && <p className="contacts-hint">No contacts yet. Add someone by address, or send them your invite.</p>}
            <ul className="contacts-list">
              {roster.map((c) => (
                <ContactRow key={c.jid} accountId={accountId} contact={c} onChanged={reload} />
              ))}
            </ul>
          </section>
        </>
      )}
    </div>
  );
}
