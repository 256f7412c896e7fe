import { useEffect, useId, useRef, useState, type FocusEvent } from 'react';
import { call } from '../../app/api';
import { QrImage } from '../verification/QrImage';
import { messageOf } from './words';

/** The account's invite link (address and key fingerprint), to copy or to show as a QR code. */
export function InviteCard({ accountId }: { accountId: number }) {
  const id = useId();
  const linkRef = useRef<HTMLInputElement>(null);
  const [uri, setUri] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [copied, setCopied] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    setUri(undefined);
    setError(undefined);
    setCopied(undefined);
    call('invite', { accountId }).then(
      (invite) => {
        if (live) setUri(invite.uri);
      },
      (err: unknown) => {
        if (live) setError(messageOf(err));
      },
    );
    return () => {
      live = false;
    };
  }, [accountId]);

  const selectAll = (event: FocusEvent<HTMLInputElement>) => {
    event.currentTarget.select();
  };

  const copy = async () => {
    if (uri === undefined) return;
    try {
      await navigator.clipboard.writeText(uri);
      setCopied('Copied. Send it to your contact over a channel you trust.');
    } catch {
      linkRef.current?.select();
      setCopied('Copying did not work here: the link is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };

  return (
    <section className="contacts-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Your invite</h2>
      <p className="contacts-hint">Whoever opens this link can add you. It carries your key’s fingerprint, so their app can check that it has your real key.</p>
      {uri === undefined && error === undefined && <p role="status">Making your invite…</p>}
      {error !== undefined && (
        <p className="contacts-error" role="alert">
          {error}
        </p>
      )}
      {uri !== undefined && (
        <div className="contacts-invite">
          <div className="contacts-invite-link">
            <label htmlFor={id}>Invite link</label>
            <div className="contacts-add-row">
              <input id={id} ref={linkRef} value={uri} readOnly spellCheck={false} onFocus={selectAll} />
              <button type="button" onClick={() => void copy()}>
                Copy
              </button>
            </div>
            {copied !== undefined && (
              <p className="contacts-hint" role="status">
                {copied}
              </p>
            )}
          </div>
          <QrImage text={uri} label="QR code of your invite link" />
        </div>
      )}
    </section>
  );
}
