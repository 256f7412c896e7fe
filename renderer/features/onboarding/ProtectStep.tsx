import { useId, useState, type RefObject } from 'react';
import { call } from '../../app/api';
import { errorText } from './errors';
import { MIN_PASSPHRASE, passphraseStrength } from './validate';

/** Step 1: how the profile is protected (the OS keychain when there is one, else a passphrase), then profileCreate. */
export function ProtectStep({ keychain, headingRef, onDone }: { keychain: boolean; headingRef: RefObject<HTMLHeadingElement | null>; onDone: () => void }) {
  const [protection, setProtection] = useState<'keychain' | 'passphrase'>(keychain ? 'keychain' : 'passphrase');
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const strength = passphraseStrength(pass);
  const passError = protection === 'passphrase' && pass.length < MIN_PASSPHRASE ? `Use at least ${MIN_PASSPHRASE} characters.` : null;
  const againError = protection === 'passphrase' && passError === null && again !== pass ? 'The two passphrases differ.' : null;

  const submit = async () => {
    if (busy) return;
    setTried(true);
    setError(null);
    if (passError !== null || againError !== null) return;
    setBusy(true);
    try {
      await call('profileCreate', protection === 'keychain' ? { protection: 'keychain' } : { protection: 'passphrase', passphrase: pass });
      onDone();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <form
      className="onboarding-step"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 ref={headingRef} tabIndex={-1}>
        Protect your profile
      </h2>
      <p>Cove stores your messages and keys encrypted on this computer; choose what unlocks them.</p>
      {keychain && (
        <fieldset className="stack">
          <legend>Unlock with</legend>
          <label className={protection === 'keychain' ? 'choice choice-selected' : 'choice'}>
            <input type="radio" name="protection" value="keychain" checked={protection === 'keychain'} onChange={() => { setProtection('keychain'); }} />
            <span>This computer’s keychain</span>
            <span className="small muted">Opens by itself when you are logged in to this computer.</span>
          </label>
          <label className={protection === 'passphrase' ? 'choice choice-selected' : 'choice'}>
            <input type="radio" name="protection" value="passphrase" checked={protection === 'passphrase'} onChange={() => { setProtection('passphrase'); }} />
            <span>A passphrase</span>
            <span className="small muted">You type it each time Cove starts. Nobody can recover it for you.</span>
          </label>
        </fieldset>
      )}
      {protection === 'passphrase' && (
        <>
          <div className="field">
            <label htmlFor={`${id}-pass`}>Passphrase</label>
            <input
              id={`${id}-pass`}
              type="password"
              autoComplete="new-password"
              value={pass}
              aria-invalid={tried && passError !== null}
              aria-describedby={tried && passError !== null ? `${id}-pass-error` : `${id}-pass-hint`}
              onChange={(e) => { setPass(e.target.value); }}
            />
            {!(tried && passError !== null) && (
              <p id={`${id}-pass-hint`} className={`field-hint strength strength-${strength.level}`}>
                {pass.length === 0 ? `At least ${MIN_PASSPHRASE} characters; a few unrelated words are easy to remember and hard to guess.` : strength.text}
              </p>
            )}
            {tried && passError !== null && (
              <p id={`${id}-pass-error`} className="field-error">
                {passError}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor={`${id}-again`}>Passphrase again</label>
            <input
              id={`${id}-again`}
              type="password"
              autoComplete="new-password"
              value={again}
              aria-invalid={tried && againError !== null}
              {...(tried && againError !== null ? { 'aria-describedby': `${id}-again-error` } : {})}
              onChange={(e) => { setAgain(e.target.value); }}
            />
            {tried && againError !== null && (
              <p id={`${id}-again-error`} className="field-error">
                {againError}
              </p>
            )}
          </div>
        </>
      )}
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      <div className="onboarding-actions">
        <button type="submit" className="button button-primary" aria-disabled={busy}>
          {busy ? 'Creating your profile…' : 'Continue'}
        </button>
      </div>
    </form>
  );
}
