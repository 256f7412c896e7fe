import { useEffect, useId, useRef, useState } from 'react';
import { call } from '../../app/api';
import { errorText } from './errors';
import './onboarding.css';

/** The profile is locked: its passphrase opens it (the core says when it is wrong). */
export function Unlock({ onUnlocked }: { onUnlocked: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    input.current?.focus();
  }, []);

  const submit = async () => {
    if (busy) return;
    if (passphrase === '') {
      setError('Enter your passphrase.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await call('profileUnlock', { passphrase });
      onUnlocked();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
      input.current?.focus();
      input.current?.select();
    }
  };

  return (
    <main className="onboarding unlock">
      <form
        className="card onboarding-card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1>Unlock Cove</h1>
        <p className="muted">Your messages and keys are stored encrypted on this computer. Your passphrase opens them.</p>
        <div className="field">
          <label htmlFor={`${id}-pass`}>Passphrase</label>
          <input
            ref={input}
            id={`${id}-pass`}
            type="password"
            autoComplete="current-password"
            value={passphrase}
            aria-invalid={error !== null}
            {...(error === null ? {} : { 'aria-describedby': `${id}-error` })}
            onChange={(e) => { setPassphrase(e.target.value); }}
          />
        </div>
        {error !== null && (
          <p id={`${id}-error`} role="alert" className="notice notice-danger">
            {error}
          </p>
        )}
        <div className="onboarding-actions">
          <button type="submit" className="button button-primary" aria-disabled={busy}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
        <p className="small muted">Nobody can recover a forgotten passphrase, not even Cove’s makers: the profile is encrypted with it.</p>
      </form>
    </main>
  );
}
