import { useEffect, useRef, useState, type RefObject } from 'react';
import type { AppInfo, Gateways } from '../../../src/api/contract';
import { call } from '../../app/api';
import { AccountStep, EMPTY_ACCOUNT_DRAFT, type AccountDraft } from './AccountStep';
import { BackupStep } from './BackupCode';
import { ConnectStep } from './ConnectStep';
import { errorText } from './errors';
import { EMPTY_GATEWAY_DRAFT, GatewayStep, type ChosenGateway, type GatewayDraft } from './GatewayStep';
import { ProtectStep } from './ProtectStep';
import './onboarding.css';

type Step = { id: 'protect' } | { id: 'connect' } | { id: 'gateway' } | { id: 'account' } | { id: 'working'; kind: 'create' | 'login' } | { id: 'backup'; code: string };

const STEPS = [
  { id: 'protect', label: 'Protect' },
  { id: 'connect', label: 'Connection' },
  { id: 'gateway', label: 'Gateway' },
  { id: 'account', label: 'Account' },
  { id: 'backup', label: 'Backup code' },
] as const;

/** First run: protect the profile, choose how Cove connects, choose a gateway, create or add an account, write down the backup code. */
export function Onboarding({ info, onDone }: { info: AppInfo; onDone: () => void }) {
  const [step, setStep] = useState<Step>(info.profile === 'none' ? { id: 'protect' } : { id: 'connect' });
  const [directory, setDirectory] = useState<Gateways | null>(null);
  const [gatewayDraft, setGatewayDraft] = useState<GatewayDraft>(EMPTY_GATEWAY_DRAFT);
  const [gateway, setGateway] = useState<ChosenGateway | null>(null);
  const [account, setAccount] = useState<AccountDraft>(EMPTY_ACCOUNT_DRAFT);
  const [error, setError] = useState<string | null>(null);
  /** Each try opens the account step afresh (a CAPTCHA is good for one try only). */
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  // Each new step puts the keyboard focus on its heading (read out by screen readers; Tab goes on from there).
  useEffect(() => {
    heading.current?.focus();
  }, [step.id, attempt]);

  const run = async (kind: 'create' | 'login', answers?: Record<string, string>) => {
    if (gateway === null) return;
    setError(null);
    setAttempt((n) => n + 1);
    setStep({ id: 'working', kind });
    try {
      const created =
        kind === 'create'
          ? await call('accountCreate', { domain: gateway.domain, endpoints: gateway.endpoints, username: account.username.trim(), password: account.password, ...(answers === undefined ? {} : { answers }) })
          : await call('accountLogin', {
              jid: account.jid.trim(),
              password: account.loginPassword,
              endpoints: gateway.endpoints,
              ...(account.backupCode.trim() === '' ? {} : { backupCode: account.backupCode.trim() }),
            });
      if (created.backupCode === null) onDone();
      else setStep({ id: 'backup', code: created.backupCode });
    } catch (err) {
      setError(errorText(err));
      setStep({ id: 'account' });
    }
  };

  const current = step.id === 'working' ? 'account' : step.id;
  const steps = info.profile === 'none' ? STEPS : STEPS.filter((s) => s.id !== 'protect');
  return (
    <main className="onboarding">
      <header className="onboarding-header">
        <h1>Welcome to Cove</h1>
        <ol className="onboarding-steps" aria-label="Steps">
          {steps.map((s, i) => (
            <li key={s.id} className={s.id === current ? 'onboarding-step-current' : undefined} aria-current={s.id === current ? 'step' : undefined}>
              <span className="onboarding-step-number" aria-hidden="true">
                {i + 1}
              </span>
              {s.label}
            </li>
          ))}
        </ol>
      </header>
      <div className="card onboarding-card">
        {step.id === 'protect' && <ProtectStep keychain={info.keychain} headingRef={heading} onDone={() => { setStep({ id: 'connect' }); }} />}
        {step.id === 'connect' && <ConnectStep headingRef={heading} onNext={() => { setStep({ id: 'gateway' }); }} />}
        {step.id === 'gateway' && (
          <GatewayStep
            draft={gatewayDraft}
            setDraft={setGatewayDraft}
            directory={directory}
            setDirectory={setDirectory}
            headingRef={heading}
            onNext={(g) => {
              setGateway(g);
              setError(null);
              setStep({ id: 'account' });
            }}
          />
        )}
        {step.id === 'account' && gateway !== null && (
          <AccountStep
            key={attempt}
            gateway={gateway}
            draft={account}
            setDraft={setAccount}
            error={error}
            setError={setError}
            headingRef={heading}
            onBack={() => {
              setError(null);
              setStep({ id: 'gateway' });
            }}
            onCreate={(answers) => void run('create', answers)}
            onLogin={() => void run('login')}
          />
        )}
        {step.id === 'working' && gateway !== null && <Working kind={step.kind} domain={gateway.domain} restoring={account.backupCode.trim() !== ''} headingRef={heading} />}
        {step.id === 'backup' && <BackupStep code={step.code} headingRef={heading} onDone={onDone} />}
      </div>
    </main>
  );
}

/** Step 4: the core registers, makes the key and publishes it in one call; an honest, indeterminate progress. */
function Working({ kind, domain, restoring, headingRef }: { kind: 'create' | 'login'; domain: string; restoring: boolean; headingRef: RefObject<HTMLHeadingElement | null> }) {
  const phases =
    kind === 'create'
      ? [`Registering on ${domain}…`, 'Making your encryption key…', 'Publishing your key…']
      : [`Signing in to ${domain}…`, restoring ? 'Restoring your encryption key from its backup…' : 'Making your encryption key…', 'Publishing your key…'];
  return (
    <div className="onboarding-step" aria-busy="true">
      <h2 ref={headingRef} tabIndex={-1}>
        {kind === 'create' ? 'Creating your account' : 'Adding your account'}
      </h2>
      <div className="progress progress-indeterminate" role="progressbar" aria-label={kind === 'create' ? 'Creating your account' : 'Adding your account'}>
        <div className="progress-bar" />
      </div>
      <p role="status" className="onboarding-working-status">
        {kind === 'create' ? `Creating your account on ${domain}…` : `Adding your account on ${domain}…`}
      </p>
      <p className="small muted">What happens now:</p>
      <ol className="onboarding-phases">
        {phases.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ol>
      <p className="small muted">This usually takes a few seconds; over Tor it can take a minute.</p>
    </div>
  );
}
