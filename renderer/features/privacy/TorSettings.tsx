/**
 * Tor mode's panel: bootstrap progress (tor's BOOTSTRAP events, live), Connection Assist's suggestion when it stalls,
 * the bridges, and which tor runs (with a warning when it is older than Cove's minimum).
 */
import { useId, useRef, type SyntheticEvent } from 'react';
import type { ModeSettings, TorStatus } from '../../../src/api/contract';
import { BridgesEditor, type BridgesEditorHandle } from './BridgesEditor';
import { TorProgress } from './parts';

interface Props {
  tor: TorStatus | undefined;
  busy: boolean;
  onApply: (settings: ModeSettings) => void;
}

/** Connection Assist's suggestions as the core names them (src/tor/provider.ts), in words, and whether bridges help. */
const ASSIST: Record<string, { text: string; bridges: boolean }> = {
  'use-bridges': { text: 'Tor may be blocked on this network. Try a bridge (obfs4 or snowflake).', bridges: true },
  'try-other-bridges': { text: 'These bridges may be blocked. Try other bridges, or snowflake.', bridges: true },
  'check-clock': { text: 'This computer’s clock seems wrong, and Tor cannot connect with a wrong clock. Set the right date and time.', bridges: false },
  'check-proxy': { text: 'Tor cannot reach the network through the proxy. Check the proxy settings.', bridges: false },
};

function TorState({ tor }: { tor: TorStatus }) {
  switch (tor.state) {
    case 'off':
      return <p className="field-hint">Tor is not running. Cove starts it when you apply Tor mode.</p>;
    case 'down':
      return (
        <>
          <TorProgress tor={tor} />
          <p role="alert" className="error">
            Tor has stopped. Nothing is sent until it is back.{tor.error !== undefined && ` ${tor.error.message}`}
          </p>
        </>
      );
    case 'failed':
      return (
        <p role="alert" className="error">
          {tor.error?.message ?? 'Tor could not start.'} Nothing is sent through Tor until this is fixed.
        </p>
      );
    case 'ready':
      return (
        <>
          <TorProgress tor={tor} />
          <p role="status" className="ok">
            Connected to the Tor network.
          </p>
        </>
      );
    default:
      return <TorProgress tor={tor} />;
  }
}

export function TorSettings({ tor, busy, onApply }: Props) {
  const id = useId();
  const bridges = useRef<BridgesEditorHandle>(null);
  const assist = tor?.assist === undefined ? undefined : { ...tor.assist, known: ASSIST[tor.assist.suggestion] };

  function submit(event: SyntheticEvent): void {
    event.preventDefault();
    onApply({ mode: 'tor' });
  }

  return (
    <section className="mode-settings tor" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Tor</h2>
      {tor === undefined ? <p className="field-hint">Asking Cove about Tor…</p> : <TorState tor={tor} />}
      {assist !== undefined && (
        <div className="assist" role="status">
          <p>
            <strong>Connection Assist:</strong> {assist.known?.text ?? assist.suggestion}
          </p>
          <p className="field-hint">Tor’s reason: {assist.reason}.</p>
          {assist.known?.bridges === true && (
            <button
              type="button"
              onClick={() => {
                bridges.current?.start();
              }}
            >
              Set up bridges
            </button>
          )}
        </div>
      )}
      {tor !== undefined && (
        <p className="tor-version">
          {tor.version === undefined ? 'Tor version unknown.' : `Tor ${tor.version}.`}
          {tor.outdated && (
            <strong className="warning">
              {' '}
              This tor is older than the version Cove requires and may lack security fixes: update it.
            </strong>
          )}
        </p>
      )}
      <form onSubmit={submit}>
        <button type="submit" className="button-primary" disabled={busy}>
          Apply
        </button>
      </form>
      <BridgesEditor tor={tor} ref={bridges} />
    </section>
  );
}
