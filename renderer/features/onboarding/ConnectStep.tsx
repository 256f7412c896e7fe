import type { RefObject } from 'react';
import { PrivacyScreen } from '../privacy/PrivacyScreen';
import { usePrivacy } from '../privacy/store';

/**
 * Before Cove makes its first connection (the sign-up), the user chooses how it connects: the directory refresh and
 * the sign-up then already go through that mode. Tor must be connected before going on (the sign-up would wait).
 */
export function ConnectStep({ headingRef, onNext }: { headingRef: RefObject<HTMLHeadingElement | null>; onNext: () => void }) {
  const status = usePrivacy((s) => s.status);
  const tor = usePrivacy((s) => s.tor);
  const waitingForTor = status?.mode === 'tor' && (tor?.progress ?? 0) < 100;
  const ready = status !== undefined && status.phase === 'ready' && !waitingForTor;
  return (
    <div className="onboarding-step">
      <h2 ref={headingRef} tabIndex={-1}>
        How should Cove connect?
      </h2>
      <p>Choose this before Cove contacts any server: the sign-up already goes this way. You can change it any time under Privacy.</p>
      <PrivacyScreen />
      <div className="onboarding-actions">
        <button type="button" className="button button-primary" disabled={!ready} onClick={onNext}>
          Continue
        </button>
        {waitingForTor && (
          <span role="status" className="small muted">
            Waiting for Tor to connect…
          </span>
        )}
      </div>
    </div>
  );
}
