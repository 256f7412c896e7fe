/**
 * The privacy screen: pick how Cove connects (Direct, SOCKS5, VPN, Tor), see who learns what in each mode (the core's
 * who-sees-what model) and what it costs, set the mode up, apply it, and check for leaks. A switch fails closed: when
 * it fails the core's sentence is shown and nothing is sent until it is fixed.
 */
import { useEffect, useState } from 'react';
import type { ModeSettings, ModeStatus } from '../../../src/api/contract';
import { call } from '../../app/api';
import { LeakCheck } from './LeakCheck';
import { ModeDetails } from './ModeDetails';
import { ModePicker } from './ModePicker';
import { errorText, MODE_NAMES, MODE_TARGETS, type ModeId } from './modes';
import { Socks5Form } from './Socks5Form';
import { loadModel, usePrivacy, usePrivacyLive } from './store';
import { TorSettings } from './TorSettings';
import { VpnSettings } from './VpnSettings';
import './privacy.css';

interface Failure {
  to: ModeId;
  message: string;
}

function failureOf(status: ModeStatus | undefined, local: Failure | undefined): Failure | undefined {
  if (local !== undefined) return local;
  if (status?.phase !== 'failed') return undefined;
  return { to: status.to ?? status.mode, message: status.error?.message ?? 'The switch did not complete.' };
}

function StatusLine({ status, applying }: { status: ModeStatus | undefined; applying: ModeId | undefined }) {
  const to = applying ?? (status?.phase === 'switching' ? (status.to ?? status.mode) : undefined);
  let text: string;
  if (to !== undefined) text = `Switching to ${MODE_TARGETS[to]}… Nothing is sent until the switch is done.`;
  else if (status === undefined) text = 'Asking Cove which mode is in use…';
  else if (status.phase === 'failed') text = 'Nothing is sent: the last switch failed.';
  else text = `In use: ${MODE_NAMES[status.mode]}.`;
  return (
    <p role="status" className={to === undefined ? 'privacy-state' : 'privacy-state privacy-switching'}>
      {text}
    </p>
  );
}

export function PrivacyScreen() {
  usePrivacyLive();
  const status = usePrivacy((s) => s.status);
  const tor = usePrivacy((s) => s.tor);
  const model = usePrivacy((s) => s.model);
  const loadError = usePrivacy((s) => s.loadError);
  const setStatus = usePrivacy((s) => s.setStatus);
  const [modelError, setModelError] = useState<string | undefined>();
  const [picked, setPicked] = useState<ModeId | undefined>();
  const [applying, setApplying] = useState<ModeId | undefined>();
  const [localFailure, setLocalFailure] = useState<Failure | undefined>();

  useEffect(() => {
    loadModel().catch((err: unknown) => {
      setModelError(errorText(err));
    });
  }, []);

  // A failure that the core has since put right (the mode it was about is now ready) is no longer shown.
  useEffect(() => {
    if (status?.phase === 'ready' && localFailure !== undefined && status.mode === localFailure.to) setLocalFailure(undefined);
  }, [status, localFailure]);

  const selected = picked ?? status?.mode;
  const failure = failureOf(status, localFailure);

  async function apply(settings: ModeSettings): Promise<void> {
    setApplying(settings.mode);
    setLocalFailure(undefined);
    try {
      const next = await call('modeSet', settings);
      setStatus(next);
      if (next.phase === 'failed') setLocalFailure({ to: settings.mode, message: next.error?.message ?? 'The switch did not complete.' });
    } catch (err) {
      setLocalFailure({ to: settings.mode, message: errorText(err) });
    } finally {
      setApplying(undefined);
    }
  }
  const onApply = (settings: ModeSettings): void => {
    void apply(settings);
  };
  const busy = applying !== undefined || status?.phase === 'switching';

  return (
    <div className="privacy">
      <header className="privacy-header">
        <h1>Privacy</h1>
        <p className="privacy-intro">Choose how Cove reaches the network. Each way hides your IP address from different people, and costs some speed. Nothing is sent by another way than the one you choose.</p>
        <StatusLine status={status} applying={applying} />
        {loadError !== undefined && (
          <p role="alert" className="error">
            {loadError}
          </p>
        )}
        {failure !== undefined && (
          <div role="alert" className="privacy-failure">
            <p>
              <strong>Switching to {MODE_TARGETS[failure.to]} failed.</strong> {failure.message}
            </p>
            <p>Nothing is sent until this is fixed: Cove does not fall back to a direct connection. Fix the settings and apply again, or choose another mode.</p>
          </div>
        )}
      </header>
      <ModePicker model={model} current={status?.phase === 'ready' ? status.mode : undefined} selected={selected} onSelect={setPicked} />
      {modelError !== undefined && (
        <p role="alert" className="error">
          Cove could not show who sees what: {modelError}
        </p>
      )}
      {model !== undefined && selected !== undefined && <ModeDetails key={selected} model={model} mode={selected} />}
      {selected !== undefined && (
        <div className="card">
          {selected === 'direct' && <DirectSettings busy={busy} onApply={onApply} />}
          {selected === 'socks5' && <Socks5Form current={status?.socks5} busy={busy} onApply={onApply} />}
          {selected === 'vpn' && <VpnSettings status={status} busy={busy} onApply={onApply} />}
          {selected === 'tor' && <TorSettings tor={tor} busy={busy} onApply={onApply} />}
        </div>
      )}
      <LeakCheck />
    </div>
  );
}

function DirectSettings({ busy, onApply }: { busy: boolean; onApply: (settings: ModeSettings) => void }) {
  return (
    <form
      className="mode-settings"
      aria-label="Direct"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ mode: 'direct' });
      }}
    >
      <h2>Direct</h2>
      <p className="field-hint">Nothing to set up: Cove connects straight to the servers.</p>
      <button type="submit" className="button-primary" disabled={busy}>
        Apply
      </button>
    </form>
  );
}
