import { Fragment, useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { OpOutput } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useNav } from '../../app/nav';
import { fingerprintGroups, fingerprintUri } from './fingerprint';
import { QrImage } from './QrImage';
import './verify.css';

type KeysView = OpOutput<'keys'>;
type KeyView = KeysView['keys'][number];
type Decision = 'verify' | 'accept' | 'reject';

const TRUST_WORDS: Record<KeyView['trust'], string> = {
  tofu: 'Not verified yet: trusted because it was the first key seen',
  verified: 'Verified',
  changed: 'New key: waiting for your decision',
  rejected: 'Rejected: nothing is encrypted to this key',
};

const DONE_WORDS: Record<Decision, string> = {
  verify: 'Marked verified.',
  accept: 'Key accepted. Messages waiting for it are sent now.',
  reject: 'Key rejected.',
};

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A fingerprint in groups of four, large and monospaced, with a QR code of it. */
function Fingerprint({ fingerprint, whose }: { fingerprint: string; whose: string }) {
  return (
    <div className="verify-fp">
      <p className="verify-fp-groups">
        {fingerprintGroups(fingerprint).map((group, i) => (
          // The space between groups stays in the text (copying, screen readers); the grid lays them out.
          <Fragment key={i}>
            {i > 0 && ' '}
            <span className="verify-fp-group">{group}</span>
          </Fragment>
        ))}
      </p>
      <QrImage className="verify-qr" text={fingerprintUri(fingerprint)} label={`QR code of the fingerprint of ${whose}`} />
    </div>
  );
}

/** Every element of the dialog that Tab can reach, in order. */
function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')].filter((el) => !el.hasAttribute('disabled'));
}

/**
 * Key verification: both fingerprints (grouped, and as QR codes of OPENPGP4FPR:<FP>), the trust of each of the
 * contact's keys, and the decisions the core takes: mark verified, accept a new key, reject it.
 */
export function VerifyDialog({ accountId, jid }: { accountId: number; jid: string }) {
  const close = useNav((s) => s.closeVerify);
  const titleId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<KeysView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    setView(undefined);
    setError(undefined);
    call('keys', { accountId, jid }).then(
      (keys) => {
        if (live) setView(keys);
      },
      (err: unknown) => {
        if (live) setError(messageOf(err));
      },
    );
    return () => {
      live = false;
    };
  }, [accountId, jid]);

  // Focus moves into the dialog when it opens and goes back where it was when it closes.
  useEffect(() => {
    const before = document.activeElement;
    dialogRef.current?.focus();
    return () => {
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        close();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
    };
  }, [close]);

  /** Tab and Shift+Tab stay inside the dialog. */
  const trapTab = (event: KeyboardEvent<HTMLDivElement>) => {
    const root = dialogRef.current;
    if (event.key !== 'Tab' || root === null) return;
    const items = focusables(root);
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined) return;
    if (event.shiftKey && (document.activeElement === first || document.activeElement === root)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const decide = useCallback(
    async (fingerprint: string, decision: Decision) => {
      setBusy(true);
      setError(undefined);
      setStatus(undefined);
      try {
        setView(await call('keyDecide', { accountId, jid, fingerprint, decision }));
        setStatus(DONE_WORDS[decision]);
      } catch (err) {
        setError(messageOf(err));
      } finally {
        setBusy(false);
      }
    },
    [accountId, jid],
  );

  return (
    <div className="verify-backdrop">
      <div ref={dialogRef} className="verify-dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} onKeyDown={trapTab}>
        <header className="verify-head">
          <h2 id={titleId}>Verify {jid}</h2>
          <button type="button" className="verify-close" onClick={close}>
            Close
          </button>
        </header>
        <p className="verify-intro">
          Compare these numbers with {jid} in person or on a call you trust, or scan each other’s QR code. When they match, nobody in between can read your
          messages.
        </p>
        {view === undefined && error === undefined && <p role="status">Loading keys…</p>}
        {view !== undefined && (
          <div className="verify-body">
            <section aria-labelledby={`${titleId}-own`}>
              <h3 id={`${titleId}-own`}>Your fingerprint</h3>
              <p className="verify-jid">{view.ownJid}</p>
              <Fingerprint fingerprint={view.own} whose={`you (${view.ownJid})`} />
            </section>
            <section aria-labelledby={`${titleId}-theirs`}>
              <h3 id={`${titleId}-theirs`}>{view.keys.length === 1 ? 'Their fingerprint' : 'Their keys'}</h3>
              <p className="verify-jid">{view.peer}</p>
              {view.keys.length === 0 && <p>{view.peer} has not published a key yet. Messages wait until they do.</p>}
              <ul className="verify-keys">
                {view.keys.map((key) => (
                  <KeyItem key={key.fingerprint} peer={view.peer} item={key} busy={busy} onDecide={(d) => void decide(key.fingerprint, d)} />
                ))}
              </ul>
            </section>
          </div>
        )}
        {status !== undefined && (
          <p className="verify-status" role="status">
            {status}
          </p>
        )}
        {error !== undefined && (
          <p className="verify-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

function KeyItem({ peer, item, busy, onDecide }: { peer: string; item: KeyView; busy: boolean; onDecide: (d: Decision) => void }) {
  const decidable = item.trust === 'changed' || item.trust === 'rejected';
  const onVerify = () => {
    onDecide('verify');
  };
  const onAccept = () => {
    onDecide('accept');
  };
  const onReject = () => {
    onDecide('reject');
  };
  return (
    <li className={`verify-key verify-key-${item.trust}`}>
      <Fingerprint fingerprint={item.fingerprint} whose={peer} />
      <p className="verify-trust">
        <strong>{TRUST_WORDS[item.trust]}</strong> · first seen {new Date(item.firstSeen).toLocaleDateString()}
      </p>
      {item.trust !== 'verified' && item.trust !== 'rejected' && (
        <div className="verify-action">
          <button type="button" className="verify-primary" disabled={busy} onClick={onVerify}>
            Mark verified
          </button>
          <p>Only when the numbers match what {peer} sees on their own device.</p>
        </div>
      )}
      {decidable && (
        <div className="verify-action">
          <button type="button" disabled={busy} onClick={onAccept}>
            Accept this key
          </button>
          <p>If {peer} told you about a new device or a reinstall: accept it, and your messages are encrypted to it from then on.</p>
        </div>
      )}
      {item.trust === 'changed' && (
        <div className="verify-action">
          <button type="button" className="verify-danger" disabled={busy} onClick={onReject}>
            Reject
          </button>
          <p>If you did not expect a new key: reject it, and nothing is ever encrypted to it.</p>
        </div>
      )}
    </li>
  );
}
