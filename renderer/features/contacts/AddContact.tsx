import { readQrFromFile } from './qr-read';
import { useNav } from '../../app/nav';
import { useId, useRef, useState } from 'react';
import { call } from '../../app/api';
import { contactName, messageOf } from './words';

type Outcome = { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; text: string } | { kind: 'error'; text: string };

/** Adds a contact by address or invite link (xmpp:…?roster;ox=FP); the core parses it and answers in words. */
export function AddContact({ accountId, onAdded }: { accountId: number; onAdded: () => void }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  // An xmpp: link opened with Cove lands here, once.
  const [address, setAddress] = useState(() => useNav.getState().takePendingAddress() ?? '');
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const [pasteNote, setPasteNote] = useState<string | undefined>();

  const add = async () => {
    const value = address.trim();
    if (value === '') return;
    setOutcome({ kind: 'busy' });
    try {
      const contact = await call('contactAdd', { accountId, address: value });
      setAddress('');
      onAdded();
      setOutcome({ kind: 'done', text: `${contactName(contact)} is in your contacts. It shows “Waiting for them to accept” until they answer.` });
    } catch (err) {
      setOutcome({ kind: 'error', text: messageOf(err) });
    }
  };

  const paste = async () => {
    setPasteNote(undefined);
    try {
      const text = (await navigator.clipboard.readText()).trim();
      if (text === '') throw new Error('empty');
      setAddress(text);
    } catch {
      setPasteNote('Cove may not read the clipboard here: press Ctrl+V (⌘V on a Mac) in the field.');
    }
    inputRef.current?.focus();
  };

  const fromPicture = async (file: Blob) => {
    setPasteNote(undefined);
    try {
      const text = await readQrFromFile(file);
      if (text === undefined) {
        setPasteNote('There is no QR code Cove can read in that picture.');
        return;
      }
      setAddress(text);
      setPasteNote('Read from the QR code: check the address, then Add contact.');
      inputRef.current?.focus();
    } catch {
      setPasteNote('Cove could not open that picture.');
    }
  };

  return (
    <section className="contacts-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add contact</h2>
      <form
        className="contacts-add"
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <label htmlFor={id}>Address or invite link</label>
        <div className="contacts-add-row">
          <input
            id={id}
            ref={inputRef}
            value={address}
            placeholder="name@example.org or xmpp:…"
            autoComplete="off"
            spellCheck={false}
            maxLength={4096}
            aria-describedby={`${id}-qr`}
            onChange={(event) => {
              setAddress(event.target.value);
            }}
          />
          <button type="submit" className="contacts-primary" disabled={outcome.kind === 'busy' || address.trim() === ''}>
            Add contact
          </button>
          <button type="button" onClick={() => void paste()}>
            Paste invite link
          </button>
        </div>
      </form>
      <p id={`${id}-qr`} className="contacts-hint">
        Got a QR code? Cove keeps the camera off: open a picture of it (a screenshot or a photo) instead.{' '}
        <label htmlFor={`${id}-qr-file`} className="contacts-qr-open">
          Read a QR code from a picture…
        </label>
        <input
          id={`${id}-qr-file`}
          className="visually-hidden"
          type="file"
          accept="image/png,image/jpeg,image/webp,image/gif"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = '';
            if (file !== undefined) void fromPicture(file);
          }}
        />
      </p>
      {pasteNote !== undefined && <p className="contacts-hint">{pasteNote}</p>}
      {outcome.kind === 'busy' && <p role="status">Adding…</p>}
      {outcome.kind === 'done' && (
        <p className="contacts-ok" role="status">
          {outcome.text}
        </p>
      )}
      {outcome.kind === 'error' && (
        <p className="contacts-error" role="alert">
          {outcome.text}
        </p>
      )}
    </section>
  );
}
