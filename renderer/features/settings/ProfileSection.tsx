import { useId, useState } from 'react';
import type { z } from 'zod';
import type { ExportSummarySchema } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from '../onboarding/errors';
import { Dialog } from './Dialog';

export const DELETE_PHRASE = 'delete my profile';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Settings › Profile: a plain export, and deleting everything (behind a typed confirmation). */
export function ProfileSection() {
  const [exported, setExported] = useState<z.infer<typeof ExportSummarySchema> | null>(null);
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const doExport = async () => {
    if (exporting) return;
    setExporting(true);
    setError(null);
    try {
      setExported(await call('profileExport', {}));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <section className="section" aria-labelledby="settings-profile">
      <h2 tabIndex={-1} id="settings-profile">Profile</h2>
      <div className="card">
        <h3 className="card-title">Export</h3>
        <p className="muted">Writes a copy of your accounts, conversations and messages next to your profile. The copy is not encrypted: keep it safe and delete it when you no longer need it.</p>
        <button type="button" className="button" aria-disabled={exporting} onClick={() => void doExport()}>
          {exporting ? 'Exporting…' : 'Export'}
        </button>
        <div role="status">
          {exported !== null && (
            <p className="notice notice-ok profile-export">
              Saved {plural(exported.accounts, 'account', 'accounts')}, {plural(exported.conversations, 'conversation', 'conversations')} and {plural(exported.messages, 'message', 'messages')} to{' '}
              <code className="export-file">{exported.file}</code>
            </p>
          )}
        </div>
        {error !== null && (
          <p role="alert" className="notice notice-danger">
            {error}
          </p>
        )}
      </div>
      <div className="card">
        <h3 className="card-title">Delete</h3>
        <p className="muted">Deletes your profile from this computer: every account, key, contact and message in it. Accounts stay on their gateways.</p>
        <button type="button" className="button button-danger" onClick={() => { setDeleting(true); }}>
          Delete profile…
        </button>
      </div>
      {deleting && <DeleteDialog onClose={() => { setDeleting(false); }} />}
    </section>
  );
}

function DeleteDialog({ onClose }: { onClose: () => void }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const matches = typed === DELETE_PHRASE;

  const submit = async () => {
    if (!matches || busy) return;
    setBusy(true);
    setError(null);
    try {
      await call('profileDelete', { confirm: DELETE_PHRASE });
      // The core announces the change ('profile' event) and the app goes back to its first screen.
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Delete your profile?" onClose={onClose}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p>This deletes every account, key, contact and message stored on this computer. It cannot be undone. Without your backup codes, messages encrypted to your keys cannot be read again.</p>
        <div className="field">
          <label htmlFor={`${id}-phrase`}>
            Type <strong>{DELETE_PHRASE}</strong> to confirm
          </label>
          <input id={`${id}-phrase`} type="text" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => { setTyped(e.target.value); }} />
        </div>
        {error !== null && (
          <p role="alert" className="notice notice-danger">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={!matches} aria-disabled={busy}>
            {busy ? 'Deleting…' : 'Delete profile'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
