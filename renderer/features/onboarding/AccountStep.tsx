import { useId, useState, type RefObject } from 'react';
import { call } from '../../app/api';
import { DataFormFields, initialAnswers, missingAnswers, visibleFields, type RegistrationForm } from './DataForm';
import { errorText } from './errors';
import type { ChosenGateway } from './GatewayStep';
import { jidDomain, jidProblem, MIN_PASSWORD, usernameProblem } from './validate';

export interface AccountDraft {
  mode: 'create' | 'login';
  username: string;
  password: string;
  again: string;
  jid: string;
  loginPassword: string;
  backupCode: string;
}
export const EMPTY_ACCOUNT_DRAFT: AccountDraft = { mode: 'create', username: '', password: '', again: '', jid: '', loginPassword: '', backupCode: '' };

interface Props {
  gateway: ChosenGateway;
  draft: AccountDraft;
  setDraft: (d: AccountDraft) => void;
  /** The last failure from the core (also of the create/login call itself), shown until the next try. */
  error: string | null;
  setError: (e: string | null) => void;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onBack: () => void;
  onCreate: (answers: Record<string, string> | undefined) => void;
  onLogin: () => void;
}

/** Step 3: a new account on the gateway (its sign-up form and CAPTCHA when it has one), or an existing one. */
export function AccountStep({ gateway, draft, setDraft, error, setError, headingRef, onBack, onCreate, onLogin }: Props) {
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState<RegistrationForm | null>(null);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const id = useId();
  const set = (patch: Partial<AccountDraft>) => { setDraft({ ...draft, ...patch }); };

  const problems: Record<string, string | null> =
    draft.mode === 'create'
      ? {
          username: usernameProblem(draft.username.trim()),
          password: draft.password.length < MIN_PASSWORD ? `Use at least ${MIN_PASSWORD} characters.` : null,
          again: draft.password.length >= MIN_PASSWORD && draft.again !== draft.password ? 'The two passwords differ.' : null,
        }
      : {
          jid: jidProblem(draft.jid.trim()),
          loginPassword: draft.loginPassword === '' ? 'Enter the password of this account.' : null,
          backupCode: draft.backupCode.trim() !== '' && draft.backupCode.replace(/[\s-]/g, '').length !== 24 ? 'A backup code has 24 letters and digits, in groups of four.' : null,
        };
  const shown = (k: string) => (tried ? (problems[k] ?? null) : null);
  const missing = form === null ? [] : missingAnswers(form, answers);

  const submit = async () => {
    if (busy) return;
    setTried(true);
    setError(null);
    if (Object.values(problems).some((p) => p !== null)) return;
    if (draft.mode === 'login') {
      onLogin();
      return;
    }
    if (form !== null) {
      if (missing.length === 0) onCreate(answers);
      return;
    }
    setBusy(true);
    try {
      const f = await call('registrationForm', { domain: gateway.domain, endpoints: gateway.endpoints });
      setBusy(false);
      if (f.fields.length === 0) {
        onCreate(undefined);
      } else if (visibleFields(f).length === 0) {
        onCreate(initialAnswers(f)); // only hidden fields: nothing to ask
      } else {
        setForm(f);
        setAnswers(initialAnswers(f));
        setTried(false);
      }
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  const field = (key: keyof AccountDraft, label: string, type: string, extra: { hint?: string; autoComplete?: string; placeholder?: string } = {}) => {
    const err = shown(key);
    const hintId = `${id}-${key}-hint`;
    const errId = `${id}-${key}-error`;
    const describedBy = [extra.hint === undefined ? null : hintId, err === null ? null : errId].filter((x) => x !== null).join(' ');
    return (
      <div className="field">
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <input
          id={`${id}-${key}`}
          type={type}
          value={draft[key]}
          spellCheck={false}
          autoCapitalize="off"
          {...(extra.autoComplete === undefined ? {} : { autoComplete: extra.autoComplete })}
          {...(extra.placeholder === undefined ? {} : { placeholder: extra.placeholder })}
          {...(describedBy === '' ? {} : { 'aria-describedby': describedBy })}
          aria-invalid={err !== null}
          onChange={(e) => { set({ [key]: e.target.value }); }}
        />
        {extra.hint !== undefined && (
          <p id={hintId} className="field-hint">
            {extra.hint}
          </p>
        )}
        {err !== null && (
          <p id={errId} className="field-error">
            {err}
          </p>
        )}
      </div>
    );
  };

  const otherDomain = draft.mode === 'login' && jidProblem(draft.jid.trim()) === null && jidDomain(draft.jid.trim()) !== gateway.domain.toLowerCase();

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
        {form === null ? `Your account on ${gateway.domain}` : `${gateway.domain} asks a few questions`}
      </h2>
      {form === null ? (
        <>
          <fieldset className="account-mode row">
            <legend className="visually-hidden">Account</legend>
            <label className={draft.mode === 'create' ? 'choice choice-selected' : 'choice'}>
              <input type="radio" name="account-mode" checked={draft.mode === 'create'} onChange={() => { set({ mode: 'create' }); }} />
              <span>Create a new account</span>
            </label>
            <label className={draft.mode === 'login' ? 'choice choice-selected' : 'choice'}>
              <input type="radio" name="account-mode" checked={draft.mode === 'login'} onChange={() => { set({ mode: 'login' }); }} />
              <span>I already have an account</span>
            </label>
          </fieldset>
          {draft.mode === 'create' ? (
            <>
              {field('username', 'Username', 'text', { hint: `Your address will be username@${gateway.domain}.`, autoComplete: 'username' })}
              {field('password', 'Password', 'password', { hint: `At least ${MIN_PASSWORD} characters. It signs you in to the gateway.`, autoComplete: 'new-password' })}
              {field('again', 'Password again', 'password', { autoComplete: 'new-password' })}
            </>
          ) : (
            <>
              {field('jid', 'Address', 'text', { placeholder: `name@${gateway.domain}`, autoComplete: 'username' })}
              {otherDomain && <p className="notice notice-warn small">This address is not on {gateway.domain}, the server you chose in the previous step. Go back to choose its server if signing in fails.</p>}
              {field('loginPassword', 'Password', 'password', { autoComplete: 'current-password' })}
              {field('backupCode', 'Backup code (optional)', 'text', {
                hint: 'From another device where you use this account: it brings your encryption key here. Without it, Cove makes a new key and your contacts see that it changed.',
                autoComplete: 'off',
              })}
            </>
          )}
        </>
      ) : (
        <>
          <DataFormFields form={form} answers={answers} onChange={(v, value) => { setAnswers({ ...answers, [v]: value }); }} />
          {tried && missing.length > 0 && <p className="field-error">Please fill in: {missing.join(', ')}.</p>}
        </>
      )}
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      {busy && (
        <p role="status" className="muted">
          Asking {gateway.domain} how to sign up…
        </p>
      )}
      <div className="onboarding-actions">
        <button type="button" className="button" onClick={form === null ? onBack : () => { setForm(null); }}>
          Back
        </button>
        <button type="submit" className="button button-primary" aria-disabled={busy}>
          {draft.mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </div>
    </form>
  );
}
